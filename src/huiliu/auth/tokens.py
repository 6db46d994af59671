"""Signed bearer tokens (JWT, HS256) for accounts and visitors."""

from __future__ import annotations

import time
from typing import Any

import jwt

from huiliu.accounts.models import Role
from huiliu.auth.principal import Principal
from huiliu.errors import Unauthorized

ALGORITHM = "HS256"


def issue(principal: Principal, *, secret: str, ttl_s: int) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(principal.id),
        "tid": principal.tenant_id,
        "knd": principal.kind,
        "iat": now,
        "exp": now + ttl_s,
    }
    if principal.role is not None:
        claims["rol"] = principal.role.value
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: str, *, secret: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "tid"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired; log in again", code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
    try:
        kind = claims["knd"]
        if kind not in ("account", "visitor"):
            raise ValueError(kind)
        role = Role(claims["rol"]) if kind == "account" else None
        return Principal(kind=kind, tenant_id=int(claims["tid"]), id=int(claims["sub"]), role=role)
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("invalid token", code="invalid_token") from exc
