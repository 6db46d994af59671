"""Each tenant's matcher, kept in memory and rebuilt when the knowledge base changes.

Every question first reads the tenant's KB revision (one primary-key lookup); a newer
revision than the one in memory re-reads the entries, so an edit on any process takes
effect on every process at the next question, without a restart:

- an edit that leaves what is matched alone (an answer, a validity period, a category) keeps
  the matcher and swaps in the new entries: no rebuild at all;
- an edit to the questions, keywords or vocabulary rebuilds the matcher in a worker thread
  (one build at a time per tenant). Where the full build is slow (a large knowledge base,
  seconds for its classifier), a quick one without the classifier answers first, within a
  fraction of a second, and the full one replaces it in the background when it is done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from huiliu.bot import embedding
from huiliu.bot.matcher import Candidate, Embedder, Entry, Matcher
from huiliu.bot.text import Vocabulary
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.kb import service as kb_service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryInfo:
    id: int
    question: str
    answer: list[dict[str, Any]]
    valid_from: datetime | None
    valid_until: datetime | None

    def valid_at(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or now < self.valid_until
        )


@dataclass(frozen=True)
class Hit:
    candidate: Candidate
    entry: EntryInfo


@dataclass(frozen=True)
class Source:
    """What a matcher is built from: an edit that leaves this equal needs no rebuild."""

    entries: tuple[Entry, ...]
    synonyms: tuple[tuple[str, ...], ...]
    stop_words: tuple[str, ...]


@dataclass
class TenantIndex:
    revision: int
    matcher: Matcher | None  # None: the knowledge base is empty
    entries: dict[int, EntryInfo]
    checked_at: float = 0.0  # monotonic time the revision was last found current
    source: Source | None = None
    complete: bool = True  # False: a quick matcher, the full one is being built

    def match(self, text: str, *, k: int = 3, now: datetime | None = None) -> list[Hit]:
        """The ``k`` best entries valid now (an entry outside its validity period is
        passed over, as if it were not there)."""
        if self.matcher is None:
            return []
        now = now or utcnow()
        hits = []
        for candidate in self.matcher.match(text, k=k + 5):
            entry = self.entries.get(candidate.entry_id)
            if entry is not None and entry.valid_at(now):
                hits.append(Hit(candidate, entry))
            if len(hits) == k:
                break
        return hits


class _Reusing:
    """An embedder for one build that reuses the vectors of questions the previous index
    already had, so a rebuild after an edit embeds only what is new."""

    def __init__(self, inner: Embedder, known: dict[str, npt.NDArray[np.float32]]) -> None:
        self.name = inner.name
        self._inner = inner
        self._known = known

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            self._known.update(zip(missing, self._inner.embed(missing), strict=True))
        return np.asarray([self._known[t] for t in texts], dtype=np.float32)


class Knowledge:
    # How long a question waits for a rebuild before the previous index answers it: a small
    # KB rebuilds well within this (an edit is live for the very next question); a large one
    # finishes in the background while the previous revision keeps answering.
    WAIT_FOR_REBUILD_S = 3.0
    # A full build that took longer than this is preceded, next time, by a quick one.
    QUICK_FIRST_S = 0.5

    def __init__(self, db: Database, *, embedding: str = "none") -> None:
        self._db = db
        self._embedding = embedding  # loaded on the first build, in the worker thread
        self._indexes: dict[int, TenantIndex] = {}
        self._builds: dict[int, asyncio.Task[TenantIndex]] = {}
        self._refining: dict[int, asyncio.Task[None]] = {}
        # A revision read in flight per tenant, which agent assist's callers share.
        self._checks: dict[int, asyncio.Task[int]] = {}
        self._warming: asyncio.Task[None] | None = None

    async def index(self, tenant_id: int, *, max_age_s: float = 0.0) -> TenantIndex:
        """The tenant's index at its current revision; with ``max_age_s``, one whose
        revision was checked that recently will do (agent assist, on every message), and
        those callers share one revision read: when the check expires under a thousand
        messages a second, one read goes to the database, not one a message."""
        known = self._indexes.get(tenant_id)
        if known is not None and time.monotonic() - known.checked_at < max_age_s:
            return known
        if max_age_s > 0:
            revision = await self._shared_revision(tenant_id)
        else:  # the bot answering: a read begun after this call, so an edit just made counts
            revision = await self._read_revision(tenant_id)
        if known is not None and known.revision >= revision:
            known.checked_at = time.monotonic()
            return known
        build = self._builds.get(tenant_id)
        if build is None:
            build = asyncio.create_task(self._rebuild(tenant_id), name=f"kb-index-{tenant_id}")
            self._builds[tenant_id] = build
        if known is None or known.matcher is None:
            # Nothing to answer with meanwhile (no index yet, or an empty knowledge base).
            return await asyncio.shield(build)
        try:
            return await asyncio.wait_for(asyncio.shield(build), self.WAIT_FOR_REBUILD_S)
        except TimeoutError:
            return known

    async def _read_revision(self, tenant_id: int) -> int:
        async with self._db.read() as session:
            return await kb_service.current_revision(session, tenant_id=tenant_id)

    async def _shared_revision(self, tenant_id: int) -> int:
        check = self._checks.get(tenant_id)
        if check is None:
            check = asyncio.create_task(
                self._read_revision(tenant_id), name=f"kb-revision-{tenant_id}"
            )
            self._checks[tenant_id] = check
            check.add_done_callback(lambda _: self._checks.pop(tenant_id, None))
        return await asyncio.shield(check)

    def warm(self) -> None:
        """Build every tenant's index in the background (at start), so no customer's first
        question waits for a build."""
        self._warming = asyncio.create_task(self._warm(), name="kb-warm")

    @property
    def warming(self) -> bool:
        """The start-up build of every tenant's index is still running."""
        return self._warming is not None and not self._warming.done()

    async def _warm(self) -> None:
        async with self._db.read() as session:
            tenant_ids = await kb_service.tenants_with_entries(session)
        for tenant_id in tenant_ids:
            try:
                await self.index(tenant_id)
            except Exception:
                log.exception("building the knowledge index of tenant %s failed", tenant_id)

    async def stop(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            await asyncio.gather(self._warming, return_exceptions=True)
        builds = [*self._builds.values(), *self._refining.values()]
        for build in builds:
            build.cancel()
        await asyncio.gather(*builds, return_exceptions=True)

    def known_empty(self, tenant_id: int, *, max_age_s: float) -> bool:
        """The tenant's knowledge base was empty when checked within ``max_age_s``."""
        known = self._indexes.get(tenant_id)
        return (
            known is not None
            and not known.entries
            and time.monotonic() - known.checked_at < max_age_s
        )

    async def _rebuild(self, tenant_id: int) -> TenantIndex:
        try:
            fresh = await self._build(tenant_id)
            fresh.checked_at = time.monotonic()
            self._indexes[tenant_id] = fresh
            return fresh
        finally:
            self._builds.pop(tenant_id, None)

    async def _build(self, tenant_id: int) -> TenantIndex:
        async with self._db.read() as session:
            revision, synonyms, stop_words = await kb_service.read_vocabulary(
                session, tenant_id=tenant_id
            )
            rows = await kb_service.all_entries(session, tenant_id=tenant_id)
        entries = [r for r in rows if r.enabled]
        source = Source(
            entries=tuple(
                Entry(e.id, tuple([e.question, *e.similar]), tuple(e.keywords)) for e in entries
            ),
            synonyms=tuple(tuple(group) for group in synonyms),
            stop_words=tuple(stop_words),
        )
        infos = {
            e.id: EntryInfo(e.id, e.question, e.answer, e.valid_from, e.valid_until)
            for e in entries
        }
        previous = self._indexes.get(tenant_id)
        if previous is not None and previous.source == source:
            # Nothing the matcher reads changed (an answer, a validity period): keep it.
            return TenantIndex(
                revision=revision,
                matcher=previous.matcher,
                entries=infos,
                source=source,
                complete=previous.complete,
            )
        # An empty knowledge base loads no model and no dictionary (a tenant without a bot).
        if not entries:
            return TenantIndex(revision=revision, matcher=None, entries=infos, source=source)
        base = previous.matcher if previous is not None else None
        quick = base is not None and base.build_seconds > self.QUICK_FIRST_S
        started = time.perf_counter()
        matcher = await asyncio.to_thread(self._build_matcher, source, base, not quick)
        log.info(
            "knowledge base of tenant %s, revision %s: %d entries indexed in %.2f s%s",
            tenant_id,
            revision,
            len(entries),
            time.perf_counter() - started,
            " (quick; the full index follows)" if quick else "",
        )
        if quick and tenant_id not in self._refining:
            self._refining[tenant_id] = asyncio.create_task(
                self._refine(tenant_id), name=f"kb-refine-{tenant_id}"
            )
        return TenantIndex(
            revision=revision, matcher=matcher, entries=infos, source=source, complete=not quick
        )

    async def _refine(self, tenant_id: int) -> None:
        """Build the full matcher behind a quick one, until the index in use is complete
        (a further edit while one builds is built next)."""
        try:
            while True:
                # The quick index this refines may still be on its way in.
                build = self._builds.get(tenant_id)
                if build is not None:
                    await asyncio.gather(build, return_exceptions=True)
                index = self._indexes.get(tenant_id)
                if index is None or index.complete or index.source is None:
                    return
                source, base = index.source, index.matcher
                started = time.perf_counter()
                matcher = await asyncio.to_thread(self._build_matcher, source, base, True)
                current = self._indexes.get(tenant_id)
                if current is not None and current.source == source and not current.complete:
                    current.matcher, current.complete = matcher, True
                    log.info(
                        "knowledge base of tenant %s, revision %s: full index in %.2f s",
                        tenant_id,
                        current.revision,
                        time.perf_counter() - started,
                    )
        except Exception:
            log.exception("building the full knowledge index of tenant %s failed", tenant_id)
        finally:
            self._refining.pop(tenant_id, None)

    def _build_matcher(self, source: Source, previous: Matcher | None, full: bool) -> Matcher:
        embedder: Embedder | None = embedding.load(self._embedding)
        if embedder is not None and previous is not None and previous.embedder is not None:
            embedder = _Reusing(embedder, previous.vectors())
        matcher = Matcher.build(
            source.entries,
            vocabulary=Vocabulary.build(source.synonyms, source.stop_words),
            embedder=embedder,
            classifier=full,
        )
        if not full and previous is not None:
            # A quick build is judged by how long the full one it stands in for takes.
            matcher.build_seconds = previous.build_seconds
        if isinstance(embedder, _Reusing):
            matcher.embedder = embedder._inner  # queries go straight to the model
        return matcher

    async def match(self, tenant_id: int, text: str, *, k: int = 3) -> list[Hit]:
        return (await self.index(tenant_id)).match(text, k=k)

    async def entries(self, tenant_id: int, ids: Sequence[int]) -> dict[int, EntryInfo]:
        index = await self.index(tenant_id)
        return {i: index.entries[i] for i in ids if i in index.entries}
