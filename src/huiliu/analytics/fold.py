"""The report fold: a conversation's facts computed from its raw rows, stored with their
bucket contributions (``rollup.save_facts``) and, once it closed, its hot-word terms.
docs/analytics.md tells the rules.

The outbox job ``analytics.conversation`` (queued by ``analytics.triggers`` in the
transaction of every change a report counts) runs ``run_job``; ``huiliu analytics rebuild``
runs ``fold`` over every conversation in batches. Both read the truth when they run, so a
job run twice, late or out of order, changes nothing: a fold is a function of the raw rows.

The facts (``facts_of``, the one definition; docs/analytics.md says the same):

- ``opened_at``: the conversation's creation (its ``opened`` event).
- ``bot_served``: the bot served it first (the conversation is with the bot, or has a bot
  message or a handoff in its log).
- ``queued_at``: when it first needed a person — its opening, for a conversation that never
  had the bot; otherwise the first of the bot's handoff, a transfer, an assignment and a
  person's message (an agent who takes a conversation from the bot is its first need), or,
  for one the customer moved to a queue by a menu choice, the queue time on its row. None:
  the bot alone.
- ``handed_over``: ``queued_at`` is set (it reached the queue or a person).
- ``assigned_at``: its first ``assigned`` event.
- ``first_response_at``: the first message by a person (sender ``agent``) at or after
  ``queued_at``.
- ``closed_at``: its ``closed`` event (the row's ``closed_at`` for one closed without one).
- ``wait_s`` = assigned − queued; ``first_response_s`` = first response − queued;
  ``handling_s`` = closed − first assignment (seconds; None until both ends exist).
- ``wait_bh_s``, ``first_response_bh_s``: the same in business hours
  (``tickets.sla.Clock(hours).between``) over the working hours of the conversation's group,
  else the tenant's report settings' hours, else calendar time (equal to the plain ones).
- ``closed_by``: ``agent`` (the closed event names an account), ``timeout`` (the routing
  timeout's idle close), ``system`` (the phone channel closing after the call), else
  ``customer``.
- ``transfers``: ``transferred`` events made by a person (a return to the queue after a
  reply timeout or an agent leaving is the system's, not a transfer).
- ``messages_customer`` / ``messages_agent`` / ``messages_bot``: messages by sender type
  (system events and notices not counted).
- ``agent_id``: the agent who served last (the last ``assigned`` event's, else the last
  person who wrote; None: no person). ``group_id``: the conversation's (last) group.
- ``surveyed``, ``rating_score``, ``rating_scale``: its satisfaction survey (asked; its score
  on its scale once answered); without a survey, the legacy ``rating_score`` on 5 points.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from huiliu.analytics import rollup, terms
from huiliu.analytics import settings as report_settings
from huiliu.analytics.settings import ReportSettings
from huiliu.analytics.triggers import KIND
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.outbox.registry import Context, Job, Outcome
from huiliu.routing.hours import WorkingHours
from huiliu.routing.models import Group
from huiliu.satisfaction.models import Survey
from huiliu.tickets.sla import Clock

__all__ = ["KIND", "facts_from_raw", "facts_of", "fold", "run_job", "run_jobs"]

conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)
groups = cast(Table, Group.__table__)
surveys = cast(Table, Survey.__table__)

# How closes without an account are told apart (the events carry no "by"): the routing
# timeout's reason (routing/timeouts.py) and the phone channel's (channels/phone/actions.py).
TIMEOUT_CLOSE = re.compile(r"^idle for \d+ min$")
SYSTEM_CLOSE_REASONS = frozenset({"通话结束"})
LEGACY_SCALE = 5  # conversations.rating_score: 1–5 stars

CONVERSATION_COLUMNS = (
    "id",
    "tenant_id",
    "contact_id",
    "channel",
    "status",
    "group_id",
    "with_bot",
    "queued_at",
    "created_at",
    "closed_at",
    "rating_score",
)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _business(clock: Clock, start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return clock.between(start, end)


def facts_of(
    conversation: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    survey: Mapping[str, Any] | None,
    hours: WorkingHours | None,
) -> dict[str, Any]:
    """Every ``rollup.FACT_FIELDS`` value of one conversation, from its row (the
    ``CONVERSATION_COLUMNS``), its messages in ``seq`` order (``sender_type``, ``sender_id``,
    ``content_type``, ``content`` — events' at least — and ``created_at``), its survey row
    (``scale``, ``score``) and the business hours that apply (None: calendar time). Pure:
    the fold and the benchmark's generator share it."""
    opened_at: datetime = conversation["created_at"]
    bot = bool(conversation["with_bot"])
    handoff_at: datetime | None = None
    transfer_at: datetime | None = None
    assigned_at: datetime | None = None
    closed_at: datetime | None = None
    closed_event: Mapping[str, Any] | None = None
    agent_times: list[datetime] = []
    last_assigned: int | None = None
    last_writer: int | None = None
    transfers = 0
    counts = {SenderType.contact.value: 0, SenderType.agent.value: 0, SenderType.bot.value: 0}
    for message in messages:
        sender = str(message["sender_type"])
        at: datetime = message["created_at"]
        if sender in counts:
            counts[sender] += 1
        if sender == SenderType.bot.value:
            bot = True
        elif sender == SenderType.agent.value:
            agent_times.append(at)
            if message["sender_id"] is not None:
                last_writer = int(message["sender_id"])
        if message["content_type"] != "event":
            continue
        content = message["content"] or {}
        event = content.get("event")
        if event == "handoff":
            bot = True
            handoff_at = handoff_at or at
        elif event == "assigned":
            assigned_at = assigned_at or at
            if content.get("account_id") is not None:
                last_assigned = int(content["account_id"])
        elif event == "transferred":
            transfer_at = transfer_at or at
            if content.get("account_id") is not None:
                transfers += 1
        elif event == "closed":
            closed_at, closed_event = at, content
    if closed_at is None and conversation["status"] == ConversationStatus.closed.value:
        closed_at = conversation["closed_at"]

    if not bot:
        queued_at: datetime | None = opened_at
    else:
        needs = [
            t
            for t in (handoff_at, transfer_at, assigned_at, agent_times[0] if agent_times else None)
            if t is not None
        ]
        if not needs and not conversation["with_bot"] and conversation["queued_at"] is not None:
            needs.append(conversation["queued_at"])  # a menu choice put it in a queue
        queued_at = min(needs) if needs else None
    first_response_at = (
        next((t for t in agent_times if t >= queued_at), None) if queued_at is not None else None
    )

    closed_by: str | None = None
    if closed_at is not None:
        event_content = closed_event or {}
        reason = str(event_content.get("reason") or "")
        if event_content.get("account_id") is not None:
            closed_by = "agent"
        elif TIMEOUT_CLOSE.match(reason):
            closed_by = "timeout"
        elif closed_event is None or reason in SYSTEM_CLOSE_REASONS:
            closed_by = "system"
        else:
            closed_by = "customer"

    score: int | None = None
    scale: int | None = None
    if survey is not None:
        surveyed = True
        if survey["score"] is not None:
            score, scale = int(survey["score"]), int(survey["scale"])
    else:
        surveyed = conversation["rating_score"] is not None
        if surveyed:
            score, scale = int(conversation["rating_score"]), LEGACY_SCALE

    clock = Clock(hours)
    return {
        "tenant_id": conversation["tenant_id"],
        "contact_id": conversation["contact_id"],
        "channel": conversation["channel"],
        "group_id": conversation["group_id"],
        "agent_id": last_assigned if last_assigned is not None else last_writer,
        "opened_at": opened_at,
        "queued_at": queued_at,
        "assigned_at": assigned_at,
        "first_response_at": first_response_at,
        "closed_at": closed_at,
        "closed_by": closed_by,
        "handed_over": queued_at is not None,
        "bot_served": bot,
        "wait_s": _seconds(queued_at, assigned_at),
        "wait_bh_s": _business(clock, queued_at, assigned_at),
        "first_response_s": _seconds(queued_at, first_response_at),
        "first_response_bh_s": _business(clock, queued_at, first_response_at),
        "handling_s": _seconds(assigned_at, closed_at),
        "transfers": transfers,
        "messages_customer": counts[SenderType.contact.value],
        "messages_agent": counts[SenderType.agent.value],
        "messages_bot": counts[SenderType.bot.value],
        "surveyed": surveyed,
        "rating_score": score,
        "rating_scale": scale,
    }


def customer_texts(messages: Sequence[Mapping[str, Any]]) -> list[str]:
    """The customer's own words (``read_raw``'s ``text``: their text messages, menu taps
    left out), the first ``terms.MAX_TEXT_CHARS`` characters of them: the fold segments
    them in its write transaction, and a conversation of a thousand long messages must not
    hold it for seconds."""
    out: list[str] = []
    room = terms.MAX_TEXT_CHARS
    for m in messages:
        text = m.get("text")
        if text:
            out.append(str(text)[:room])
            room -= len(out[-1])
            if room <= 0:
                break
    return out


@dataclass(frozen=True)
class Stamp:
    """What a fold's result depends on, in a few rows: messages are never changed or
    deleted and their seqs have no gap, so their count stands for all of them."""

    conversation: dict[str, Any]
    hours: WorkingHours | None
    messages: int
    survey: dict[str, Any] | None


@dataclass
class Raw:
    """What the fold reads of one conversation."""

    conversation: dict[str, Any]
    hours: WorkingHours | None  # its group's working hours
    messages: list[dict[str, Any]]
    survey: dict[str, Any] | None

    def stamp(self) -> Stamp:
        return Stamp(self.conversation, self.hours, len(self.messages), self.survey)


async def read_raw(
    conn: AsyncConnection,
    conversation_ids: Sequence[int],
    *,
    tenant_id: int | None = None,
    lock: bool = True,
) -> dict[int, Raw]:
    """The raw rows of these conversations (only ``tenant_id``'s, when given), in three
    statements; with ``lock``, locked against changes until the caller's transaction ends."""
    out = await _read_heads(conn, conversation_ids, tenant_id=tenant_id, lock=lock)
    if out:
        await _read_messages(conn, out)
        await _read_surveys(conn, out)
    return out


async def read_stamps(
    conn: AsyncConnection, conversation_ids: Sequence[int], *, tenant_id: int
) -> dict[int, Stamp]:
    """The stamps of these conversations as they are now, their rows locked as by
    ``read_raw``: three short statements, whatever the conversations' length."""
    heads = await _read_heads(conn, conversation_ids, tenant_id=tenant_id, lock=True)
    if not heads:
        return {}
    await _read_surveys(conn, heads)
    result = await conn.execute(
        select(messages.c.conversation_id, func.count())
        .where(messages.c.conversation_id.in_(sorted(heads)))
        .group_by(messages.c.conversation_id)
    )
    counts: dict[int, int] = {int(cid): int(n) for cid, n in result}
    return {
        cid: Stamp(raw.conversation, raw.hours, counts.get(cid, 0), raw.survey)
        for cid, raw in heads.items()
    }


async def _read_heads(
    conn: AsyncConnection, conversation_ids: Sequence[int], *, tenant_id: int | None, lock: bool
) -> dict[int, Raw]:
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    query = (
        select(
            *(conversations.c[name] for name in CONVERSATION_COLUMNS),
            groups.c.working_hours,
        )
        .select_from(conversations.outerjoin(groups, groups.c.id == conversations.c.group_id))
        .where(conversations.c.id.in_(ids))
        .order_by(conversations.c.id)
    )
    if lock:
        # The writers of a conversation lock its row: a fold never saves facts older than
        # ones another fold saved after a later change. FOR NO KEY UPDATE: inserts that
        # refer to the conversation (a ticket, a message) do not wait for the fold.
        query = query.with_for_update(of=conversations, key_share=True)
    if tenant_id is not None:
        query = query.where(conversations.c.tenant_id == tenant_id)
    out: dict[int, Raw] = {}
    for row in (await conn.execute(query)).mappings():
        hours = row["working_hours"]
        out[int(row["id"])] = Raw(
            conversation={name: row[name] for name in CONVERSATION_COLUMNS},
            hours=WorkingHours.model_validate(hours) if hours else None,
            messages=[],
            survey=None,
        )
    return out


async def _read_messages(
    conn: AsyncConnection, out: dict[int, Raw], *, after: Mapping[int, int] | None = None
) -> None:
    """Append to each conversation of ``out`` its messages in seq order (with ``after``:
    only those of the conversations it names, and only after the seq it gives)."""
    # Content only where the fold looks at it: events whole; of a closed conversation's
    # customer texts (menu taps left out; the hot words count them once it closed) the
    # text alone, cut to what the hot words count, extracted by the database (no JSON
    # parsing of long conversations in Python).
    closed = sorted(
        cid
        for cid, raw in out.items()
        if raw.conversation["status"] == ConversationStatus.closed.value
    )
    text_column: Any = literal(None)
    if closed:
        own_text = and_(
            messages.c.conversation_id.in_(closed),
            messages.c.sender_type == SenderType.contact.value,
            messages.c.content_type == "text",
            messages.c.content["button_id"].as_string().is_(None),
        )
        text_column = case(
            (
                own_text,
                func.substr(messages.c.content["text"].as_string(), 1, terms.MAX_TEXT_CHARS),
            ),
            else_=None,
        )
    where: ColumnElement[bool]
    if after is None:
        where = messages.c.conversation_id.in_(sorted(out))
    else:
        where = or_(
            *(
                and_(messages.c.conversation_id == cid, messages.c.seq > seq)
                for cid, seq in sorted(after.items())
            )
        )
    result = await conn.execute(
        select(
            messages.c.conversation_id,
            messages.c.sender_type,
            messages.c.sender_id,
            messages.c.content_type,
            case((messages.c.content_type == "event", messages.c.content), else_=None).label(
                "content"
            ),
            text_column.label("text"),
            messages.c.created_at,
        )
        .where(where)
        .order_by(messages.c.conversation_id, messages.c.seq)
    )
    keys = list(result.keys())
    for values in result:
        message = dict(zip(keys, values, strict=True))
        out[int(message["conversation_id"])].messages.append(message)


async def _read_surveys(conn: AsyncConnection, out: dict[int, Raw]) -> None:
    found = sorted(out)
    for s in (
        await conn.execute(
            select(surveys.c.conversation_id, surveys.c.scale, surveys.c.score).where(
                surveys.c.conversation_id.in_(found)
            )
        )
    ).mappings():
        out[int(s["conversation_id"])].survey = dict(s)


async def facts_from_raw(conn: AsyncConnection, conversation_id: int) -> dict[str, Any] | None:
    """Every ``rollup.FACT_FIELDS`` value of the conversation, computed from its raw rows
    (None: no such conversation)."""
    raw = (await read_raw(conn, [conversation_id])).get(conversation_id)
    if raw is None:
        return None
    settings = await report_settings.get(conn, tenant_id=raw.conversation["tenant_id"])
    return facts_of(
        raw.conversation, raw.messages, raw.survey, raw.hours or settings.business_hours
    )


LOCK_SPACE = 0x6166  # the report tables' advisory locks (routing's tenant lock is 0x6875)


async def lock_tenant_shared(conn: AsyncConnection, tenant_id: int) -> None:
    """Folds of a tenant run side by side; ``rebuild.clear`` takes this lock exclusively
    for each of its steps, so no fold is half on either side of one (PostgreSQL; SQLite
    runs one writer at a time anyway)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock_shared(:space, :tenant)"),
            {"space": LOCK_SPACE, "tenant": tenant_id},
        )


@dataclass(frozen=True)
class Folded:
    """The conversations a fold found and folded, and those whose facts or terms changed."""

    found: frozenset[int] = frozenset()
    facts: frozenset[int] = frozenset()
    terms: frozenset[int] = frozenset()

    @property
    def conversations(self) -> int:
        return len(self.found)

    @property
    def facts_changed(self) -> int:
        return len(self.facts)

    @property
    def terms_changed(self) -> int:
        return len(self.terms)


@dataclass
class Prepared:
    """A conversation's fold computed outside the write transaction (``prepare``), and
    what it was computed from."""

    stamp: Stamp
    settings: ReportSettings
    analyzer: terms.TermAnalyzer | None  # for a closed conversation
    facts: dict[str, Any]
    day_terms: terms.DayTerms | None
    raw: Raw  # what it was computed from: a conversation that only grew adds its new rows

    def grown_into(self, now: Stamp) -> bool:
        """``now`` is this stamp with messages added and nothing else changed, in a
        conversation still open (a closed one takes none, and its terms need them all)."""
        before = self.stamp
        return (
            now.messages > before.messages
            and now.conversation == before.conversation
            and now.hours == before.hours
            and now.survey == before.survey
            and now.conversation["status"] != ConversationStatus.closed.value
        )


Result = tuple[dict[str, Any], terms.DayTerms | None]  # facts; a closed one's day terms


def _facts(raws: Mapping[int, Raw], settings: ReportSettings) -> dict[int, dict[str, Any]]:
    return {
        cid: facts_of(
            raw.conversation, raw.messages, raw.survey, raw.hours or settings.business_hours
        )
        for cid, raw in raws.items()
    }


def _terms(
    raws: Mapping[int, Raw],
    facts: Mapping[int, dict[str, Any]],
    settings: ReportSettings,
    analyzer: terms.TermAnalyzer | None,
) -> dict[int, Result]:
    """Each conversation's facts with, once it closed, its customer's terms on the day it
    opened (``analyzer`` is given when one is closed)."""
    out: dict[int, Result] = {}
    for cid, f in facts.items():
        day_terms = None
        if f["closed_at"] is not None and analyzer is not None:
            day = f["opened_at"].astimezone(settings.zone).date()
            day_terms = (day, analyzer.terms(customer_texts(raws[cid].messages)))
        out[cid] = (f, day_terms)
    return out


def _any_closed(facts: Mapping[int, dict[str, Any]]) -> bool:
    return any(f["closed_at"] is not None for f in facts.values())


_PREPARING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _preparing() -> asyncio.Semaphore:
    """One fold prepares at a time on an event loop: an outbox batch holds fifty, and fifty
    threads reading and segmenting at once would keep the interpreter lock from the message
    writer's thread for hundreds of milliseconds; one after another they take as long."""
    loop = asyncio.get_running_loop()
    if loop not in _PREPARING:
        _PREPARING[loop] = asyncio.Semaphore(1)
    return _PREPARING[loop]


async def prepare(
    conn: AsyncConnection, *, tenant_id: int, conversation_ids: Sequence[int]
) -> dict[int, Prepared]:
    """A fold's reading and computing, on a read connection, the computing in a thread
    (jieba's segmentation of a long conversation takes tens of milliseconds): ``fold`` then
    only checks that nothing changed and saves, so the single writer waits for no
    segmentation and the event loop for none of it."""
    async with _preparing():
        raws = await read_raw(conn, conversation_ids, tenant_id=tenant_id, lock=False)
        if not raws:
            return {}
        settings = await report_settings.get(conn, tenant_id=tenant_id)
        facts = await asyncio.to_thread(_facts, raws, settings)
        analyzer = await terms.analyzer_for(conn, tenant_id) if _any_closed(facts) else None
        results = await asyncio.to_thread(_terms, raws, facts, settings, analyzer)
    return {
        cid: Prepared(raws[cid].stamp(), settings, analyzer, f, day_terms, raws[cid])
        for cid, (f, day_terms) in results.items()
    }


async def fold(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    conversation_ids: Sequence[int],
    prepared: Mapping[int, Prepared] | None = None,
) -> Folded:
    """Recompute and store the facts of these conversations of the tenant (and the terms of
    the closed ones), in the caller's write transaction. Ids of another tenant's or of no
    conversation are skipped. A ``prepared`` result is saved as it is when the
    conversation's rows, the settings and the analyzer are still the ones it was computed
    from; one whose open conversation has only taken messages since is computed again from
    what it read and the new messages alone (a busy conversation takes messages between the
    read and the write, and its whole history is not read again inside the transaction);
    the others are computed here."""
    await lock_tenant_shared(conn, tenant_id)
    settings = await report_settings.get(conn, tenant_id=tenant_id)
    results: dict[int, Result] = {}
    rest = sorted(set(conversation_ids))
    if prepared:
        stamps = await read_stamps(conn, rest, tenant_id=tenant_id)
        analyzer = None
        if any(p.analyzer is not None for p in prepared.values()):
            analyzer = await terms.analyzer_for(conn, tenant_id)
        grown: dict[int, Raw] = {}
        for cid in rest:
            p = prepared.get(cid)
            now = stamps.get(cid)
            if p is None or now is None or p.settings != settings:
                continue
            if now == p.stamp and (p.analyzer is None or p.analyzer is analyzer):
                results[cid] = (p.facts, p.day_terms)
            elif p.grown_into(now):
                grown[cid] = replace(p.raw, messages=list(p.raw.messages))
        if grown:
            await _read_messages(
                conn, grown, after={cid: prepared[cid].stamp.messages for cid in grown}
            )
            for cid, raw in grown.items():
                if len(raw.messages) == stamps[cid].messages:
                    results[cid] = (_facts({cid: raw}, settings)[cid], None)
        # Gone, of another tenant, or changed since it was read: computed here.
        rest = [cid for cid in rest if cid in stamps and cid not in results]
    if rest:
        raws = await read_raw(conn, rest, tenant_id=tenant_id)
        facts = _facts(raws, settings)
        analyzer = await terms.analyzer_for(conn, tenant_id) if _any_closed(facts) else None
        results.update(_terms(raws, facts, settings, analyzer))
    if not results:
        return Folded()
    changed = await rollup.save_facts(conn, {cid: facts for cid, (facts, _) in results.items()})
    day_terms = {cid: t for cid, (_, t) in results.items() if t is not None}
    terms_changed: list[int] = []
    if day_terms:
        terms_changed = await terms.save_terms(conn, tenant_id=tenant_id, new=day_terms)
    return Folded(frozenset(results), frozenset(changed), frozenset(terms_changed))


async def run_job(ctx: Context, job: Job) -> Outcome:
    """The outbox handler of ``analytics.conversation``: fold one conversation (``run_jobs``
    with one job)."""
    return (await run_jobs(ctx, [job]))[0]


async def run_jobs(ctx: Context, jobs: Sequence[Job]) -> list[Outcome]:
    """The batch handler of ``analytics.conversation``: fold the jobs' conversations, a
    tenant's together — read and computed on one read connection, checked and saved in one
    short write transaction (fifty folds, one commit: the message writer waits for one turn
    of the write gate, not fifty). A conversation gone, or of another tenant, is done with
    nothing to do; a job without a conversation id fails."""
    outcomes: dict[int, Outcome] = {}
    tenants: dict[int, dict[int, int]] = {}  # tenant → job id → conversation id
    for job in jobs:
        cid = job.payload.get("conversation_id")
        if not isinstance(cid, int) or isinstance(cid, bool):
            outcomes[job.id] = Outcome.failed(f"payload has no conversation_id: {job.payload!r}")
        else:
            tenants.setdefault(job.tenant_id, {})[job.id] = cid
    for tenant_id, cids in tenants.items():
        ids = sorted(set(cids.values()))
        async with ctx.db.read() as session:
            ready = await prepare(
                await session.connection(), tenant_id=tenant_id, conversation_ids=ids
            )
        async with ctx.db.write_connection() as conn:
            folded = await fold(conn, tenant_id=tenant_id, conversation_ids=ids, prepared=ready)
        for job_id, cid in cids.items():
            outcomes[job_id] = Outcome.done(
                {
                    "found": cid in folded.found,
                    "facts_changed": cid in folded.facts,
                    "terms_changed": cid in folded.terms,
                }
            )
    return [outcomes[job.id] for job in jobs]
