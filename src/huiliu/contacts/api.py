"""Customers over REST for the workbench's customer panel: profile, tags, conversations on
every channel, visited pages, orders in the merchant's system."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from huiliu.auth.deps import AgentDep, RuntimeDep, SettingsDep
from huiliu.auth.principal import Principal
from huiliu.contacts import access, profile, service
from huiliu.contacts.schemas import ContactOut, ContactPatch, OrdersOut, Tag, TagCount, VisitOut
from huiliu.conversations import service as conversations_service
from huiliu.conversations.schemas import ConversationOut
from huiliu.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["contacts"])

TagPath = Annotated[Tag, Path(description="1–32 characters, trimmed")]


def _check(principal: Principal, *, edit: bool = False) -> None:
    allowed = access.can_edit if edit else access.can_see
    if not allowed(principal, tenant_id=principal.tenant_id):
        raise NotFound("contact not found")


@router.get("/contacts/{contact_id}")
async def get_contact(contact_id: int, principal: AgentDep, runtime: RuntimeDep) -> ContactOut:
    _check(principal)
    async with runtime.db.read() as session:
        contact = await service.get(session, tenant_id=principal.tenant_id, contact_id=contact_id)
        return await service.out(session, contact)


@router.patch("/contacts/{contact_id}")
async def update_contact(
    contact_id: int, body: ContactPatch, principal: AgentDep, runtime: RuntimeDep
) -> ContactOut:
    """Name, e-mail, phone and attributes (replaced as a whole); what is left out stays."""
    _check(principal, edit=True)
    service.check_patch(body)
    async with runtime.db.write() as session:
        if body.attributes is not None:
            settings = await profile.get_settings(session, tenant_id=principal.tenant_id)
            body = body.model_copy(
                update={"attributes": profile.check_attributes(settings, body.attributes)}
            )
        contact = await service.update_contact(
            session, tenant_id=principal.tenant_id, contact_id=contact_id, patch=body
        )
        return await service.out(session, contact)


@router.put("/contacts/{contact_id}/tags/{tag}")
async def add_tag(
    contact_id: int, tag: TagPath, principal: AgentDep, runtime: RuntimeDep
) -> list[str]:
    """Tag the customer (again: no change); their tags after, alphabetically."""
    _check(principal, edit=True)
    async with runtime.db.write() as session:
        return await service.add_tag(
            session,
            tenant_id=principal.tenant_id,
            contact_id=contact_id,
            tag=tag,
            account_id=principal.id,
        )


@router.delete("/contacts/{contact_id}/tags/{tag}")
async def remove_tag(
    contact_id: int, tag: TagPath, principal: AgentDep, runtime: RuntimeDep
) -> list[str]:
    """Untag the customer (a tag they do not have: no change); their tags after."""
    _check(principal, edit=True)
    async with runtime.db.write() as session:
        return await service.remove_tag(
            session, tenant_id=principal.tenant_id, contact_id=contact_id, tag=tag
        )


@router.get("/tags")
async def list_tags(
    principal: AgentDep,
    runtime: RuntimeDep,
    search: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[TagCount]:
    """The merchant's tags with how many customers have each, most used first."""
    async with runtime.db.read() as session:
        return await service.tag_counts(
            session, tenant_id=principal.tenant_id, search=search, limit=limit
        )


@router.get("/contacts/{contact_id}/conversations")
async def list_conversations(
    contact_id: int,
    principal: AgentDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[ConversationOut]:
    """The customer's conversations on every channel that the caller may see (see
    ``contacts/access.py``), newest first; read each with ``/conversations/{id}/messages``."""
    _check(principal)
    async with runtime.db.read() as session:
        await service.get(session, tenant_id=principal.tenant_id, contact_id=contact_id)
        return await conversations_service.list_conversations(
            session, principal=principal, contact_id=contact_id, limit=limit, before_id=before_id
        )


@router.get("/contacts/{contact_id}/visits")
async def list_visits(
    contact_id: int,
    principal: AgentDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[VisitOut]:
    """Pages the customer opened on the merchant's site, newest first."""
    _check(principal)
    async with runtime.db.read() as session:
        await service.get(session, tenant_id=principal.tenant_id, contact_id=contact_id)
        rows = await service.list_visits(
            session, tenant_id=principal.tenant_id, contact_id=contact_id, limit=limit
        )
    return [VisitOut.model_validate(r) for r in rows]


@router.get("/contacts/{contact_id}/orders")
async def list_orders(contact_id: int, principal: AgentDep, runtime: RuntimeDep) -> OrdersOut:
    """The customer's orders from the merchant's API (the bot settings' ``merchant_api``).
    A failing merchant API is reported in ``error``, never as a failure of this route."""
    _check(principal)
    async with runtime.db.read() as session:
        customer = await service.merchant_customer(
            session, tenant_id=principal.tenant_id, contact_id=contact_id
        )
    settings = await runtime.bot.settings(principal.tenant_id)
    return await service.fetch_orders(settings.merchant_api, customer)


@router.get("/contacts/{contact_id}/purchases")
async def list_purchases(
    contact_id: int, principal: AgentDep, runtime: RuntimeDep
) -> list[profile.PurchaseOut]:
    """The orders the merchant pushed for the customer (the integration API), newest first."""
    _check(principal)
    async with runtime.db.read() as session:
        contact = await service.get(session, tenant_id=principal.tenant_id, contact_id=contact_id)
        return await profile.list_purchases(
            session, tenant_id=principal.tenant_id, contact_id=contact.id
        )


@router.get("/tenant/profile")
async def get_profile_settings(principal: AgentDep, runtime: RuntimeDep) -> profile.ProfileSettings:
    """The merchant's profile fields (every account: the customer panel shows them)."""
    async with runtime.db.read() as session:
        return await profile.get_settings(session, tenant_id=principal.tenant_id)


@router.put("/tenant/profile")
async def put_profile_settings(
    body: profile.ProfileSettings, principal: SettingsDep, runtime: RuntimeDep
) -> profile.ProfileSettings:
    """The fields customers' attributes hold: key, label, type (text, number, select with
    options, date, checkbox). Values already stored stay; new ones are checked."""
    async with runtime.db.write() as session:
        return await profile.put_settings(session, tenant_id=principal.tenant_id, settings=body)
