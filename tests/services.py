"""The deployments the suite runs on: embedded (SQLite + in-process bus) and scaled out
(PostgreSQL + Redis, the services on the CI machine)."""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

import pytest

PG_ADMIN_DSN = os.environ.get("HUILIU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HUILIU_TEST_REDIS", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Backend:
    name: str
    database_url: str
    redis_url: str
    redis_channel: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_scaled_services() -> None:
    """PostgreSQL and Redis must be up; under CI=true their absence fails the run."""
    missing = [
        name
        for name, port in (
            ("PostgreSQL at 127.0.0.1:5432", 5432),
            ("Redis at 127.0.0.1:6379", 6379),
        )
        if not _reachable("127.0.0.1", port)
    ]
    if missing:
        message = f"scaled-out tests need {' and '.join(missing)}"
        if IN_CI:
            pytest.fail(message + " (CI=true: these tests must run)")
        pytest.skip(message + " (not running on this machine)")


async def create_pg_database() -> tuple[str, str]:
    """A fresh database for one test session; returns (name, asyncpg SQLAlchemy URL)."""
    import asyncpg

    name = f"huiliu_test_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
