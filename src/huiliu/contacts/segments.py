"""Segments: saved filters over customers' tags, attributes, channels, name and sign-up
date, compiled into one SQL WHERE over ``contacts`` (EXISTS subqueries), so counts are live
and the customer directory lists by the same compiler (docs/profile.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import and_, exists, func, literal, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from huiliu.analytics.window import report_timezone
from huiliu.contacts import rules
from huiliu.contacts.models import Segment
from huiliu.contacts.rules import AttributeKey, AttributeOp, ChannelName, Scalar
from huiliu.contacts.schemas import Tag
from huiliu.db.base import LIKE_ESCAPE, contains, scoped, utcnow
from huiliu.errors import Conflict, InvalidInput, NotFound

MAX_SEGMENTS = 200
contacts, tags = rules.contacts, rules.tags


class AttributeFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: AttributeKey
    op: AttributeOp
    value: Scalar | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> AttributeFilter:
        rules.check_attribute_value(self.op, self.value)
        return self


class SegmentFilter(BaseModel):
    """Every part given must hold (an empty list says nothing)."""

    model_config = ConfigDict(extra="forbid")

    tags_all: list[Tag] = Field(
        default_factory=list, max_length=20, description="has every one of these tags"
    )
    tags_any: list[Tag] = Field(
        default_factory=list, max_length=20, description="has at least one of these tags"
    )
    tags_none: list[Tag] = Field(
        default_factory=list, max_length=20, description="has none of these tags"
    )
    attributes: list[AttributeFilter] = Field(default_factory=list, max_length=20)
    channels: list[ChannelName] = Field(
        default_factory=list, max_length=10, description="reachable on any of these"
    )
    q: str | None = Field(
        default=None, max_length=100, description="name, e-mail or phone contains it"
    )
    created_after: date | None = Field(
        default=None, description="became a customer on or after this day (report time zone)"
    )
    created_before: date | None = Field(
        default=None, description="became a customer on or before this day"
    )

    @model_validator(mode="after")
    def _dates(self) -> SegmentFilter:
        if self.created_after and self.created_before and self.created_after > self.created_before:
            raise ValueError("created_before: must not be before created_after")
        return self


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    filter: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    filter: SegmentFilter | None = None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: SegmentFilter


class ContactRow(BaseModel):
    """A customer in a list: the directory, a segment's members, a preview's sample."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str | None
    email: str | None
    phone: str | None
    tags: list[str]
    created_at: datetime
    last_seen_at: datetime | None = Field(
        description="their latest page opened or message written, if any"
    )


class ContactPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[ContactRow]
    total: int


class SegmentOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    filter: SegmentFilter
    count: int = Field(description="customers in it now")
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class Preview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int
    contacts: list[ContactRow] = Field(description="the newest 20")


# -- the compiler ---------------------------------------------------------------------------


def _has_tag(names: list[str]) -> ColumnElement[bool]:
    return exists(
        select(literal(1)).where(
            tags.c.contact_id == contacts.c.id,
            tags.c.tenant_id == contacts.c.tenant_id,
            tags.c.tag.in_(names),
        )
    )


def _day_start(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))


def where(f: SegmentFilter, *, tenant_id: int, dialect: str, tz: str) -> ColumnElement[bool]:
    """The customers of ``tenant_id`` the filter keeps (a WHERE over ``contacts``)."""
    c = contacts.c
    parts: list[ColumnElement[bool]] = [c.tenant_id == tenant_id]
    parts += [_has_tag([t]) for t in dict.fromkeys(f.tags_all)]
    if f.tags_any:
        parts.append(_has_tag(f.tags_any))
    if f.tags_none:
        parts.append(not_(_has_tag(f.tags_none)))
    parts += [rules.attribute_clause(a.key, a.op, a.value, dialect=dialect) for a in f.attributes]
    if f.channels:
        parts.append(rules.channel_clause(f.channels))
    if f.q and f.q.strip():
        pattern = contains(f.q.strip())
        parts.append(
            or_(*[col.ilike(pattern, escape=LIKE_ESCAPE) for col in (c.name, c.email, c.phone)])
        )
    if f.created_after:
        parts.append(c.created_at >= _day_start(f.created_after, tz))
    if f.created_before:
        parts.append(c.created_at < _day_start(f.created_before + timedelta(days=1), tz))
    return and_(*parts)


async def compile_filter(
    session: AsyncSession, f: SegmentFilter, *, tenant_id: int
) -> ColumnElement[bool]:
    tz = await report_timezone(session, tenant_id=tenant_id)
    return where(f, tenant_id=tenant_id, dialect=_dialect(session), tz=tz)


def _dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return str(bind.dialect.name)


async def count(session: AsyncSession, clause: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(contacts).where(clause)) or 0)


async def page(
    session: AsyncSession, clause: ColumnElement[bool], *, page: int = 1, per_page: int = 20
) -> ContactPage:
    """The customers ``clause`` keeps, newest first, and how many there are."""
    ids = list(
        await session.scalars(
            select(contacts.c.id)
            .where(clause)
            .order_by(contacts.c.created_at.desc(), contacts.c.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return ContactPage(
        contacts=await contact_rows(session, ids), total=await count(session, clause)
    )


async def contact_rows(session: AsyncSession, ids: list[int]) -> list[ContactRow]:
    """The customers ``ids`` as list rows, in that order (three statements whatever the
    number)."""
    if not ids:
        return []
    found = {
        r.id: r
        for r in await session.execute(
            select(
                contacts.c.id,
                contacts.c.name,
                contacts.c.email,
                contacts.c.phone,
                contacts.c.created_at,
            ).where(contacts.c.id.in_(ids))
        )
    }
    tagged: dict[int, list[str]] = {}
    for cid, tag in await session.execute(
        select(tags.c.contact_id, tags.c.tag)
        .where(tags.c.contact_id.in_(ids))
        .order_by(tags.c.contact_id, tags.c.tag)
    ):
        tagged.setdefault(cid, []).append(tag)
    seen: dict[int, datetime] = {}
    visit = (
        select(
            rules.visits.c.contact_id.label("cid"), func.max(rules.visits.c.started_at).label("at")
        )
        .where(rules.visits.c.contact_id.in_(ids))
        .group_by(rules.visits.c.contact_id)
    )
    conv = rules.conversations.c
    wrote = (
        select(conv.contact_id.label("cid"), func.max(conv.last_contact_message_at).label("at"))
        .where(conv.contact_id.in_(ids))
        .group_by(conv.contact_id)
    )
    for stmt in (visit, wrote):
        for cid, at in await session.execute(stmt):
            if at is not None and (cid not in seen or at > seen[cid]):
                seen[cid] = at
    return [
        ContactRow(
            id=cid,
            name=found[cid].name,
            email=found[cid].email,
            phone=found[cid].phone,
            tags=tagged.get(cid, []),
            created_at=found[cid].created_at,
            last_seen_at=seen.get(cid),
        )
        for cid in ids
        if cid in found
    ]


# -- saved segments --------------------------------------------------------------------------


async def get(session: AsyncSession, *, tenant_id: int, segment_id: int) -> Segment:
    row = (
        await session.scalars(
            scoped(select(Segment), Segment, tenant_id).where(Segment.id == segment_id)
        )
    ).first()
    if row is None:
        raise NotFound("segment not found")
    return row


async def list_segments(session: AsyncSession, *, tenant_id: int) -> list[Segment]:
    return list(
        await session.scalars(scoped(select(Segment), Segment, tenant_id).order_by(Segment.name))
    )


async def out(session: AsyncSession, segment: Segment) -> SegmentOut:
    f = SegmentFilter.model_validate(segment.filter)
    clause = await compile_filter(session, f, tenant_id=segment.tenant_id)
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        filter=f,
        count=await count(session, clause),
        created_by=segment.created_by,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


async def _name_taken(
    session: AsyncSession, *, tenant_id: int, name: str, other_than: int | None = None
) -> None:
    stmt = scoped(select(Segment.id), Segment, tenant_id).where(Segment.name == name)
    if other_than is not None:
        stmt = stmt.where(Segment.id != other_than)
    if await session.scalar(stmt) is not None:
        raise Conflict(f"name: a segment named {name!r} exists", field="name")


async def create(
    session: AsyncSession, *, tenant_id: int, body: SegmentIn, account_id: int
) -> Segment:
    name = body.name.strip()
    await _name_taken(session, tenant_id=tenant_id, name=name)
    n = await session.scalar(scoped(select(func.count()).select_from(Segment), Segment, tenant_id))
    if (n or 0) >= MAX_SEGMENTS:
        raise InvalidInput(
            f"a merchant has at most {MAX_SEGMENTS} segments; delete one first",
            code="limit_reached",
        )
    now = utcnow()
    segment = Segment(
        tenant_id=tenant_id,
        name=name,
        filter=body.filter.model_dump(mode="json", exclude_defaults=True),
        created_by=account_id,
        created_at=now,
        updated_at=now,
    )
    await _store(session, segment)
    return segment


async def update(
    session: AsyncSession, *, tenant_id: int, segment_id: int, patch: SegmentPatch
) -> Segment:
    segment = await get(session, tenant_id=tenant_id, segment_id=segment_id)
    if patch.name is not None:
        name = patch.name.strip()
        await _name_taken(session, tenant_id=tenant_id, name=name, other_than=segment.id)
        segment.name = name
    if patch.filter is not None:
        segment.filter = patch.filter.model_dump(mode="json", exclude_defaults=True)
    segment.updated_at = utcnow()
    await _store(session, segment)
    return segment


async def _store(session: AsyncSession, segment: Segment) -> None:
    try:
        async with session.begin_nested():
            session.add(segment)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"name: a segment named {segment.name!r} exists", field="name") from None


async def delete(session: AsyncSession, *, tenant_id: int, segment_id: int) -> None:
    await session.delete(await get(session, tenant_id=tenant_id, segment_id=segment_id))
