from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.contacts.models import Contact, ContactIdentity
from huiliu.db.base import scoped
from huiliu.errors import NotFound


async def get(session: AsyncSession, *, tenant_id: int, contact_id: int) -> Contact:
    stmt = scoped(select(Contact), Contact, tenant_id).where(Contact.id == contact_id)
    contact = (await session.scalars(stmt)).first()
    if contact is None:
        raise NotFound("contact not found")
    return contact


async def get_by_identity(
    session: AsyncSession, *, tenant_id: int, channel: str, external_id: str
) -> Contact | None:
    stmt = (
        scoped(select(Contact), Contact, tenant_id)
        .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
        .where(ContactIdentity.channel == channel, ContactIdentity.external_id == external_id)
    )
    return (await session.scalars(stmt)).first()


async def get_or_create_by_identity(
    session: AsyncSession,
    *,
    tenant_id: int,
    channel: str,
    external_id: str,
    verified: bool = False,
    profile: dict[str, Any] | None = None,
) -> Contact:
    """The contact known on ``channel`` as ``external_id``, created (with ``profile``) if new."""
    profile = profile or {}
    contact = await get_by_identity(
        session, tenant_id=tenant_id, channel=channel, external_id=external_id
    )
    if contact is None:
        try:
            async with session.begin_nested():
                contact = Contact(
                    tenant_id=tenant_id,
                    verified=verified,
                    name=profile.get("name"),
                    email=profile.get("email"),
                    phone=profile.get("phone"),
                    attributes=profile.get("attributes") or {},
                )
                session.add(contact)
                await session.flush()
                session.add(
                    ContactIdentity(
                        tenant_id=tenant_id,
                        contact_id=contact.id,
                        channel=channel,
                        external_id=external_id,
                    )
                )
                await session.flush()
                return contact
        except IntegrityError:
            # Another request created the same identity first.
            contact = await get_by_identity(
                session, tenant_id=tenant_id, channel=channel, external_id=external_id
            )
            if contact is None:
                raise
    for field in ("name", "email", "phone"):
        if profile.get(field):
            setattr(contact, field, profile[field])
    if profile.get("attributes"):
        contact.attributes = {**contact.attributes, **profile["attributes"]}
    if verified:
        contact.verified = True
    return contact


async def list_identities(
    session: AsyncSession, *, tenant_id: int, contact_id: int
) -> list[ContactIdentity]:
    stmt = scoped(select(ContactIdentity), ContactIdentity, tenant_id).where(
        ContactIdentity.contact_id == contact_id
    )
    return list(await session.scalars(stmt))
