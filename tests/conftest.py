from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from huiliu.config import Settings
from huiliu.db import Database
from huiliu.db.migrate import upgrade
from tests.clients import Socket
from tests.factories import World, make_world
from tests.fake_wechat import FakeWechat
from tests.receiver import Receiver
from tests.server import ThreadServer
from tests.services import (
    REDIS_URL,
    Backend,
    create_pg_database,
    drop_pg_database,
    free_port,
    require_scaled_services,
)

TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API runs an event loop on the main thread while
    it lives, which async tests after it would trip over."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid)
    for item in items:
        if "tests/browser/" in item.nodeid:
            # Under pytest-xdist the browser tests share one worker (one demo server, one
            # Chromium) and run after that worker's other tests.
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Every storage and gateway test runs on both deployments."""
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory(prefix="huiliu-test-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'huiliu.db'}"
            asyncio.run(upgrade(url))
            yield Backend("sqlite", url, "", "huiliu:test")
        return
    require_scaled_services()
    name, url = asyncio.run(create_pg_database())
    try:
        asyncio.run(upgrade(url))
        yield Backend("postgres", url, REDIS_URL, f"huiliu:test:{name}")
    finally:
        asyncio.run(drop_pg_database(name))


def module_backend(backend: Backend, directory: Path, tag: str) -> Backend:
    """A database of its own for a module that starts its own server. On SQLite the embedded
    deployment is one process: the session's server, still running on the shared database,
    would route the module's conversations and publish their events on its own in-process
    bus, which the module's sockets never hear. On PostgreSQL the Redis bus carries events
    between servers, and the shared database serves."""
    if backend.name != "sqlite":
        return backend
    url = f"sqlite+aiosqlite:///{directory / 'huiliu.db'}"
    asyncio.run(upgrade(url))
    return Backend("sqlite", url, "", f"{backend.redis_channel}:{tag}")


def make_settings(backend: Backend, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": backend.database_url,
        "redis_url": backend.redis_url,
        "redis_channel": backend.redis_channel,
        "secret_key": TEST_SECRET,
        "data_dir": Path(tempfile.gettempdir()) / "huiliu-test-data",
        "routing_sweep_s": 0.2,
        "campaign_send_s": 0.2,
        # The outbox at test speed: retries within a second, and few of them.
        "outbox_poll_s": 0.05,
        "outbox_backoff_s": 0.05,
        "outbox_backoff_max_s": 0.4,
        "outbox_max_attempts": 5,
        "webhook_timeout_s": 1.0,
        "wechat_api_base": shared_wechat().url,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


_wechat: FakeWechat | None = None


def shared_wechat() -> FakeWechat:
    """WeChat's API on loopback, started on first use. Every test server's worker may deliver
    any test's jobs (they share the database), so all of them call this one."""
    global _wechat
    if _wechat is None:
        _wechat = FakeWechat()
        _wechat.start()
    return _wechat


@pytest.fixture(scope="session")
def wechat() -> Iterator[FakeWechat]:
    yield shared_wechat()
    shared_wechat().stop()


@pytest.fixture(scope="session")
def settings(backend: Backend) -> Settings:
    return make_settings(backend)


@pytest.fixture(scope="session")
def server(settings: Settings) -> Iterator[ThreadServer]:
    srv = ThreadServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.resolved_database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db, TEST_SECRET)


@pytest.fixture
async def http(server: ThreadServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
async def connect(server: ThreadServer) -> AsyncIterator[Callable[[str, str], Awaitable[Socket]]]:
    """Open sockets to the test server; all are closed when the test ends."""
    opened: list[Socket] = []

    async def open_socket(kind: str, token: str) -> Socket:
        sock = await Socket.connect(server.ws_url, kind, token)
        opened.append(sock)
        return sock

    yield open_socket
    for sock in opened:
        await sock.close()


@pytest.fixture
async def other_world(db: Database) -> World:
    """A second merchant, for isolation checks."""
    return await make_world(db, TEST_SECRET)


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback; each test uses its own paths."""
    srv = Receiver()
    srv.start()
    yield srv
    srv.stop()
