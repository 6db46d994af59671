"""What the browser tests and the screenshot script share: the demo server and Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.server import ProcessServer
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "frontend" / "dist" / "index.html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which a
# closed network refuses; the sandbox needs privileges a root CI runner lacks.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def demo_server(**settings: str) -> Iterator[tuple[ProcessServer, dict[str, Any]]]:
    """`huiliu serve` on a fresh SQLite database with the demo merchant (its bot, FAQ, group,
    quick replies and people); yields the server and `huiliu demo --json`'s credentials."""
    with tempfile.TemporaryDirectory(prefix="huiliu-browser-") as tmp:
        port = free_port()
        env = {
            "HUILIU_DATA_DIR": tmp,
            "HUILIU_SECRET_KEY": "browser-test-secret-0123456789abcdef0123",
            "HUILIU_ROUTING_SWEEP_S": "0.5",
            # The lexical matcher answers the demo FAQ well enough here and starts at once.
            "HUILIU_BOT_EMBEDDING": "none",
            "HUILIU_LOG_LEVEL": "warning",
            **settings,
        }
        full_env = {**os.environ, **env}
        run = [sys.executable, "-m", "huiliu"]
        subprocess.run([*run, "migrate"], env=full_env, check=True, capture_output=True)
        out = subprocess.run(
            [*run, "demo", "--json", "--base-url", f"http://127.0.0.1:{port}"],
            env=full_env,
            check=True,
            capture_output=True,
            text=True,
        )
        server = ProcessServer(env, port, Path(tmp) / "server.log")
        server.start()
        try:
            _wait_for_the_bot(server)
            yield server, json.loads(out.stdout)
        finally:
            server.stop()


def launch_chromium(playwright: Any) -> Any:
    playwright.selectors.set_test_id_attribute("data-test")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def _wait_for_the_bot(server: ProcessServer, timeout_s: float = 120.0) -> None:
    """Until the start-up build of the demo FAQ's index is done: on a busy machine it holds
    the server back for seconds, which the first page a test opens would wait through."""
    deadline = time.monotonic() + timeout_s
    while (state := httpx.get(server.base_url + "/healthz").json()["bot_index"]) != "ready":
        if time.monotonic() > deadline:
            raise RuntimeError(f"the bot's index still {state} after {timeout_s:.0f} s")
        time.sleep(0.1)
