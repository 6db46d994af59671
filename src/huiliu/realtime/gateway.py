"""The WebSocket endpoints: ``/ws/visitor`` and ``/ws/agent``."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from pydantic import ValidationError

from huiliu.auth.deps import authenticate, get_runtime
from huiliu.auth.principal import Principal
from huiliu.bus.events import TypingChanged
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations import service as conversations_service
from huiliu.conversations.content import check_content
from huiliu.conversations.models import ConversationStatus, SenderType
from huiliu.conversations.schemas import Ack, ConversationRef, Sender
from huiliu.conversations.writer import SendRequest
from huiliu.errors import AppError, InvalidInput, TooLarge
from huiliu.realtime import PROTOCOL_VERSION
from huiliu.realtime.connection import Connection
from huiliu.realtime.frames import (
    CLIENT_FRAME_TYPES,
    CLOSE_INVALID_TOKEN,
    CLOSE_TOKEN_EXPIRED,
    CLOSE_WRONG_ENDPOINT,
    HelloFrame,
    MessageSendFrame,
    PingFrame,
    PongFrame,
    PrincipalInfo,
    ReadFrame,
    ResumeFrame,
    TypingFrame,
    client_frame_adapter,
)
from huiliu.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter()


@router.websocket("/ws/visitor")
async def visitor_socket(websocket: WebSocket, token: str = "") -> None:
    await _serve(websocket, token, want_visitor=True)


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket, token: str = "") -> None:
    await _serve(websocket, token, want_visitor=False)


async def _serve(websocket: WebSocket, token: str, *, want_visitor: bool) -> None:
    runtime = get_runtime(websocket)
    # Accept first, so a refused client gets a close code and reason it can act on.
    await websocket.accept()
    try:
        principal = await authenticate(runtime, token)
    except AppError as exc:
        code = CLOSE_TOKEN_EXPIRED if exc.code == "token_expired" else CLOSE_INVALID_TOKEN
        await websocket.close(code=code, reason=exc.detail)
        return
    if principal.is_visitor != want_visitor:
        await websocket.close(
            code=CLOSE_WRONG_ENDPOINT,
            reason="visitor tokens use /ws/visitor, agent tokens /ws/agent",
        )
        return
    conn = Connection(
        websocket,
        principal,
        queue_size=runtime.settings.send_queue_size,
        loader=runtime.load_messages,
        access=runtime.may_see,
    )
    hello = HelloFrame(
        protocol=PROTOCOL_VERSION,
        heartbeat_s=runtime.settings.heartbeat_s,
        principal=PrincipalInfo(
            kind=principal.kind,
            id=principal.id,
            tenant_id=principal.tenant_id,
            role=principal.role.value if principal.role else None,
        ),
    )
    await websocket.send_text(hello.model_dump_json(exclude_none=True))
    runtime.hub.add(conn)
    conn.start()
    try:
        await _receive_loop(runtime, conn)
    finally:
        runtime.hub.remove(conn)
        conn.stop()


async def _receive_loop(runtime: Runtime, conn: Connection) -> None:
    websocket = conn.websocket
    limit = runtime.settings.max_frame_bytes
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        conn.last_seen = time.monotonic()
        text = message.get("text")
        if text is None:
            raw = message.get("bytes") or b""
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                conn.push_error(InvalidInput("frames are UTF-8 JSON", code="invalid_json"))
                continue
        if len(text) > limit:
            conn.push_error(TooLarge(f"frame is {len(text)} bytes; the limit is {limit}"))
            continue
        try:
            await _handle(runtime, conn, text)
        except AppError as exc:
            conn.push_error(exc)
        finally:
            conn.open_gate()


async def _handle(runtime: Runtime, conn: Connection, text: str) -> None:
    try:
        data: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidInput("frame is not valid JSON", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("a frame is a JSON object with a 'type'", code="invalid_frame")
    frame_type = data.get("type")
    client_msg_id = (
        data.get("client_msg_id") if isinstance(data.get("client_msg_id"), str) else None
    )
    if frame_type not in CLIENT_FRAME_TYPES:
        raise InvalidInput(
            f"unknown frame type {frame_type!r}; expected one of {', '.join(CLIENT_FRAME_TYPES)}",
            code="unknown_type",
        )
    try:
        frame = client_frame_adapter.validate_python(data)
    except ValidationError as exc:
        conn.push_error(
            InvalidInput(_describe(exc), code="invalid_frame"), client_msg_id=client_msg_id
        )
        return
    if isinstance(frame, MessageSendFrame):
        _send(runtime, conn, frame)
    elif isinstance(frame, ResumeFrame):
        conn.resume(_parse_cursors(frame))
    elif isinstance(frame, PingFrame):
        conn.push(PongFrame(ts=frame.ts).model_dump_json(exclude_none=True))
    elif isinstance(frame, ReadFrame):
        await conversations_actions.mark_read(
            runtime.db,
            runtime.bus,
            principal=conn.principal,
            conversation_id=frame.conversation_id,
            seq=frame.seq,
        )
    elif isinstance(frame, TypingFrame):
        await _typing(runtime, conn.principal, frame)


def _send(runtime: Runtime, conn: Connection, frame: MessageSendFrame) -> None:
    settings = runtime.settings
    try:
        content = check_content(
            frame.content,
            max_text_length=settings.max_text_length,
            max_card_bytes=settings.max_card_bytes,
        )
    except AppError as exc:
        conn.push_error(exc, client_msg_id=frame.client_msg_id)
        return
    if frame.conversation_id is None and not conn.principal.is_visitor:
        conn.push_error(
            InvalidInput("conversation_id is required", field="conversation_id"),
            client_msg_id=frame.client_msg_id,
        )
        return
    future = runtime.writer.submit(
        SendRequest(
            principal=conn.principal,
            content=content,
            conversation_id=frame.conversation_id,
            client_msg_id=frame.client_msg_id,
        )
    )
    client_msg_id = frame.client_msg_id

    def acked(done: asyncio.Future[Ack]) -> None:
        error = done.exception()
        if error is None:
            conn.push(done.result().model_dump_json())
        elif isinstance(error, AppError):
            conn.push_error(error, client_msg_id=client_msg_id)
        else:  # pragma: no cover - the writer wraps its failures in AppError
            conn.push_error(
                AppError("internal error", code="internal"), client_msg_id=client_msg_id
            )

    future.add_done_callback(acked)


async def _typing(runtime: Runtime, principal: Principal, frame: TypingFrame) -> None:
    async with runtime.db.read() as session:
        conversation = await conversations_service.get(
            session, principal=principal, conversation_id=frame.conversation_id
        )
    if conversation.status != ConversationStatus.open:
        return
    await runtime.bus.publish(
        [
            TypingChanged(
                tenant_id=principal.tenant_id,
                conversation=ConversationRef(
                    id=conversation.id,
                    contact_id=conversation.contact_id,
                    assignee_id=conversation.assignee_id,
                    group_id=conversation.group_id,
                    status=conversation.status,
                ),
                sender=Sender(
                    type=SenderType.contact if principal.is_visitor else SenderType.agent,
                    id=principal.id,
                ),
                state=frame.state,
            )
        ]
    )


def _parse_cursors(frame: ResumeFrame) -> dict[int, int]:
    cursors: dict[int, int] = {}
    for key, seq in frame.cursors.items():
        try:
            cid = int(key)
        except ValueError:
            raise InvalidInput(
                f"cursor key {key!r} is not a conversation id", field="cursors"
            ) from None
        cursors[cid] = seq
    return cursors


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"][1:]) or "frame"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
