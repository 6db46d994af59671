"""Errors a client can act on: a stable ``code``, a human ``detail`` and an HTTP status.

Raised by checks and actions; REST turns them into ``{"code", "detail"}`` responses and the
WebSocket gateway into ``error`` frames.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class InvalidInput(AppError):
    status = 422
    code = "invalid"


class TooLarge(AppError):
    status = 413
    code = "too_large"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"
