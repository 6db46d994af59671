"""The client's connection states, the only moves between them, and its counters."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ConnectionState(enum.Enum):
    """Where a :class:`~huiliu.sdk.HuiliuClient` is.

    ``IDLE`` → ``CONNECTING`` → ``OPEN`` → ``RECONNECTING`` → ``CONNECTING`` …, and from any
    state to ``CLOSED``, which is final.
    """

    IDLE = "idle"
    CONNECTING = "connecting"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


TRANSITIONS: dict[ConnectionState, frozenset[ConnectionState]] = {
    ConnectionState.IDLE: frozenset({ConnectionState.CONNECTING, ConnectionState.CLOSED}),
    ConnectionState.CONNECTING: frozenset(
        {ConnectionState.OPEN, ConnectionState.RECONNECTING, ConnectionState.CLOSED}
    ),
    ConnectionState.OPEN: frozenset({ConnectionState.RECONNECTING, ConnectionState.CLOSED}),
    ConnectionState.RECONNECTING: frozenset({ConnectionState.CONNECTING, ConnectionState.CLOSED}),
    ConnectionState.CLOSED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A state change the client never makes: a bug, never a network condition."""


def check_transition(previous: ConnectionState, to: ConnectionState) -> None:
    """Raise :class:`IllegalTransition` unless ``previous → to`` is one of the moves."""
    if to not in TRANSITIONS[previous]:
        raise IllegalTransition(f"illegal state change {previous.value} → {to.value}")


@dataclass(slots=True)
class ClientStats:
    """Counters since the client was made (``client.stats()`` gives a copy)."""

    connects: int = 0  # sockets that reached hello
    reconnects: int = 0  # of those, the ones after the first
    resends: int = 0  # sends of a client_msg_id already sent on an earlier socket
    busy_retries: int = 0  # resends after busy or store_failed
    duplicates: int = 0  # messages dropped as already delivered
    gaps: int = 0  # messages that arrived past a gap
    resyncs: int = 0  # reconnects made to fill a gap the socket could not
