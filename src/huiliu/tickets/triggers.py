"""What time sets off on tickets: the periodic SLA sweep each process runs (marks once per
clock, closes solved tickets past the reopen window), and the hook a customer's left
message calls."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.bus import Bus
from huiliu.bus.events import Event
from huiliu.db import Database
from huiliu.db.base import scoped, utcnow
from huiliu.periodic import Periodic
from huiliu.tickets import actions, service
from huiliu.tickets.models import Ticket, TicketStatus

log = logging.getLogger(__name__)


class SlaSweeper(Periodic):
    name = "ticket-sla-sweep"

    def __init__(self, db: Database, bus: Bus, *, every_s: float) -> None:
        super().__init__(every_s=every_s)
        self._db = db
        self._bus = bus

    async def once(self) -> int:
        return await self.sweep_once()

    async def sweep_once(self, now: datetime | None = None) -> int:
        """One sweep (``now``: a test's clock); how many tickets it told about."""
        # Several processes may sweep at once: the row locks (and the flags checked under
        # them) keep each mark single.
        events = await sweep(self._db, now=now)
        if events:
            await self._bus.publish(events)
        return len(events)


async def on_left_message(
    db: Database, bus: Bus, *, tenant_id: int, conversation_id: int, text: str
) -> None:
    """Called after a customer's left message is stored; never fails the customer's call."""
    try:
        await actions.on_left_message(
            db, bus, tenant_id=tenant_id, conversation_id=conversation_id, text=text
        )
    except Exception:
        log.exception("making a ticket of a left message failed (conversation %d)", conversation_id)


async def sweep(db: Database, *, now: datetime | None = None, limit: int = 500) -> list[Event]:
    """Mark the tickets whose SLA warning or due time has come (each mark once, in the
    history), and close solved tickets past their tenant's reopen window. Returns the
    events to publish (the caller does, after this commit)."""
    now = now or utcnow()
    out: list[Event] = []
    async with db.write() as session:
        open_ = TicketStatus.open.value
        live = [open_, TicketStatus.pending.value]
        fr_wait = Ticket.first_response_at.is_(None) & Ticket.status.in_(live)
        candidates = (
            await session.scalars(
                select(Ticket)
                .where(
                    (
                        fr_wait
                        & (
                            (Ticket.first_response_warned.is_(False))
                            & (Ticket.first_response_warn_at <= now)
                            | (Ticket.first_response_breached.is_(False))
                            & (Ticket.first_response_due_at <= now)
                        )
                    )
                    | (
                        (Ticket.status == open_)
                        & (
                            (Ticket.resolution_warned.is_(False))
                            & (Ticket.resolution_warn_at <= now)
                            | (Ticket.resolution_breached.is_(False))
                            & (Ticket.resolution_due_at <= now)
                        )
                    )
                )
                .order_by(Ticket.id)
                .limit(limit)
                .with_for_update()
            )
        ).all()
        for ticket in candidates:
            marks = _sla_marks(ticket, now)
            for clock, mark in marks:
                actions.record(
                    session, ticket, ("system", None), now, kind="sla", field=clock, new=mark
                )
            if marks:
                _detail, event = await actions.ticket_event(session, ticket, "sla", now)
                out.append(event)
        out.extend(await _close_solved(session, now, limit))
    return out


def _sla_marks(ticket: Ticket, now: datetime) -> list[tuple[str, str]]:
    marks: list[tuple[str, str]] = []
    if ticket.first_response_at is None and ticket.status in (
        TicketStatus.open,
        TicketStatus.pending,
    ):
        due, warn = ticket.first_response_due_at, ticket.first_response_warn_at
        if due is not None and due <= now and not ticket.first_response_breached:
            ticket.first_response_breached = ticket.first_response_warned = True
            marks.append(("first_response", "breached"))
        elif warn is not None and warn <= now and not ticket.first_response_warned:
            ticket.first_response_warned = True
            marks.append(("first_response", "warning"))
    if ticket.status == TicketStatus.open:
        due, warn = ticket.resolution_due_at, ticket.resolution_warn_at
        if due is not None and due <= now and not ticket.resolution_breached:
            ticket.resolution_breached = ticket.resolution_warned = True
            marks.append(("resolution", "breached"))
        elif warn is not None and warn <= now and not ticket.resolution_warned:
            ticket.resolution_warned = True
            marks.append(("resolution", "warning"))
    return marks


async def _close_solved(session: AsyncSession, now: datetime, limit: int) -> list[Event]:
    tenants = await session.scalars(
        select(Ticket.tenant_id).where(Ticket.status == TicketStatus.solved.value).distinct()
    )
    out: list[Event] = []
    for tenant_id in list(tenants):
        settings = await service.get_settings(session, tenant_id=tenant_id)
        cutoff = now - timedelta(days=settings.reopen_window_days)
        due = await session.scalars(
            scoped(select(Ticket), Ticket, tenant_id)
            .where(Ticket.status == TicketStatus.solved.value, Ticket.solved_at <= cutoff)
            .order_by(Ticket.id)
            .limit(limit)
            .with_for_update()
        )
        for ticket in list(due):
            ticket.status = TicketStatus.closed
            ticket.closed_at = ticket.updated_at = now
            actions.record(
                session,
                ticket,
                ("system", None),
                now,
                kind="field",
                field="status",
                old="solved",
                new="closed",
            )
            _detail, event = await actions.ticket_event(session, ticket, "updated", now)
            out.append(event)
    return out
