"""The writer's rows and wire objects, built for the hot path.

- ``insert_messages``: a batch of message rows into the database (on SQLite one
  driver-level executemany of tuples, converted by the table's own bind processors);
- ``message_out``, ``ack``, ``message_created``: the wire forms of stored messages, built
  without validation (everything in them was validated before it was stored) by a trusted
  constructor that is checked at import to make what pydantic's ``model_construct`` makes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.bus.events import MessageCreated
from huiliu.conversations.models import ConversationStatus, Message, SenderType
from huiliu.conversations.schemas import Ack, ConversationRef, MessageOut, Sender
from huiliu.db.base import utcnow

messages = cast(Table, Message.__table__)


async def insert_messages(
    conn: AsyncConnection, rows: list[dict[str, Any]], *, top: int | None = None
) -> list[int]:
    """Insert rows in one statement; return their ids in order. ``top``: the newest message
    id, read earlier in this transaction (SQLite)."""
    if conn.dialect.name == "sqlite":
        # SQLite gives RETURNING no order, so SQLAlchemy would insert row by row. The write
        # lock (BEGIN IMMEDIATE) is ours until commit, so the next ids are max(id) + 1, + 2 …
        if top is None:
            top = int(await conn.scalar(select(func.coalesce(func.max(messages.c.id), 0))) or 0)
        ids = list(range(top + 1, top + 1 + len(rows)))
        await _insert_sqlite(conn, rows, ids)
        return ids
    inserted = await conn.execute(
        insert(messages).returning(messages.c.id, sort_by_parameter_order=True), rows
    )
    return [row.id for row in inserted]


# A message row's columns as the SQLite insert binds them; the converted ones go through
# their types' bind processors, the others reach the driver as they are.
_MESSAGE_COLUMNS = (
    "id",
    "tenant_id",
    "conversation_id",
    "seq",
    "sender_type",
    "sender_id",
    "client_msg_id",
    "content_type",
    "content",
    "created_at",
)
_CONVERTED = ("sender_type", "content", "created_at")


@dataclass(slots=True, frozen=True)
class _InsertPlan:
    sql: str
    sender_type: Callable[[Any], Any]
    content: Callable[[Any], Any]
    created_at: Callable[[Any], Any]


_insert_plans: weakref.WeakKeyDictionary[Dialect, _InsertPlan] = weakref.WeakKeyDictionary()


def _insert_plan(dialect: Dialect) -> _InsertPlan:
    """The statement and the conversions of ``_insert_sqlite``, once per engine, from the
    table itself: a column it does not bind as it should fails here, loudly."""
    plan = _insert_plans.get(dialect)
    if plan is None:
        compiled = insert(messages).compile(dialect=dialect)
        process = {
            name: messages.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in _MESSAGE_COLUMNS
        }
        if list(compiled.positiontup or ()) != list(_MESSAGE_COLUMNS) or any(
            process[name] is not None for name in _MESSAGE_COLUMNS if name not in _CONVERTED
        ):
            raise TypeError("the messages table changed: update rows._insert_sqlite")
        plan = _InsertPlan(compiled.string, *(process[name] or _unchanged for name in _CONVERTED))
        _insert_plans[dialect] = plan
    return plan


def _unchanged(value: Any) -> Any:
    return value


async def _insert_sqlite(conn: AsyncConnection, rows: list[dict[str, Any]], ids: list[int]) -> None:
    """One executemany of the rows as the driver takes them. SQLAlchemy's own executemany
    builds and converts every row's parameters through the compiled statement, the
    largest part of a batch's Python time; here the column types' bind processors convert
    the values (the same JSON text and timestamps land), each distinct sender type and
    time once a batch."""
    plan = _insert_plan(conn.dialect)
    senders = {value: plan.sender_type(value) for value in {row["sender_type"] for row in rows}}
    times = {value: plan.created_at(value) for value in {row["created_at"] for row in rows}}
    content = plan.content
    await conn.exec_driver_sql(
        plan.sql,
        [
            (
                message_id,
                row["tenant_id"],
                row["conversation_id"],
                row["seq"],
                senders[row["sender_type"]],
                row["sender_id"],
                row["client_msg_id"],
                row["content_type"],
                content(row["content"]),
                times[row["created_at"]],
            )
            for row, message_id in zip(rows, ids, strict=True)
        ],
    )


def message_out(row: dict[str, Any] | Any, message_id: int | None = None) -> MessageOut:
    """The wire form of a stored message (from an insert dict or a selected row). Built
    without validation: everything in it was validated before it was stored."""
    data: dict[str, Any] = row if isinstance(row, dict) else row._mapping
    sender = _trusted(
        Sender,
        {"type": SenderType(data["sender_type"]), "id": data["sender_id"]},
        {"type", "id"},
    )
    return _trusted(
        MessageOut,
        {
            "id": message_id if message_id is not None else data["id"],
            "conversation_id": data["conversation_id"],
            "seq": data["seq"],
            "sender": sender,
            "client_msg_id": data["client_msg_id"],
            "content": data["content"],
            "created_at": data["created_at"],
        },
        {"id", "conversation_id", "seq", "sender", "client_msg_id", "content", "created_at"},
    )


def ack(client_msg_id: str | None, message_id: int, conversation_id: int, seq: int) -> Ack:
    return _trusted(
        Ack,
        {
            "type": "ack",
            "client_msg_id": client_msg_id,
            "message_id": message_id,
            "conversation_id": conversation_id,
            "seq": seq,
        },
        {"client_msg_id", "message_id", "conversation_id", "seq"},
    )


def message_created(
    tenant_id: int, conversation: ConversationRef, message: MessageOut
) -> MessageCreated:
    return _trusted(
        MessageCreated,
        {
            "tenant_id": tenant_id,
            "conversation": conversation,
            "type": "message.created",
            "message": message,
        },
        {"tenant_id", "conversation", "message"},
    )


_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def _trusted(cls: type[_M], values: dict[str, Any], fields_set: set[str]) -> _M:
    """What ``cls.model_construct(**given)`` makes, in a fraction of its time (it was the
    writer's largest cost: four per message). ``values`` holds every field, defaults
    included, in declaration order; ``fields_set`` the names the caller gave."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def _check_trusted() -> None:
    """At import: ``_trusted`` makes just what ``model_construct`` makes for these models
    (no post-init hook, no private attributes, no extras; the same fields in the same
    order), so a change in pydantic or in the schemas fails here rather than on the wire."""
    now = utcnow()
    content = {"type": "text", "text": "t"}
    row = {"conversation_id": 3, "seq": 4, "sender_type": "contact", "sender_id": 2}
    row |= {"client_msg_id": "c", "content": content, "created_at": now}
    sender = Sender.model_construct(type=SenderType.contact, id=2)
    out = MessageOut.model_construct(
        id=1,
        conversation_id=3,
        seq=4,
        sender=sender,
        client_msg_id="c",
        content=content,
        created_at=now,
    )
    ref = ConversationRef.model_construct(
        id=3, contact_id=2, assignee_id=None, group_id=None, status=ConversationStatus.open
    )
    pairs: list[tuple[BaseModel, BaseModel]] = [
        (message_out(row, 1), out),
        (message_out(row, 1).sender, sender),
        (
            ack("c", 1, 3, 4),
            Ack.model_construct(client_msg_id="c", message_id=1, conversation_id=3, seq=4),
        ),
        (
            message_created(5, ref, out),
            MessageCreated.model_construct(tenant_id=5, conversation=ref, message=out),
        ),
    ]
    for made, expected in pairs:
        cls = type(expected)
        if (
            type(made) is not cls
            or cls.__pydantic_post_init__ is not None
            or cls.__private_attributes__
            or list(made.__dict__.items()) != list(expected.__dict__.items())
            or made.__pydantic_fields_set__ != expected.__pydantic_fields_set__
            or made.__pydantic_extra__ != expected.__pydantic_extra__
            or made.__pydantic_private__ != expected.__pydantic_private__
        ):
            raise TypeError(f"rows._trusted no longer matches {cls.__name__}.model_construct")


_check_trusted()
