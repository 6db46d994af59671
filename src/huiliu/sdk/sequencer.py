"""Once, in order: per conversation, the last seq handed to the app, advanced contiguously."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Sequenced(Protocol):
    @property
    def conversation_id(self) -> int: ...

    @property
    def seq(self) -> int: ...


M = TypeVar("M", bound=Sequenced)


@dataclass(frozen=True, slots=True)
class Accepted(Generic[M]):
    """What to do with a message: ``deliver`` (it, and any held ones it unblocked, in
    order), ``duplicate`` (drop it) or ``gap`` (held back; ``cursor`` is the last seq
    delivered, so the missing ones start at ``cursor + 1``)."""

    kind: str
    messages: tuple[M, ...] = ()
    cursor: int = 0


class Sequencer(Generic[M]):
    """Messages past a gap wait here until it is filled; seqs at or below the cursor are
    duplicates. A conversation with no cursor starts at the first message seen of it."""

    def __init__(self, initial: Iterable[tuple[int, int]] = ()) -> None:
        self._cursors: dict[int, int] = {}
        self._held: dict[int, dict[int, M]] = {}
        for cid, seq in initial:
            if cid > 0 and seq >= 0:
                self._cursors[cid] = seq

    def accept(self, message: M) -> Accepted[M]:
        """Decide about one message from the socket."""
        cid, seq = message.conversation_id, message.seq
        cursor = self._cursors.get(cid, seq - 1)
        if seq <= cursor:
            return Accepted("duplicate", cursor=cursor)
        held = self._held.get(cid)
        if seq > cursor + 1:
            if held is None:
                held = self._held[cid] = {}
            if seq in held:
                return Accepted("duplicate", cursor=cursor)
            held[seq] = message
            return Accepted("gap", cursor=cursor)
        out = [message]
        if held is not None:
            for stale in [s for s in held if s <= seq]:
                del held[stale]
            while (following := held.pop(seq + 1, None)) is not None:
                out.append(following)
                seq += 1
            if not held:
                del self._held[cid]
        self._cursors[cid] = seq
        return Accepted("deliver", tuple(out), cursor=seq)

    def cursor(self, conversation_id: int) -> int | None:
        """The last seq delivered, or None for a conversation not tracked."""
        return self._cursors.get(conversation_id)

    def has_gap(self, conversation_id: int) -> bool:
        """Whether messages past a gap are waiting in this conversation."""
        return conversation_id in self._held

    def follow(self, conversation_id: int, seq: int) -> None:
        """Start tracking a conversation at ``seq``, or move its cursor forward (never back)."""
        cursor = self._cursors.get(conversation_id)
        if cursor is not None and cursor >= seq:
            return
        self._cursors[conversation_id] = seq
        held = self._held.get(conversation_id)
        if held is not None:
            for stale in [s for s in held if s <= seq]:
                del held[stale]
            if not held:
                del self._held[conversation_id]

    def forget(self, conversation_id: int) -> None:
        """Stop tracking a conversation."""
        self._cursors.pop(conversation_id, None)
        self._held.pop(conversation_id, None)

    def drop_held(self) -> None:
        """Forget the messages waiting past gaps (a new socket's resume sends them again)."""
        self._held.clear()

    def ids(self) -> list[int]:
        """The conversations tracked, in the order they were first seen."""
        return list(self._cursors)

    def snapshot(self) -> dict[int, int]:
        """conversation id → last seq delivered."""
        return dict(self._cursors)
