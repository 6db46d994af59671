"""Browser tests: the built workbench in Debian's Chromium, driven by Playwright, against a
real `huiliu serve` process on a fresh SQLite database with the demo merchant.

They need the front end built (`make frontend`) and Chromium (`make chromium`); `make test`
does both. Missing either skips them with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.customer import Customer
from tests.browser.harness import CHROMIUM, DIST, launch_chromium
from tests.browser.harness import demo_server as start_demo_server
from tests.server import ProcessServer
from tests.services import IN_CI


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def demo_server() -> Iterator[tuple[ProcessServer, dict[str, Any]]]:
    _require(DIST.is_file(), f"the front end is not built ({DIST} missing): run make frontend")
    with start_demo_server() as running:
        yield running


@pytest.fixture(scope="session")
def server(demo_server: tuple[ProcessServer, dict[str, Any]]) -> ProcessServer:
    return demo_server[0]


@pytest.fixture(scope="session")
def demo(demo_server: tuple[ProcessServer, dict[str, Any]]) -> dict[str, Any]:
    return demo_server[1]


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    _require(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: run make chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, server: ProcessServer) -> Iterator[Any]:
    """Open pages in fresh contexts (separate storage: separate people); a page error fails
    the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make(locale: str = "zh-CN") -> Any:
        context = browser.new_context(
            base_url=server.base_url, viewport={"width": 1440, "height": 900}, locale=locale
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss())
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def customer(server: ProcessServer, demo: dict[str, Any]) -> Iterator[Customer]:
    """A customer on the widget's protocol (REST + WebSocket), as the widget or an app is."""
    person = Customer(server.base_url, demo["widget_key"])
    yield person
    person.close()


@pytest.fixture
def merchant_site() -> Iterator[Any]:
    """A merchant's own web site on another origin than Huiliu (another port of loopback):
    ``site.page(path, html)`` serves a page there; ``site.url(path)`` is its address."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.services import free_port

    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    class Site:
        def page(self, path: str, html: str) -> str:
            pages[path] = html
            return self.url(path)

        def url(self, path: str) -> str:
            return f"http://127.0.0.1:{httpd.server_port}{path}"

    yield Site()
    httpd.shutdown()
    httpd.server_close()
