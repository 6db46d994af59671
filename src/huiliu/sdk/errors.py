"""The SDK's one exception, and the close codes of docs/protocol.md §2."""

from __future__ import annotations

import enum


class CloseCode(enum.IntEnum):
    """WebSocket close codes the client acts on."""

    NORMAL = 1000
    GOING_AWAY = 1001
    ABNORMAL = 1006
    TOO_BIG = 1009
    # Not sent by the server: this client found the socket dead (no hello in time, no frame
    # for two heartbeats) or useless (a gap it cannot fill), and dropped it.
    DEAD = 4000
    INVALID_TOKEN = 4001
    TOKEN_EXPIRED = 4002
    WRONG_ENDPOINT = 4003
    SLOW_CONSUMER = 4008
    IDLE = 4009


class HuiliuError(Exception):
    """An ``error`` frame from the server, or a failure of the client itself.

    ``code`` is the server's stable code (``too_large``, ``not_found``, ``forbidden`` …, see
    docs/protocol.md §4) or one of the client's own: ``closed`` (the client was closed),
    ``discarded``, ``invalid_token`` (4001), ``wrong_endpoint`` (4003), ``token_expired``
    (4002 with a fixed token), ``token_failed`` (the token function raised), ``bad_frame``
    (unreadable frame from the server), ``storage_failed`` (the outbox file), or an HTTP
    error code from the REST helpers. ``field`` names the offending field where there is
    one; ``client_msg_id`` is set when the error answers a send; ``close_code`` when a socket
    close caused it; ``status`` for REST errors.
    """

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        client_msg_id: str | None = None,
        close_code: int | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.field = field
        self.client_msg_id = client_msg_id
        self.close_code = close_code
        self.status = status

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("field", self.field),
                ("client_msg_id", self.client_msg_id),
                ("close_code", self.close_code),
                ("status", self.status),
            )
            if value is not None
        )
        return f"HuiliuError({self.code!r}, {self.detail!r}{extra})"
