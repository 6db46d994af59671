from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.db.base import scoped, utcnow
from huiliu.errors import Conflict, NotFound
from huiliu.roles import service as roles_service
from huiliu.tenants.models import ApiKey, Tenant


async def create(session: AsyncSession, *, name: str, slug: str) -> Tenant:
    if await get_by_slug(session, slug=slug) is not None:
        raise Conflict(f"a tenant with slug {slug!r} exists")
    tenant = Tenant(
        name=name,
        slug=slug,
        widget_key="wk_" + secrets.token_urlsafe(18),
        identity_secret=secrets.token_urlsafe(32),
    )
    session.add(tenant)
    await session.flush()
    roles_service.create_builtins(session, tenant_id=tenant.id)
    await session.flush()
    return tenant


async def get(session: AsyncSession, *, tenant_id: int) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("tenant not found")
    return tenant


async def get_by_slug(session: AsyncSession, *, slug: str) -> Tenant | None:
    result = await session.scalars(select(Tenant).where(Tenant.slug == slug))
    return result.first()


async def get_by_widget_key(session: AsyncSession, *, widget_key: str) -> Tenant | None:
    result = await session.scalars(select(Tenant).where(Tenant.widget_key == widget_key))
    return result.first()


def identity_signature(secret: str, user_id: str) -> str:
    """What the merchant's server computes: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_identity(tenant: Tenant, *, user_id: str, signature: str) -> bool:
    return hmac.compare_digest(identity_signature(tenant.identity_secret, user_id), signature)


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(session: AsyncSession, *, tenant_id: int, name: str) -> tuple[ApiKey, str]:
    """Return the key row and the key itself, which is shown once and never stored."""
    prefix = secrets.token_hex(6)
    key = f"hl_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(tenant_id=tenant_id, name=name, prefix=prefix, key_hash=_hash_key(key))
    session.add(row)
    await session.flush()
    return row, key


async def list_api_keys(session: AsyncSession, *, tenant_id: int) -> list[ApiKey]:
    stmt = scoped(select(ApiKey), ApiKey, tenant_id).order_by(ApiKey.id)
    return list(await session.scalars(stmt))


async def revoke_api_key(session: AsyncSession, *, tenant_id: int, key_id: int) -> ApiKey:
    stmt = scoped(select(ApiKey), ApiKey, tenant_id).where(ApiKey.id == key_id)
    row = (await session.scalars(stmt)).first()
    if row is None:
        raise NotFound("API key not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


async def authenticate_api_key(session: AsyncSession, *, key: str) -> ApiKey | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "hl":
        return None
    row = (await session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1]))).first()
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.key_hash, _hash_key(key)) else None
