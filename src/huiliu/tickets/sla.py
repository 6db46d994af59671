"""SLA clocks: due times in business hours (routing.hours.WorkingHours) or calendar time.

A ticket's clocks start when it is created. First response: the first public comment by an
agent. Resolution: solved; pending stops this clock (``paused_s`` counts the business or
calendar seconds it stood still) and its due time moves on by as much.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from huiliu.routing.hours import DAYS, WorkingHours
from huiliu.tickets.models import Ticket, TicketStatus
from huiliu.tickets.schemas import ClockState, SlaClock, SlaPolicy, SlaState

MAX_DAYS = 800  # a calendar without opening hours never ends; give up after this


class Clock:
    """Adds and measures working time: business hours, or every second when ``hours`` is
    None."""

    def __init__(self, hours: WorkingHours | None) -> None:
        self.hours = hours

    def _spans(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening spans (UTC) from ``start`` on, in order (local days, so DST is right)."""
        assert self.hours is not None
        zone = ZoneInfo(self.hours.timezone)
        day = start.astimezone(zone).date()
        for n in range(MAX_DAYS):
            current = day + timedelta(days=n)
            if current in self.hours.holidays:
                continue
            for span in self.hours.weekly.get(DAYS[current.weekday()], []):
                a = datetime.combine(current, span.start, zone).astimezone(UTC)
                b = datetime.combine(current, span.end, zone).astimezone(UTC)
                if b > start:
                    yield max(a, start), b

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` of working time after ``start``."""
        if self.hours is None:
            return start + timedelta(seconds=seconds)
        left = seconds
        for a, b in self._spans(start):
            length = (b - a).total_seconds()
            if left <= length:
                return a + timedelta(seconds=left)
            left -= length
        return start + timedelta(days=MAX_DAYS)

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds from ``start`` to ``end``."""
        if end <= start:
            return 0.0
        if self.hours is None:
            return (end - start).total_seconds()
        total = 0.0
        for a, b in self._spans(start):
            if a >= end:
                break
            total += (min(b, end) - a).total_seconds()
        return total


def apply_targets(ticket: Ticket, policy: SlaPolicy | None, clock: Clock) -> None:
    """Set the ticket's due and warning times from its priority's targets (on creation and
    on a change of priority; counted from creation, plus the time spent pending)."""
    target = policy.targets.get(ticket.priority) if policy is not None else None
    share = policy.warning_share if policy is not None else 0.8
    start = ticket.created_at
    if target is not None and target.first_response_min is not None:
        s = target.first_response_min * 60
        ticket.first_response_due_at = clock.add(start, s)
        ticket.first_response_warn_at = clock.add(start, s * share)
    else:
        ticket.first_response_due_at = ticket.first_response_warn_at = None
    if target is not None and target.resolution_min is not None:
        s = target.resolution_min * 60
        ticket.resolution_due_at = clock.add(start, s + ticket.paused_s)
        ticket.resolution_warn_at = clock.add(start, s * share + ticket.paused_s)
    else:
        ticket.resolution_due_at = ticket.resolution_warn_at = None


def state_of(ticket: Ticket, now: datetime) -> SlaState:
    fr_state = _state(
        due=ticket.first_response_due_at,
        warn=ticket.first_response_warn_at,
        done_at=ticket.first_response_at,
        paused=False,
        now=now,
        marked=_mark(ticket.first_response_warned, ticket.first_response_breached),
    )
    if ticket.status in (TicketStatus.solved, TicketStatus.closed) and fr_state == "running":
        fr_state = "met"  # solved without needing an answer
    res_state = _state(
        due=ticket.resolution_due_at,
        warn=ticket.resolution_warn_at,
        done_at=ticket.solved_at,
        paused=ticket.status == TicketStatus.pending,
        now=now,
        marked=_mark(ticket.resolution_warned, ticket.resolution_breached),
    )
    return SlaState(
        first_response=SlaClock(due_at=ticket.first_response_due_at, state=fr_state),
        resolution=SlaClock(due_at=ticket.resolution_due_at, state=res_state),
        breached=ticket.first_response_breached
        or ticket.resolution_breached
        or "breached" in (fr_state, res_state),
    )


def _state(
    *,
    due: datetime | None,
    warn: datetime | None,
    done_at: datetime | None,
    paused: bool,
    now: datetime,
    marked: ClockState | None,
) -> ClockState:
    """``marked``: what the sweep recorded (its clock may run ahead of this reader's)."""
    if due is None:
        return "none"
    if done_at is not None:
        return "met" if done_at <= due else "breached"
    if now >= due or marked == "breached":
        return "breached"
    if paused:
        return "paused"
    if (warn is not None and now >= warn) or marked == "warning":
        return "warning"
    return "running"


def _mark(warned: bool, breached: bool) -> ClockState | None:
    return "breached" if breached else "warning" if warned else None
