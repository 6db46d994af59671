"""What the client hands the app: one frozen dataclass per kind of event.

Server frames (docs/protocol.md §4) become :class:`Message`, :class:`Ack`, :class:`Typing`,
:class:`Read`, :class:`ConversationUpdated`, :class:`QueuePosition`, :class:`QueueStats`,
:class:`Suggestions` and :class:`NoteNew`; a frame of a type this SDK does not know comes
through as :class:`Frame`. The client adds :class:`StateChange`, :class:`Hello`,
:class:`Resumed` and, from the outbox, :class:`~huiliu.sdk.outbox.PendingMessage`. Every
frame-born event keeps the frame as received in ``frame`` (fields newer than the SDK too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from huiliu.sdk.errors import HuiliuError
from huiliu.sdk.outbox import PendingMessage
from huiliu.sdk.state import ConnectionState

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sender:
    """Who wrote or did something: ``contact``, ``agent``, ``bot`` or ``system``."""

    type: str
    id: int | None


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message (``message.new``, or a resume's backlog)."""

    id: int
    conversation_id: int
    seq: int
    sender: Sender
    client_msg_id: str | None
    content: JSON
    created_at: str
    frame: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str | None:
        """The text of a ``text`` message, else None."""
        text = self.content.get("text")
        return text if self.content.get("type") == "text" and isinstance(text, str) else None


@dataclass(frozen=True, slots=True)
class Ack:
    """The server stored one of your messages (sent only after the commit)."""

    client_msg_id: str | None
    message_id: int
    conversation_id: int
    seq: int
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Typing:
    conversation_id: int
    sender: Sender
    state: str
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Read:
    """Someone (perhaps you, on another device) moved their read cursor to ``seq``."""

    conversation_id: int
    reader: Sender
    seq: int
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ConversationUpdated:
    """A conversation changed hands or state; ``conversation`` as in docs/protocol.md."""

    conversation: JSON
    frame: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def conversation_id(self) -> int:
        return int(self.conversation["id"])


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """To a waiting customer: their place (1 = next) and the expected wait."""

    conversation_id: int
    position: int
    estimated_wait_s: int | None
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class QueueStats:
    """To supervisors: the groups whose queue or agents changed (merge by ``group_id``)."""

    groups: list[JSON]
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Suggestions:
    """Agent assist: knowledge-base answers for the customer's message ``seq``."""

    conversation_id: int
    message_id: int
    seq: int
    suggestions: list[JSON]
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class NoteNew:
    """An internal note (accounts only); it takes no seq and is never resumed."""

    note: JSON
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Frame:
    """A frame as received: every frame under the ``frame`` event, and frames of types this
    SDK does not know under their own type."""

    type: str
    data: JSON


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    """Who the token names: a ``visitor`` (a contact id) or an ``account``."""

    kind: Literal["account", "visitor"]
    id: int
    tenant_id: int
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Hello:
    """The first frame of every socket."""

    protocol: int
    heartbeat_s: float
    principal: PrincipalInfo
    frame: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Resumed:
    """The resume after a (re)connect is complete: the cursors the client now holds.
    Queued sends go out right after."""

    cursors: dict[int, int]


@dataclass(frozen=True, slots=True)
class StateChange:
    """The client moved from ``previous`` to ``state``.

    ``code`` and ``reason`` are the close that caused it (4000: this client found the socket
    dead); ``error`` is set when the client stopped for good; ``delay_s`` is the wait before
    the next attempt (``RECONNECTING``).
    """

    state: ConnectionState
    previous: ConnectionState
    code: int | None = None
    reason: str | None = None
    error: HuiliuError | None = None
    delay_s: float | None = None


Event = (
    StateChange
    | Hello
    | Resumed
    | Message
    | PendingMessage
    | Ack
    | Typing
    | Read
    | ConversationUpdated
    | QueuePosition
    | QueueStats
    | Suggestions
    | NoteNew
    | HuiliuError
    | Frame
)
"""Anything :meth:`HuiliuClient.events` yields."""


def parse_sender(data: Any) -> Sender:
    sender_id = data.get("id")
    return Sender(type=str(data["type"]), id=None if sender_id is None else int(sender_id))


def parse_message(data: JSON) -> Message:
    content = data["content"]
    if not isinstance(content, dict):
        raise TypeError("content is not an object")
    return Message(
        id=int(data["id"]),
        conversation_id=int(data["conversation_id"]),
        seq=int(data["seq"]),
        sender=parse_sender(data["sender"]),
        client_msg_id=data.get("client_msg_id"),
        content=content,
        created_at=str(data.get("created_at", "")),
        frame=data,
    )


def parse_ack(frame: JSON) -> Ack:
    return Ack(
        client_msg_id=frame.get("client_msg_id"),
        message_id=int(frame["message_id"]),
        conversation_id=int(frame["conversation_id"]),
        seq=int(frame["seq"]),
        frame=frame,
    )


def parse_hello(frame: JSON) -> Hello:
    p = frame["principal"]
    kind = p["kind"]
    if kind not in ("account", "visitor"):
        raise ValueError(f"unknown principal kind {kind!r}")
    return Hello(
        protocol=int(frame["protocol"]),
        heartbeat_s=float(frame["heartbeat_s"]),
        principal=PrincipalInfo(
            kind=kind, id=int(p["id"]), tenant_id=int(p["tenant_id"]), role=p.get("role")
        ),
        frame=frame,
    )


def parse_error(frame: JSON) -> HuiliuError:
    return HuiliuError(
        str(frame["code"]),
        str(frame.get("detail", "")),
        field=frame.get("field"),
        client_msg_id=frame.get("client_msg_id"),
    )


def parse_cursors(data: Any) -> dict[int, int]:
    return {int(cid): int(seq) for cid, seq in data.items()}


def parse_other(
    frame: JSON,
) -> (
    Typing
    | Read
    | ConversationUpdated
    | QueuePosition
    | (QueueStats | Suggestions | NoteNew | Frame)
):
    """The frames the client only passes on (no state of its own changes)."""
    kind = frame["type"]
    if kind == "typing":
        return Typing(
            conversation_id=int(frame["conversation_id"]),
            sender=parse_sender(frame["sender"]),
            state=str(frame.get("state", "start")),
            frame=frame,
        )
    if kind == "read":
        return Read(
            conversation_id=int(frame["conversation_id"]),
            reader=parse_sender(frame["reader"]),
            seq=int(frame["seq"]),
            frame=frame,
        )
    if kind == "conversation.updated":
        return ConversationUpdated(conversation=dict(frame["conversation"]), frame=frame)
    if kind == "queue.position":
        wait = frame.get("estimated_wait_s")
        return QueuePosition(
            conversation_id=int(frame["conversation_id"]),
            position=int(frame["position"]),
            estimated_wait_s=None if wait is None else int(wait),
            frame=frame,
        )
    if kind == "queue.stats":
        return QueueStats(groups=list(frame["groups"]), frame=frame)
    if kind == "suggestions":
        return Suggestions(
            conversation_id=int(frame["conversation_id"]),
            message_id=int(frame["message_id"]),
            seq=int(frame["seq"]),
            suggestions=list(frame["suggestions"]),
            frame=frame,
        )
    if kind == "note.new":
        return NoteNew(note=dict(frame["note"]), frame=frame)
    return Frame(type=str(kind), data=frame)


def parse_frame(frame: JSON) -> Any:
    """A server frame as the client handles it: :class:`Hello`, the ``resumed`` cursors,
    :class:`Message`, :class:`Ack`, :class:`HuiliuError`, None for a ``pong``, else
    :func:`parse_other`. Raises KeyError, TypeError or ValueError for a malformed frame."""
    kind = frame["type"]
    if kind == "hello":
        return parse_hello(frame)
    if kind == "resumed":
        return parse_cursors(frame["cursors"])
    if kind == "message.new":
        return parse_message(frame["message"])
    if kind == "ack":
        return parse_ack(frame)
    if kind == "error":
        return parse_error(frame)
    if kind == "pong":
        return None
    return parse_other(frame)
