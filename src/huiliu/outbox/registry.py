"""What the outbox runs: a handler per job kind. The outbox itself knows no kind; the
process that runs workers assembles the registry (``huiliu.runtime.outbox_handlers``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import httpx

from huiliu.bus import Bus
from huiliu.config import Settings
from huiliu.db import Database


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed outbox row. ``id`` is the idempotency key: a job runs at least once, and
    every run of it carries the same id (webhooks send it as ``X-Huiliu-Delivery``)."""

    id: int
    tenant_id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # 1 on the first run
    created_at: datetime
    # A coalesced kind's later jobs of the same ref, queued before this run was claimed:
    # done by this run when it is done (``Registry.register``).
    covers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: ``done``; ``retry`` later (with back-off, until the attempts run
    out); ``failed`` for good (retrying cannot help)."""

    status: Literal["done", "retry", "failed"]
    error: str | None = None
    result: dict[str, Any] | None = None
    retry_after_s: float | None = None  # the receiver's own wish (Retry-After), if any

    @classmethod
    def done(cls, result: dict[str, Any] | None = None) -> Outcome:
        return cls("done", result=result)

    @classmethod
    def retry(
        cls,
        error: str,
        result: dict[str, Any] | None = None,
        *,
        retry_after_s: float | None = None,
    ) -> Outcome:
        return cls("retry", error=error, result=result, retry_after_s=retry_after_s)

    @classmethod
    def failed(cls, error: str, result: dict[str, Any] | None = None) -> Outcome:
        return cls("failed", error=error, result=result)


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler may use: the database (read what the payload's ids point at), one
    HTTP client shared by the worker, the settings."""

    db: Database
    http: httpx.AsyncClient
    settings: Settings
    # Tells the agents what happened (a delivery's outcome); None where no bus reaches them.
    bus: Bus | None = None


Handler = Callable[[Context, Job], Awaitable[Outcome]]
# Runs several jobs of one kind in one go; one outcome per job, in the jobs' order.
BatchHandler = Callable[[Context, Sequence[Job]], Awaitable[Sequence[Outcome]]]


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._batch: dict[str, BatchHandler] = {}
        self._ordered: set[str] = set()
        self._coalesced: set[str] = set()

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        ordered: bool = False,
        coalesced: bool = False,
        batch: BatchHandler | None = None,
    ) -> None:
        """``ordered``: jobs of this kind with the same ``ref_id`` run one at a time, in the
        order they were queued (a conversation's replies on a channel), each waiting for the
        one before it to finish, retries included. ``coalesced`` (ordered too): a run
        reads the truth when it runs (a report fold), so one that is done does the jobs of
        its ref queued behind it before it was claimed; they are marked done with it and
        never run. ``batch``: the jobs of this kind that one claim holds run in one call of
        it (fifty report folds in one transaction); should it raise, ``handler`` runs them
        one by one, so a bad job fails alone."""
        if kind in self._handlers:
            raise ValueError(f"outbox kind {kind!r} has a handler already")
        self._handlers[kind] = handler
        if batch is not None:
            self._batch[kind] = batch
        if ordered or coalesced:
            self._ordered.add(kind)
        if coalesced:
            self._coalesced.add(kind)

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def get_batch(self, kind: str) -> BatchHandler | None:
        return self._batch.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    @property
    def ordered_kinds(self) -> list[str]:
        return sorted(self._ordered)

    @property
    def coalesced_kinds(self) -> list[str]:
        return sorted(self._coalesced)
