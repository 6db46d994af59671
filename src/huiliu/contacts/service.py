"""Customers: their profile, identities per channel, tags, visited pages, and their orders
in the merchant's own system."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.contacts import rules
from huiliu.contacts.models import USER_CHANNEL, Contact, ContactIdentity, ContactTag, ContactVisit
from huiliu.contacts.schemas import (
    MAX_ATTRIBUTES_BYTES,
    ContactOut,
    ContactPatch,
    IdentityOut,
    OrdersOut,
    TagCount,
    VisitIn,
)
from huiliu.db.base import LIKE_ESCAPE, contains, scoped, utcnow
from huiliu.errors import NotFound, TooLarge
from huiliu.integrations import merchant_api
from huiliu.integrations.merchant_api import Customer, MerchantApi, MerchantApiError

log = logging.getLogger(__name__)
# A page left open in a background tab is not thirty hours of reading.
MAX_VISIT_S = 30 * 60


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
            # A newcomer: every rule decides (one of "no order in 90 days" holds at once).
            await rules.evaluate(session, tenant_id=tenant_id, contact_id=contact.id)
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


async def resolve_channel_identity(
    session: AsyncSession,
    *,
    tenant_id: int,
    channel: str,
    external_id: str,
    merge_keys: Sequence[tuple[str, str]] = (),
    profile: dict[str, Any] | None = None,
) -> Contact:
    """The one contact behind a customer who writes on a channel: the one known there as
    ``external_id``; else the one another identity the channel vouches for points at (a
    verified phone or e-mail, a WeChat unionid, the merchant's user id — ``merge_keys``), now
    known on this channel too; else a new contact. The merge keys become identities of the
    contact, so the next channel that vouches for one of them finds the same person."""
    contact = await get_by_identity(
        session, tenant_id=tenant_id, channel=channel, external_id=external_id
    )
    if contact is None:
        for key_channel, key in merge_keys:
            contact = await get_by_identity(
                session, tenant_id=tenant_id, channel=key_channel, external_id=key
            )
            if contact is not None:
                break
    existed = contact is not None
    if contact is None:
        contact = await get_or_create_by_identity(
            session, tenant_id=tenant_id, channel=channel, external_id=external_id, profile=profile
        )
    else:
        given = {f: (profile or {}).get(f) for f in ("name", "email", "phone")}
        await fill_empty(session, tenant_id=tenant_id, contact_id=contact.id, given=given)
    identities = await list_identities(session, tenant_id=tenant_id, contact_id=contact.id)
    known = {(i.channel, i.external_id) for i in identities}
    added = False
    for key_channel, key in [(channel, external_id), *merge_keys]:
        if (key_channel, key) in known:
            continue
        try:
            async with session.begin_nested():
                session.add(
                    ContactIdentity(
                        tenant_id=tenant_id,
                        contact_id=contact.id,
                        channel=key_channel,
                        external_id=key,
                    )
                )
            added = True
        except IntegrityError:
            # The key belongs to someone else already (two contacts claimed one phone): keep
            # it theirs; this channel identity still reaches this contact.
            continue
    if existed and added:  # reachable somewhere new: rules on channels decide again
        await session.flush()
        await rules.evaluate(session, tenant_id=tenant_id, contact_id=contact.id, facts={"channel"})
    return contact


async def list_identities(
    session: AsyncSession, *, tenant_id: int, contact_id: int
) -> list[ContactIdentity]:
    stmt = scoped(select(ContactIdentity), ContactIdentity, tenant_id).where(
        ContactIdentity.contact_id == contact_id
    )
    return list(await session.scalars(stmt))


async def out(session: AsyncSession, contact: Contact) -> ContactOut:
    identities = await list_identities(session, tenant_id=contact.tenant_id, contact_id=contact.id)
    return ContactOut(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        phone=contact.phone,
        attributes=dict(contact.attributes or {}),
        verified=contact.verified,
        marketing_opt_out_at=contact.marketing_opt_out_at,
        created_at=contact.created_at,
        tags=await list_tags(session, tenant_id=contact.tenant_id, contact_id=contact.id),
        rule_tags=list(
            await session.scalars(
                scoped(select(ContactTag.tag), ContactTag, contact.tenant_id)
                .where(ContactTag.contact_id == contact.id, ContactTag.rule_id.is_not(None))
                .order_by(ContactTag.tag)
            )
        ),
        identities=[IdentityOut.model_validate(i) for i in sorted(identities, key=lambda i: i.id)],
    )


def check_patch(patch: ContactPatch) -> None:
    """The limit a schema cannot say: the attributes' size as stored."""
    if patch.attributes is not None:
        size = len(orjson.dumps(patch.attributes))
        if size > MAX_ATTRIBUTES_BYTES:
            raise TooLarge(
                f"attributes are {size} bytes as JSON; the limit is {MAX_ATTRIBUTES_BYTES}",
                field="attributes",
            )


async def update_contact(
    session: AsyncSession, *, tenant_id: int, contact_id: int, patch: ContactPatch
) -> Contact:
    """Change the fields ``patch`` names; attributes are replaced as a whole."""
    contact = await get(session, tenant_id=tenant_id, contact_id=contact_id)
    given = patch.model_fields_set
    for field in ("name", "email", "phone"):
        if field in given:
            setattr(contact, field, getattr(patch, field))
    if patch.attributes is not None:
        contact.attributes = dict(patch.attributes)
    if patch.marketing_opt_out is not None:
        if not patch.marketing_opt_out:
            contact.marketing_opt_out_at = None
        elif contact.marketing_opt_out_at is None:
            contact.marketing_opt_out_at = utcnow()
    await session.flush()
    if patch.attributes is not None:
        await rules.evaluate(
            session, tenant_id=tenant_id, contact_id=contact_id, facts={"attribute"}
        )
    return contact


async def fill_empty(
    session: AsyncSession, *, tenant_id: int, contact_id: int, given: dict[str, str | None]
) -> dict[str, str]:
    """Fill the contact's empty name, email and phone from ``given`` (what the customer
    typed in a form); a field they already have keeps its value. Returns the given values
    that were not stored because the contact holds another one."""
    contact = await get(session, tenant_id=tenant_id, contact_id=contact_id)
    kept_apart: dict[str, str] = {}
    for field in ("name", "email", "phone"):
        value = given.get(field)
        if not value:
            continue
        current = getattr(contact, field)
        if not current:
            setattr(contact, field, value)
        elif current != value:
            kept_apart[field] = value
    await session.flush()
    return kept_apart


# -- tags --------------------------------------------------------------------------------


async def list_tags(session: AsyncSession, *, tenant_id: int, contact_id: int) -> list[str]:
    stmt = (
        scoped(select(ContactTag.tag), ContactTag, tenant_id)
        .where(ContactTag.contact_id == contact_id)
        .order_by(ContactTag.tag)
    )
    return list(await session.scalars(stmt))


async def add_tag(
    session: AsyncSession, *, tenant_id: int, contact_id: int, tag: str, account_id: int
) -> list[str]:
    """Tag the contact (a tag it has already is kept as it is); its tags after."""
    await get(session, tenant_id=tenant_id, contact_id=contact_id)
    if tag not in await list_tags(session, tenant_id=tenant_id, contact_id=contact_id):
        try:
            async with session.begin_nested():
                session.add(
                    ContactTag(
                        tenant_id=tenant_id, contact_id=contact_id, tag=tag, created_by=account_id
                    )
                )
                await session.flush()
        except IntegrityError:
            pass  # a concurrent request added the same tag: the end is the same
    return await list_tags(session, tenant_id=tenant_id, contact_id=contact_id)


async def remove_tag(
    session: AsyncSession, *, tenant_id: int, contact_id: int, tag: str
) -> list[str]:
    """Untag the contact (a tag it does not have is no error); its tags after."""
    await get(session, tenant_id=tenant_id, contact_id=contact_id)
    await session.execute(
        delete(ContactTag).where(
            ContactTag.tenant_id == tenant_id,
            ContactTag.contact_id == contact_id,
            ContactTag.tag == tag,
        )
    )
    return await list_tags(session, tenant_id=tenant_id, contact_id=contact_id)


async def tag_counts(
    session: AsyncSession, *, tenant_id: int, search: str | None = None, limit: int = 200
) -> list[TagCount]:
    """The merchant's tags, most used first (for autocompletion)."""
    count = func.count().label("count")
    stmt = scoped(select(ContactTag.tag, count), ContactTag, tenant_id).group_by(ContactTag.tag)
    if search and search.strip():
        stmt = stmt.where(ContactTag.tag.ilike(contains(search.strip()), escape=LIKE_ESCAPE))
    stmt = stmt.order_by(count.desc(), ContactTag.tag).limit(limit)
    return [TagCount(tag=tag, count=n) for tag, n in (await session.execute(stmt)).all()]


# -- visited pages ---------------------------------------------------------------------


async def record_visit(
    session: AsyncSession, *, tenant_id: int, contact_id: int, visit: VisitIn
) -> ContactVisit:
    """The customer opened a page: it closes their previous one (its duration is the time
    until now, at most 30 minutes) and is open until the next."""
    await get(session, tenant_id=tenant_id, contact_id=contact_id)
    now = utcnow()
    still_open = await session.scalars(
        scoped(select(ContactVisit), ContactVisit, tenant_id).where(
            ContactVisit.contact_id == contact_id, ContactVisit.duration_s.is_(None)
        )
    )
    for previous in still_open:
        seconds = int((now - previous.started_at).total_seconds())
        previous.duration_s = max(0, min(seconds, MAX_VISIT_S))
    row = ContactVisit(
        tenant_id=tenant_id,
        contact_id=contact_id,
        url=visit.url,
        title=visit.title,
        referrer=visit.referrer,
        started_at=now,
    )
    session.add(row)
    await session.flush()
    await rules.evaluate(session, tenant_id=tenant_id, contact_id=contact_id, facts={"visits"})
    return row


async def list_visits(
    session: AsyncSession, *, tenant_id: int, contact_id: int, limit: int = 50
) -> list[ContactVisit]:
    """Newest first."""
    stmt = (
        scoped(select(ContactVisit), ContactVisit, tenant_id)
        .where(ContactVisit.contact_id == contact_id)
        .order_by(ContactVisit.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(stmt))


# -- orders in the merchant's system ---------------------------------------------------


async def merchant_customer(session: AsyncSession, *, tenant_id: int, contact_id: int) -> Customer:
    """Who the merchant's API is asked about: our contact id, and the merchant's own user id
    when the customer signed in through the merchant."""
    contact = await get(session, tenant_id=tenant_id, contact_id=contact_id)
    external = await session.scalar(
        scoped(select(ContactIdentity.external_id), ContactIdentity, tenant_id).where(
            ContactIdentity.contact_id == contact.id, ContactIdentity.channel == USER_CHANNEL
        )
    )
    return Customer(contact_id=contact.id, external_id=external)


async def fetch_orders(
    api: MerchantApi | None, customer: Customer, *, call: Any = merchant_api.call
) -> OrdersOut:
    """The customer's orders from the merchant's ``list_orders``. Never raises for the
    merchant's sake: whatever goes wrong there is told in ``error`` for the agent's panel.
    Called outside any transaction (the merchant may take seconds)."""
    if api is None:
        return OrdersOut(configured=False, orders=[], error=None)
    try:
        answer = await call(api, "list_orders", customer=customer, params={})
    except MerchantApiError as exc:
        if exc.reason == "unavailable":
            error = f"the merchant API could not be reached ({exc})"
        elif exc.reason == "garbled":
            error = "the merchant API answered something that is not a JSON object"
        else:
            error = f"the merchant API answered: {exc.customer_message}"
        return OrdersOut(configured=True, orders=[], error=error)
    orders = answer.get("orders")
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        log.warning("merchant API list_orders answered without a list of orders")
        return OrdersOut(
            configured=True,
            orders=[],
            error="the merchant API answered without a list of orders",
        )
    return OrdersOut(configured=True, orders=orders, error=None)
