"""The Python SDK for Huiliu's real-time protocol (docs/protocol.md), for app back-ends,
merchants' bots, tests and benchmarks. Guide: docs/sdk.md.

::

    from huiliu import sdk

    session = await sdk.widget_session("https://support.example.com", "wk_…")
    async with sdk.HuiliuClient(
        "wss://support.example.com/ws/visitor", session.visitor_token
    ) as client:
        ack = await client.send("你好")
        async for event in client.events("message"):
            print(event.seq, event.content)

Modules: ``client`` (the connection), ``outbox`` (unacknowledged messages, optionally a
file), ``sequencer`` (once, in order), ``backoff``, ``state``, ``events``, ``emitter``,
``errors`` and ``rest`` (tokens over HTTP).
"""

from huiliu.sdk.backoff import Backoff
from huiliu.sdk.client import HuiliuClient
from huiliu.sdk.emitter import EventStream
from huiliu.sdk.errors import CloseCode, HuiliuError
from huiliu.sdk.events import (
    Ack,
    ConversationUpdated,
    Event,
    Frame,
    Hello,
    Message,
    NoteNew,
    PrincipalInfo,
    QueuePosition,
    QueueStats,
    Read,
    Resumed,
    Sender,
    StateChange,
    Suggestions,
    Typing,
)
from huiliu.sdk.outbox import PendingMessage
from huiliu.sdk.rest import Identity, Login, WidgetSession, login, sign_identity, widget_session
from huiliu.sdk.state import ClientStats, ConnectionState, IllegalTransition

__all__ = [
    "Ack",
    "Backoff",
    "ClientStats",
    "CloseCode",
    "ConnectionState",
    "ConversationUpdated",
    "Event",
    "EventStream",
    "Frame",
    "Hello",
    "HuiliuClient",
    "HuiliuError",
    "Identity",
    "IllegalTransition",
    "Login",
    "Message",
    "NoteNew",
    "PendingMessage",
    "PrincipalInfo",
    "QueuePosition",
    "QueueStats",
    "Read",
    "Resumed",
    "Sender",
    "StateChange",
    "Suggestions",
    "Typing",
    "WidgetSession",
    "login",
    "sign_identity",
    "widget_session",
]
