"""Tag rules: the rule language, its checks, and evaluation (docs/profile.md).

A rule is ``match`` (all | any) over 1–10 conditions on a customer's facts — their pushed
orders, visited pages, conversations, attributes and channels. Every condition compiles to
one SQL expression over ``contacts`` (a correlated subquery per windowed fact), so one
statement decides a rule for one customer (an event) or for a batch of them (a backfill,
the sweep), and a preview counts a whole merchant in one query.

The tags a rule puts are ``contact_tags`` rows carrying its ``rule_id``. A person's tag of
the same name is theirs: a rule never adds a second one and never takes it off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator
from sqlalchemy import (
    Float,
    Table,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from huiliu.contacts.models import (
    Contact,
    ContactIdentity,
    ContactOrder,
    ContactTag,
    ContactVisit,
    TagRule,
)
from huiliu.contacts.profile import NOT_SPENT
from huiliu.contacts.schemas import Tag
from huiliu.conversations.models import Conversation, Message, SenderType
from huiliu.db.base import LIKE_ESCAPE, contains, utcnow
from huiliu.errors import InvalidInput

contacts = cast(Table, Contact.__table__)
identities = cast(Table, ContactIdentity.__table__)
tags = cast(Table, ContactTag.__table__)
visits = cast(Table, ContactVisit.__table__)
orders = cast(Table, ContactOrder.__table__)
rules = cast(Table, TagRule.__table__)
conversations = cast(Table, Conversation.__table__)
messages = cast(Table, Message.__table__)

MAX_RULES = 100
MAX_CONDITIONS = 10
# The families of facts events change; callers of ``evaluate`` name the ones they changed.
FACTS = frozenset({"orders", "visits", "conversations", "attribute", "channel"})

# -- the language ----------------------------------------------------------------------------

Op = Literal[">", ">=", "<", "<=", "="]
AttributeOp = Literal["=", "!=", ">", ">=", "<", "<=", "contains", "set", "unset"]
Days = Annotated[int, Field(ge=1, le=3650, description="the last N days, up to now")]
Count = Annotated[int, Field(ge=0, le=1_000_000_000)]
Scalar = str | bool | int | float
# Keys a filter names go into JSON paths; quotes and backslashes would need escaping there.
AttributeKey = Annotated[str, Field(min_length=1, max_length=64, pattern=r'^[^"\\]+$')]
ChannelName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Word = Annotated[str, Field(min_length=1, max_length=50)]


class _Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrdersSpent(_Condition):
    """What the customer spent (yuan) on orders placed in the last ``days`` that were not
    cancelled or refunded."""

    fact: Literal["orders.spent"]
    days: Days
    op: Op
    value: float = Field(ge=0, le=1e10, description="yuan, at most 2 decimals")

    @model_validator(mode="after")
    def _fen(self) -> OrdersSpent:
        if not math.isclose(self.value * 100, round(self.value * 100), abs_tol=1e-6):
            raise ValueError("value: yuan with at most 2 decimals")
        return self

    @property
    def cents(self) -> int:
        return round(self.value * 100)


class OrdersCount(_Condition):
    """Orders placed in the last ``days`` (any status)."""

    fact: Literal["orders.count"]
    days: Days
    op: Op
    value: Count


class VisitsCount(_Condition):
    """Pages opened in the last ``days`` (with ``url_contains``: those whose URL has it)."""

    fact: Literal["visits.count"]
    days: Days
    url_contains: str | None = Field(default=None, min_length=1, max_length=200)
    op: Op
    value: Count


class ConversationsCount(_Condition):
    """Conversations the customer opened in the last ``days`` (with ``mentions``: those in
    which the customer wrote any of the words)."""

    fact: Literal["conversations.count"]
    days: Days
    mentions: list[Word] | None = Field(default=None, min_length=1, max_length=10)
    op: Op
    value: Count


class AttributeCondition(_Condition):
    fact: Literal["attribute"]
    key: AttributeKey
    op: AttributeOp
    value: Scalar | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> AttributeCondition:
        check_attribute_value(self.op, self.value)
        return self


class ChannelCondition(_Condition):
    """The customer is reachable on ``channel``: they have an identity there."""

    fact: Literal["channel"]
    channel: ChannelName


Condition = Annotated[
    OrdersSpent
    | OrdersCount
    | VisitsCount
    | ConversationsCount
    | AttributeCondition
    | ChannelCondition,
    Field(discriminator="fact"),
]
Windowed = OrdersSpent | OrdersCount | VisitsCount | ConversationsCount


def check_attribute_value(op: str, value: Any) -> None:
    """What value each attribute operator takes (shared with segment filters)."""
    if op in ("set", "unset"):
        if value is not None:
            raise ValueError(f"value: {op!r} takes no value")
    elif op == "contains":
        if not isinstance(value, str) or not value:
            raise ValueError("value: 'contains' takes some text")
    elif op in ("=", "!="):
        if value is None:
            raise ValueError(f"value: {op!r} takes text, a number or true/false")
        if isinstance(value, str) and len(value) > 200:
            raise ValueError("value: at most 200 characters")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"value: {op!r} compares numbers: give a number")


class RuleBody(BaseModel):
    """What a rule says (without its tag): the shape a preview takes."""

    model_config = ConfigDict(extra="forbid")

    match: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1, max_length=MAX_CONDITIONS)


class RuleIn(RuleBody):
    tag: Tag
    description: str = Field(default="", max_length=200)
    enabled: bool = True


class RulePatch(BaseModel):
    """Fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    tag: Tag | None = None
    description: str | None = Field(default=None, max_length=200)
    match: Literal["all", "any"] | None = None
    conditions: list[Condition] | None = Field(
        default=None, min_length=1, max_length=MAX_CONDITIONS
    )
    enabled: bool | None = None


_FACT_TAGS = {
    "orders.spent",
    "orders.count",
    "visits.count",
    "conversations.count",
    "attribute",
    "channel",
}


def _field(loc: Sequence[int | str]) -> str:
    # A condition's errors carry its fact (the union's tag) in their path: leave it out,
    # so the field reads conditions.0.days.
    parts = [
        str(p)
        for i, p in enumerate(loc)
        if not (i > 0 and isinstance(loc[i - 1], int) and p in _FACT_TAGS)
    ]
    return ".".join(parts)


def _where_and_what(err: Any) -> tuple[str, str]:
    loc = tuple(err["loc"])
    where = _field(loc[1:] if loc[:1] == ("body",) else loc)
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return (f"{where}.fact" if where else "fact"), "fact is one of " + ", ".join(
            sorted(_FACT_TAGS)
        )
    # A check across a condition's fields says which one it means ("value: …").
    head, sep, rest = msg.partition(": ")
    if sep and err["type"] == "value_error" and head.isidentifier():
        return (f"{where}.{head}" if where else head), rest
    return where, msg


def invalid(errors: Sequence[Any]) -> InvalidInput:
    """Pydantic's errors as one 422 naming the first bad field (``conditions.0.days``)."""
    found = [_where_and_what(err) for err in errors]
    detail = "; ".join(f"{w}: {m}" if w else m for w, m in found[:5])
    return InvalidInput(detail, field=(found[0][0] if found else "") or None)


def parse_conditions(stored: list[dict[str, Any]]) -> list[Any]:
    return [_CONDITIONS.validate_python(c) for c in stored]


_CONDITIONS: TypeAdapter[Any] = TypeAdapter(Condition)


def fact_of(condition: Any) -> str:
    """The family of facts a condition reads (what ``evaluate`` is told changed)."""
    return str(condition.fact).split(".")[0]


def is_windowed(condition: Any) -> bool:
    return isinstance(condition, OrdersSpent | OrdersCount | VisitsCount | ConversationsCount)


def may_start_holding(conditions: Iterable[Any]) -> bool:
    """Whether time alone can make the rule hold: a windowed count only falls as events
    leave the window, so only a condition asking for few (<, <=, =) can turn true."""
    return any(is_windowed(c) and c.op in ("<", "<=", "=") for c in conditions)


# -- compiling to SQL ------------------------------------------------------------------------


def _compare(left: Any, op: str, right: Any) -> ColumnElement[bool]:
    if op == ">":
        return cast(ColumnElement[bool], left > right)
    if op == ">=":
        return cast(ColumnElement[bool], left >= right)
    if op == "<":
        return cast(ColumnElement[bool], left < right)
    if op == "<=":
        return cast(ColumnElement[bool], left <= right)
    return cast(ColumnElement[bool], left == right)


def _json_path(key: str) -> str:
    return f'$."{key}"'


def _text_ilike(expr: Any, text: str) -> ColumnElement[bool]:
    return cast(ColumnElement[bool], expr.ilike(contains(text), escape=LIKE_ESCAPE))


def attribute_clause(key: str, op: str, value: Any, *, dialect: str) -> ColumnElement[bool]:
    """``contacts.attributes[key] op value`` by the rules in docs/profile.md: numbers
    compare as numbers, text as text, true/false only with themselves; a value of another
    type (or none) never matches, except for ``!=`` and ``unset``."""
    attrs = contacts.c.attributes
    if dialect == "postgresql":
        node = attrs[key]
        kind = func.jsonb_typeof(node)
        is_text, is_number = kind == "string", kind == "number"
        is_bool = kind == "boolean"
        text_of = node.as_string()
        number_of: Any = case((is_number, text_of.cast(Float)))
        bool_is = {True: and_(is_bool, text_of == "true"), False: and_(is_bool, text_of == "false")}
        present = and_(kind.is_not(None), kind != "null")
    else:
        path = _json_path(key)
        kind = func.json_type(attrs, path)
        raw = func.json_extract(attrs, path)
        is_text, is_number = kind == "text", kind.in_(("integer", "real"))
        text_of = raw
        number_of = case((is_number, raw))
        bool_is = {True: kind == "true", False: kind == "false"}
        present = and_(kind.is_not(None), kind != "null")
    is_set = and_(present, or_(~is_text, text_of != ""))

    def equals(v: Any) -> ColumnElement[bool]:
        if isinstance(v, bool):
            return bool_is[v]
        if isinstance(v, str):
            return and_(is_text, text_of == v)
        return and_(is_number, number_of == float(v))

    if op == "set":
        return is_set
    if op == "unset":
        return ~_never_null(is_set)
    if op == "=":
        return _never_null(equals(value))
    if op == "!=":
        return ~_never_null(equals(value))
    if op == "contains":
        return _never_null(and_(is_text, _text_ilike(text_of, str(value))))
    return _never_null(and_(is_number, _compare(number_of, op, float(value))))


def _never_null(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    # SQL's unknown (a missing key) would make NOT unknown unknown too: pin it to false.
    return cast(ColumnElement[bool], case((clause, true()), else_=false()))


def channel_clause(channels: Sequence[str]) -> ColumnElement[bool]:
    """The contact has an identity on any of ``channels``."""
    return exists(
        select(literal(1)).where(
            identities.c.contact_id == contacts.c.id,
            identities.c.tenant_id == contacts.c.tenant_id,
            identities.c.channel.in_(list(channels)),
        )
    )


def condition_clause(condition: Any, *, dialect: str, now: datetime) -> ColumnElement[bool]:
    c = contacts.c
    if isinstance(condition, AttributeCondition):
        return attribute_clause(condition.key, condition.op, condition.value, dialect=dialect)
    if isinstance(condition, ChannelCondition):
        return channel_clause([condition.channel])
    since = now - timedelta(days=condition.days)
    if isinstance(condition, OrdersSpent | OrdersCount):
        mine = and_(
            orders.c.contact_id == c.id,
            orders.c.tenant_id == c.tenant_id,
            orders.c.placed_at >= since,
        )
        if isinstance(condition, OrdersSpent):
            spent = select(func.coalesce(func.sum(orders.c.total_cents), 0)).where(
                mine, orders.c.status.not_in(NOT_SPENT)
            )
            return _compare(spent.scalar_subquery(), condition.op, condition.cents)
        n = select(func.count()).select_from(orders).where(mine)
        return _compare(n.scalar_subquery(), condition.op, condition.value)
    if isinstance(condition, VisitsCount):
        where = [
            visits.c.contact_id == c.id,
            visits.c.tenant_id == c.tenant_id,
            visits.c.started_at >= since,
        ]
        if condition.url_contains:
            where.append(_text_ilike(visits.c.url, condition.url_contains))
        n = select(func.count()).select_from(visits).where(*where)
        return _compare(n.scalar_subquery(), condition.op, condition.value)
    assert isinstance(condition, ConversationsCount)
    where = [
        conversations.c.contact_id == c.id,
        conversations.c.tenant_id == c.tenant_id,
        conversations.c.created_at >= since,
    ]
    if condition.mentions:
        text = messages.c.content["text"].as_string()
        where.append(
            exists(
                select(literal(1)).where(
                    messages.c.conversation_id == conversations.c.id,
                    messages.c.sender_type == SenderType.contact.value,
                    or_(*[_text_ilike(text, w) for w in condition.mentions]),
                )
            )
        )
    n = select(func.count()).select_from(conversations).where(*where)
    return _compare(n.scalar_subquery(), condition.op, condition.value)


def rule_clause(
    match: str, conditions: Sequence[Any], *, dialect: str, now: datetime
) -> ColumnElement[bool]:
    """The customers (rows of ``contacts``) for whom the rule holds at ``now``."""
    parts = [condition_clause(c, dialect=dialect, now=now) for c in conditions]
    return and_(*parts) if match == "all" else or_(*parts)


# -- evaluation --------------------------------------------------------------------------------


class LoadedRule:
    """A stored rule with its conditions parsed."""

    def __init__(self, row: Any) -> None:
        self.id: int = row.id
        self.tenant_id: int = row.tenant_id
        self.tag: str = row.tag
        self.match: str = row.match
        self.conditions = parse_conditions(row.conditions)
        self.facts = {fact_of(c) for c in self.conditions}

    def clause(self, *, dialect: str, now: datetime) -> ColumnElement[bool]:
        return rule_clause(self.match, self.conditions, dialect=dialect, now=now)

    @property
    def windowed(self) -> bool:
        return any(is_windowed(c) for c in self.conditions)


async def _connection(conn: AsyncConnection | AsyncSession) -> AsyncConnection:
    if isinstance(conn, AsyncSession):
        await conn.flush()  # the caller's pending rows (a new order, a visit) count
        return await conn.connection()
    return conn


async def enabled_rules(conn: AsyncConnection, *, tenant_id: int) -> list[LoadedRule]:
    rows = await conn.execute(
        select(rules)
        .where(rules.c.tenant_id == tenant_id, rules.c.enabled.is_(True))
        .order_by(rules.c.id)
    )
    return [LoadedRule(r) for r in rows.all()]


async def lock_contacts(conn: AsyncConnection, contact_ids: Sequence[int]) -> None:
    """Evaluations of one customer take turns (PostgreSQL; SQLite has one writer anyway),
    so a backfill batch never writes a verdict an event's evaluation has overtaken. NO KEY
    UPDATE: inserting a customer's orders, visits and tags (their foreign keys) still runs."""
    if conn.dialect.name == "postgresql" and contact_ids:
        await conn.execute(
            select(contacts.c.id)
            .where(contacts.c.id.in_(list(contact_ids)))
            .order_by(contacts.c.id)
            .with_for_update(key_share=True)
        )


def _insert_ignoring_duplicates(conn: AsyncConnection) -> Any:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(tags).on_conflict_do_nothing(index_elements=["contact_id", "tag"])


async def evaluate(
    conn: AsyncConnection | AsyncSession,
    *,
    tenant_id: int,
    contact_id: int,
    facts: set[str] | None = None,
    now: datetime | None = None,
) -> tuple[list[str], list[str]]:
    """Re-decide the tenant's enabled rules that read any of ``facts`` (None: all) for one
    customer, in the caller's transaction: add the tags of rules that now hold and take off
    those of rules that no longer do. Returns (added, removed) tags."""
    conn = await _connection(conn)
    now = now or utcnow()
    loaded = [
        r
        for r in await enabled_rules(conn, tenant_id=tenant_id)
        if facts is None or r.facts & facts
    ]
    if not loaded:
        return [], []
    await lock_contacts(conn, [contact_id])
    dialect = conn.dialect.name
    holds: dict[int, bool] = {}
    for start in range(0, len(loaded), 20):  # keeps one statement's size in bounds
        chunk = loaded[start : start + 20]
        columns = [
            case((r.clause(dialect=dialect, now=now), 1), else_=0).label(f"r{r.id}") for r in chunk
        ]
        row = (
            await conn.execute(
                select(*columns).where(
                    contacts.c.id == contact_id, contacts.c.tenant_id == tenant_id
                )
            )
        ).first()
        if row is None:
            return [], []  # no such customer of this tenant
        holds |= {r.id: bool(v) for r, v in zip(chunk, row, strict=True)}
    present = {
        t.tag: t.rule_id
        for t in await conn.execute(
            select(tags.c.tag, tags.c.rule_id).where(
                tags.c.contact_id == contact_id, tags.c.tag.in_([r.tag for r in loaded])
            )
        )
    }
    added = [r for r in loaded if holds[r.id] and r.tag not in present]
    removed = [r for r in loaded if not holds[r.id] and present.get(r.tag) == r.id]
    if added:
        await conn.execute(
            _insert_ignoring_duplicates(conn),
            [
                {
                    "tenant_id": tenant_id,
                    "contact_id": contact_id,
                    "tag": r.tag,
                    "rule_id": r.id,
                    "created_at": now,
                }
                for r in added
            ],
        )
    if removed:
        await conn.execute(
            delete(tags).where(
                tags.c.contact_id == contact_id, tags.c.rule_id.in_([r.id for r in removed])
            )
        )
    return [r.tag for r in added], [r.tag for r in removed]


async def apply_to(
    conn: AsyncConnection, rule: LoadedRule, contact_ids: Sequence[int], *, now: datetime
) -> tuple[int, int]:
    """Decide ``rule`` for a batch of the tenant's customers in a fixed handful of
    statements; returns how many gained and lost its tag."""
    if not contact_ids:
        return 0, 0
    ids = sorted(set(contact_ids))
    await lock_contacts(conn, ids)
    matched = set(
        await conn.scalars(
            select(contacts.c.id).where(
                contacts.c.tenant_id == rule.tenant_id,
                contacts.c.id.in_(ids),
                rule.clause(dialect=conn.dialect.name, now=now),
            )
        )
    )
    present = {
        row.contact_id: row.rule_id
        for row in await conn.execute(
            select(tags.c.contact_id, tags.c.rule_id).where(
                tags.c.tenant_id == rule.tenant_id,
                tags.c.tag == rule.tag,
                tags.c.contact_id.in_(ids),
            )
        )
    }
    gain = [cid for cid in ids if cid in matched and cid not in present]
    lose = [cid for cid in ids if cid not in matched and present.get(cid) == rule.id]
    if gain:
        await conn.execute(
            _insert_ignoring_duplicates(conn),
            [
                {
                    "tenant_id": rule.tenant_id,
                    "contact_id": cid,
                    "tag": rule.tag,
                    "rule_id": rule.id,
                    "created_at": now,
                }
                for cid in gain
            ],
        )
    if lose:
        await conn.execute(
            delete(tags).where(tags.c.rule_id == rule.id, tags.c.contact_id.in_(lose))
        )
    return len(gain), len(lose)
