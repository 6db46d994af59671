"""The merchant's system tells Huiliu about its customers: their profile and their orders
(``Authorization: Bearer <API key>``; docs/profile.md). A customer is named by the
merchant's own user id, the id its signed widget identities carry; one not seen yet is
created."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from huiliu.auth.deps import IntegrationDep, RuntimeDep
from huiliu.contacts import profile, rules, service
from huiliu.contacts.models import USER_CHANNEL
from huiliu.contacts.schemas import Attributes, ContactOut, ContactPatch, Email, Name, Phone

router = APIRouter(prefix="/api/v1/integration", tags=["integration"])

UserId = Annotated[str, Path(min_length=1, max_length=200, description="the merchant's user id")]
OrderId = Annotated[str, Path(min_length=1, max_length=100, description="the merchant's order id")]


class CustomerIn(BaseModel):
    """Fields left out stay as they are; ``attributes`` are merged (null removes one)."""

    model_config = ConfigDict(extra="forbid")

    name: Name = None
    email: Email = None
    phone: Phone = None
    attributes: Attributes = None
    marketing_opt_out: StrictBool | None = Field(
        default=None, description="the customer's consent as the merchant records it"
    )


class OrderStored(BaseModel):
    contact_id: int
    order_id: str
    created: bool = Field(description="false: the order was known and is updated")


async def _customer(session: Any, tenant_id: int, user_id: str) -> tuple[Any, bool]:
    known = await service.get_by_identity(
        session, tenant_id=tenant_id, channel=USER_CHANNEL, external_id=user_id
    )
    contact = await service.get_or_create_by_identity(
        session, tenant_id=tenant_id, channel=USER_CHANNEL, external_id=user_id, verified=True
    )
    return contact, known is None


@router.put("/customers/{user_id}")
async def put_customer(
    user_id: UserId,
    body: CustomerIn,
    principal: IntegrationDep,
    runtime: RuntimeDep,
    response: Response,
) -> ContactOut:
    """The customer's profile as the merchant knows it → ``201`` when new, else ``200``."""
    tenant_id = principal.tenant_id
    async with runtime.db.write() as session:
        settings = await profile.get_settings(session, tenant_id=tenant_id)
        contact, created = await _customer(session, tenant_id, user_id)
        attributes = dict(contact.attributes or {})
        for key, value in (body.attributes or {}).items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        patch = ContactPatch.model_validate(
            {
                **{
                    f: getattr(body, f)
                    for f in ("name", "email", "phone", "marketing_opt_out")
                    if f in body.model_fields_set
                },
                "attributes": profile.check_attributes(settings, attributes),
            }
        )
        service.check_patch(patch)
        contact = await service.update_contact(
            session, tenant_id=tenant_id, contact_id=contact.id, patch=patch
        )
        out = await service.out(session, contact)
    response.status_code = 201 if created else 200
    return out


@router.put("/customers/{user_id}/orders/{order_id}")
async def put_order(
    user_id: UserId,
    order_id: OrderId,
    body: profile.OrderIn,
    principal: IntegrationDep,
    runtime: RuntimeDep,
    response: Response,
) -> OrderStored:
    """An order of the customer, new or changed (send it again on every change: paid,
    shipped, refunded …) → ``201`` when new, else ``200``. Tag rules on spending see it at
    once."""
    tenant_id = principal.tenant_id
    async with runtime.db.write() as session:
        contact, _ = await _customer(session, tenant_id, user_id)
        await session.flush()
        conn = await session.connection()
        created, moved_from = await profile.upsert_order(
            conn, tenant_id=tenant_id, contact_id=contact.id, order_id=order_id, order=body
        )
        contact_id = contact.id
        # Spending rules decide again for the customer (and the one it moved from) now.
        for whom in (contact_id, moved_from):
            if whom is not None:
                await rules.evaluate(conn, tenant_id=tenant_id, contact_id=whom, facts={"orders"})
    response.status_code = 201 if created else 200
    return OrderStored(contact_id=contact_id, order_id=order_id, created=created)
