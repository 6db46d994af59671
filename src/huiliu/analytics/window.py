"""A report's filters, checked against the tenant, as a ``Window``: the local days of the
report time zone and the UTC hours whose start falls on them (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account
from huiliu.analytics.models import ReportSettingsRow
from huiliu.analytics.schemas import (
    Period,
    ReportFilters,
)
from huiliu.db.base import utcnow
from huiliu.errors import Forbidden, InvalidInput
from huiliu.routing.models import Group

DEFAULT_TZ = "Asia/Shanghai"
MAX_DAYS = 400
DEFAULT_DAYS = 30
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)
HOUR = timedelta(hours=1)

# Where a report adds up: the hourly buckets, or (with a customer tag) the facts.
Source = Literal["buckets", "conversations"]


def known_channels() -> frozenset[str]:
    """The web widget and apps, and every channel with an adapter in this build."""
    from huiliu.channels.installed import ADAPTERS  # registers them: heavy, so only here

    return frozenset({"web", "app", *(a.channel for a in ADAPTERS)})


@dataclass(frozen=True)
class Window:
    """A report's filters, checked: local days ``first``..``last`` in ``zone``."""

    tenant_id: int
    first: date
    last: date
    tz: str
    channels: tuple[str, ...] = ()
    group_ids: tuple[int, ...] = ()
    agent_ids: tuple[int, ...] = ()
    tag: str | None = None
    business_hours: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def midnight(self, day: date) -> datetime:
        """The local day's start, in UTC."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)

    @property
    def first_hour(self) -> datetime:
        """The first UTC hour whose start is on or after the first local midnight."""
        return _ceil_hour(self.midnight(self.first))

    @property
    def end_hour(self) -> datetime:
        """The first UTC hour past the period (its start is on the day after ``last``)."""
        return _ceil_hour(self.midnight(self.last + timedelta(days=1)))

    def day_of(self, hour: datetime) -> date:
        """The local day a UTC hour counts on: the day its start falls on."""
        return hour.astimezone(self.zone).date()

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def hours(self) -> list[datetime]:
        out, at = [], self.first_hour
        while at < self.end_hour:
            out.append(at)
            at += HOUR
        return out

    @property
    def filtered(self) -> bool:
        """Narrowed to some channels, groups, agents or a tag."""
        return bool(self.channels or self.group_ids or self.agent_ids or self.tag)

    def source(self, forced: Source | None = None) -> Source:
        if forced is not None:
            return forced
        return "conversations" if self.tag is not None else "buckets"

    def period(self, source: Source) -> Period:
        return Period(
            from_=self.first,
            to=self.last,
            tz=self.tz,
            business_hours=self.business_hours,
            source=source,
        )


def _ceil_hour(at: datetime) -> datetime:
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + HOUR


def check_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai", field="tz"
        ) from None


def check_period(
    first: date | None, last: date | None, *, zone: ZoneInfo, now: datetime
) -> tuple[date, date]:
    """The period's days: ``to`` defaults to today in the zone, ``from`` to 29 days before."""
    last = last or now.astimezone(zone).date()
    first = first or (last - timedelta(days=DEFAULT_DAYS - 1))
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST <= day <= LATEST:
            raise InvalidInput(
                f"{name} must be between {EARLIEST} and {LATEST}, not {day}", field=name
            )
    if last < first:
        raise InvalidInput(f"to ({last}) is before from ({first})", field="to")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise InvalidInput(
            f"the period has {days} days; a report covers at most {MAX_DAYS}", field="from"
        )
    return first, last


async def report_timezone(session: AsyncSession, *, tenant_id: int) -> str:
    """The tenant's report time zone (``report_settings``), else Asia/Shanghai."""
    stored = await session.scalar(
        select(ReportSettingsRow.settings).where(ReportSettingsRow.tenant_id == tenant_id)
    )
    name = stored.get("timezone") if isinstance(stored, dict) else None
    if isinstance(name, str):
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return DEFAULT_TZ


async def resolve(
    session: AsyncSession,
    *,
    tenant_id: int,
    filters: ReportFilters,
    now: datetime | None = None,
    scope: frozenset[int] | None = None,
) -> Window:
    """Check ``filters`` against the tenant (422 naming the bad one) into a ``Window``.

    ``scope``: the groups the caller's role reaches (None: all). A caller of some groups
    sees their groups' numbers: no group filter means all of theirs, another group is 403."""
    tz = filters.tz or await report_timezone(session, tenant_id=tenant_id)
    zone = check_zone(tz)
    first, last = check_period(filters.from_, filters.to, zone=zone, now=now or utcnow())
    channels = tuple(dict.fromkeys(filters.channel))
    unknown = sorted(set(channels) - known_channels())
    if unknown:
        raise InvalidInput(
            f"unknown channel {unknown[0]!r} (one of: {', '.join(sorted(known_channels()))})",
            field="channel",
        )
    group_ids = tuple(dict.fromkeys(filters.group_id))
    await _check_ids(session, Group, tenant_id, group_ids, "group", "group_id")
    if scope is not None:
        outside = [g for g in group_ids if g not in scope]
        if outside:
            raise Forbidden(f"group {outside[0]} is outside your role's scope", field="group_id")
        if not scope:
            raise Forbidden("your role's scope holds no group: join one to see its reports")
        group_ids = group_ids or tuple(sorted(scope))
    agent_ids = tuple(dict.fromkeys(filters.agent_id))
    await _check_ids(session, Account, tenant_id, agent_ids, "account", "agent_id")
    tag = filters.tag.strip() if filters.tag is not None else None
    if tag == "":
        raise InvalidInput("tag must not be blank", field="tag")
    return Window(
        tenant_id=tenant_id,
        first=first,
        last=last,
        tz=tz,
        channels=channels,
        group_ids=group_ids,
        agent_ids=agent_ids,
        tag=tag,
        business_hours=filters.business_hours,
    )


async def _check_ids(
    session: AsyncSession, model: Any, tenant_id: int, ids: Sequence[int], what: str, name: str
) -> None:
    if not ids:
        return
    found = set(
        await session.scalars(
            select(model.id).where(model.tenant_id == tenant_id, model.id.in_(ids))
        )
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"no {what} {missing[0]} in this tenant", field=name)
