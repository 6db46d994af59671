"""This process's sockets, indexed for fan-out, and the bus handler that feeds them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import defaultdict

from huiliu import metrics
from huiliu.accounts.models import Role
from huiliu.bus.events import (
    AccountChanged,
    ConversationUpdated,
    DeliveryUpdated,
    Event,
    MessageCreated,
    NoteCreated,
    QueuePositionChanged,
    QueueStats,
    ReadMoved,
    SuggestionsReady,
    TicketUpdated,
    TypingChanged,
)
from huiliu.conversations import access
from huiliu.conversations.models import SenderType
from huiliu.realtime.connection import Connection, LiveMessage
from huiliu.realtime.frames import (
    CLOSE_GOING_AWAY,
    CLOSE_IDLE,
    CLOSE_INVALID_TOKEN,
    ConversationUpdatedFrame,
    DeliveryUpdatedFrame,
    NoteNewFrame,
    QueuePositionFrame,
    QueueStatsFrame,
    ReadServerFrame,
    SuggestionsFrame,
    TicketUpdatedFrame,
    TypingServerFrame,
)
from huiliu.realtime.presence import Presence
from huiliu.roles.permissions import Permission, parse


class Hub:
    def __init__(self, *, heartbeat_s: float, presence: Presence | None = None) -> None:
        self._presence = presence
        self._visitors: dict[int, set[Connection]] = defaultdict(set)  # by contact id
        self._accounts: dict[int, set[Connection]] = defaultdict(set)  # by tenant id
        self._heartbeat_s = heartbeat_s
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def connection_count(self) -> int:
        return sum(len(s) for s in self._visitors.values()) + sum(
            len(s) for s in self._accounts.values()
        )

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep(), name="socket-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for group in (*self._visitors.values(), *self._accounts.values()):
            for conn in list(group):
                conn.close(CLOSE_GOING_AWAY, "server shutting down")

    def add(self, conn: Connection) -> None:
        self._index(conn)[self._key(conn)].add(conn)
        metrics.SOCKETS.labels(conn.principal.kind).inc()
        if self._presence is not None:
            if conn.principal.is_account:
                self._presence.connected(conn.principal.tenant_id, conn.principal.id)
            else:
                self._presence.visitor_connected(conn.principal.id)

    def remove(self, conn: Connection) -> None:
        index = self._index(conn)
        key = self._key(conn)
        group = index.get(key)
        if group is not None and conn in group:
            group.discard(conn)
            metrics.SOCKETS.labels(conn.principal.kind).dec()
            if self._presence is not None:
                if conn.principal.is_account:
                    self._presence.disconnected(conn.principal.tenant_id, conn.principal.id)
                else:
                    self._presence.visitor_disconnected(conn.principal.id)
            if not group:
                del index[key]

    def _index(self, conn: Connection) -> dict[int, set[Connection]]:
        return self._visitors if conn.principal.is_visitor else self._accounts

    @staticmethod
    def _key(conn: Connection) -> int:
        p = conn.principal
        return p.id if p.is_visitor else p.tenant_id

    def _overseers(self, tenant_id: int) -> list[Connection]:
        return [c for c in self._accounts.get(tenant_id, ()) if c.principal.can(Permission.monitor)]

    def _audience(self, event: Event) -> list[Connection]:
        assert not isinstance(event, QueueStats | AccountChanged | TicketUpdated)
        ref = event.conversation
        targets = [
            c
            for c in self._visitors.get(ref.contact_id, ())
            if c.principal.tenant_id == event.tenant_id
        ]
        targets += self._accounts_who_see(event)
        return targets

    def _accounts_who_see(self, event: Event) -> list[Connection]:
        assert not isinstance(event, QueueStats | AccountChanged | TicketUpdated)
        ref = event.conversation
        return [
            conn
            for conn in self._accounts.get(event.tenant_id, ())
            if access.can_see(
                conn.principal,
                tenant_id=event.tenant_id,
                contact_id=ref.contact_id,
                assignee_id=ref.assignee_id,
                group_id=ref.group_id,
            )
        ]

    def on_event(self, event: Event) -> None:
        """The bus handler: enqueue the event's frame on every socket that may see it."""
        if isinstance(event, MessageCreated):  # nearly every event: tested first
            live = LiveMessage.of(event.message)
            for conn in self._audience(event):
                conn.push(live)
        elif isinstance(event, QueueStats):
            whole = QueueStatsFrame(groups=event.groups).model_dump_json()
            for conn in self._overseers(event.tenant_id):
                p = conn.principal
                if p.tenant_wide:
                    conn.push(whole)
                else:  # a supervisor of some groups sees those groups' queues
                    mine = [g for g in event.groups if p.sees_group(g.group_id)]
                    conn.push(QueueStatsFrame(groups=mine).model_dump_json())
        elif isinstance(event, AccountChanged):
            self._account_changed(event)
        elif isinstance(event, TicketUpdated):
            # Accounts only; the event names the agents who see the ticket.
            data = TicketUpdatedFrame(ticket=event.ticket, reason=event.reason).model_dump_json()
            for conn in self._accounts.get(event.tenant_id, ()):
                p = conn.principal
                if p.may(Permission.tickets, event.ticket.group_id) or p.id in event.account_ids:
                    conn.push(data)
        elif isinstance(event, DeliveryUpdated):
            data = DeliveryUpdatedFrame(
                conversation_id=event.conversation.id,
                message_id=event.message_id,
                status=event.status,
                error=event.error,
            ).model_dump_json()
            for conn in self._accounts_who_see(event):
                conn.push(data)
        elif isinstance(event, NoteCreated):
            # Accounts only, by construction: a note never reaches a customer's socket.
            data = NoteNewFrame(note=event.note).model_dump_json()
            for conn in self._accounts_who_see(event):
                conn.push(data)
        elif isinstance(event, TypingChanged):
            data = TypingServerFrame(
                conversation_id=event.conversation.id, sender=event.sender, state=event.state
            ).model_dump_json()
            for conn in self._audience(event):
                if not _is_sender(conn, event.sender.type, event.sender.id):
                    conn.push(data)
        elif isinstance(event, ReadMoved):
            data = ReadServerFrame(
                conversation_id=event.conversation.id, reader=event.reader, seq=event.seq
            ).model_dump_json()
            for conn in self._audience(event):
                conn.push(data)
        elif isinstance(event, QueuePositionChanged):
            data = QueuePositionFrame(
                conversation_id=event.conversation.id,
                position=event.position,
                estimated_wait_s=event.estimated_wait_s,
            ).model_dump_json()
            for conn in self._visitors.get(event.conversation.contact_id, ()):
                if conn.principal.tenant_id == event.tenant_id:
                    conn.push(data)
        elif isinstance(event, SuggestionsReady):
            data = SuggestionsFrame(
                conversation_id=event.conversation.id,
                message_id=event.message_id,
                seq=event.seq,
                suggestions=event.suggestions,
            ).model_dump_json()
            for conn in self._accounts_who_see(event):
                conn.push(data)
        elif isinstance(event, ConversationUpdated):
            # Every agent of the tenant hears of it, so a claimed conversation leaves the
            # others' queue lists at once.
            data = ConversationUpdatedFrame(conversation=event.detail).model_dump_json()
            targets = [
                c
                for c in self._visitors.get(event.conversation.contact_id, ())
                if c.principal.tenant_id == event.tenant_id
            ]
            for conn in (*targets, *self._accounts.get(event.tenant_id, ())):
                conn.push(data)

    def _account_changed(self, event: AccountChanged) -> None:
        """A socket authenticates once; a deactivation or a new role must not wait for the
        next connect."""
        for conn in list(self._accounts.get(event.tenant_id, ())):
            if conn.principal.id != event.account_id:
                continue
            if not event.active:
                conn.close(CLOSE_INVALID_TOKEN, "account is deactivated")
            else:
                conn.principal = dataclasses.replace(
                    conn.principal,
                    role=Role(event.role),
                    permissions=parse(event.permissions),
                    group_ids=None if event.group_ids is None else frozenset(event.group_ids),
                )

    async def _sweep(self) -> None:
        """Close sockets that have been silent for two heartbeats."""
        while True:
            await asyncio.sleep(self._heartbeat_s / 2)
            deadline = time.monotonic() - 2 * self._heartbeat_s
            for group in (*self._visitors.values(), *self._accounts.values()):
                for conn in list(group):
                    if conn.last_seen < deadline:
                        conn.close(CLOSE_IDLE, "no heartbeat")


def _is_sender(conn: Connection, sender_type: SenderType, sender_id: int | None) -> bool:
    p = conn.principal
    if p.is_visitor:
        return sender_type == SenderType.contact and sender_id == p.id
    return sender_type == SenderType.agent and sender_id == p.id
