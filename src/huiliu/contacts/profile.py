"""A customer's profile beyond name, e-mail and phone: the merchant's profile fields (what
``attributes`` hold), and the orders the merchant pushes (docs/profile.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.contacts.models import ContactOrder, ProfileSettingsRow
from huiliu.custom_fields import CustomFieldDef, field_value, unique_keys
from huiliu.db.base import utcnow

Executor = AsyncSession | AsyncConnection
settings_rows = cast(Table, ProfileSettingsRow.__table__)
orders = cast(Table, ContactOrder.__table__)

# Orders that did not end in a sale: rules do not count them as spending.
NOT_SPENT = ("cancelled", "refunded")


class ProfileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: list[CustomFieldDef] = Field(default_factory=list, max_length=50)

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: list[CustomFieldDef]) -> list[CustomFieldDef]:
        required = [d.key for d in value if d.required]
        if required:
            raise ValueError(
                f"{required[0]}: customers arrive from channels without it; a profile field "
                "cannot be required"
            )
        return unique_keys(value)


async def get_settings(executor: Executor, *, tenant_id: int) -> ProfileSettings:
    stored = await executor.scalar(
        select(settings_rows.c.settings).where(settings_rows.c.tenant_id == tenant_id)
    )
    return ProfileSettings.model_validate(stored or {})


async def put_settings(
    session: AsyncSession, *, tenant_id: int, settings: ProfileSettings
) -> ProfileSettings:
    row = await session.get(ProfileSettingsRow, tenant_id)
    data = settings.model_dump(mode="json")
    if row is None:
        session.add(ProfileSettingsRow(tenant_id=tenant_id, settings=data, updated_at=utcnow()))
    else:
        row.settings = data
        row.updated_at = utcnow()
    return settings


def check_attributes(settings: ProfileSettings, attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` with each defined field's value checked (422 naming
    ``attributes.<key>``); keys the merchant has not defined pass as they are."""
    known = {d.key: d for d in settings.fields}
    checked: dict[str, Any] = {}
    for key, value in attributes.items():
        spec = known.get(key)
        if spec is None or value is None or value == "":
            checked[key] = value
        else:
            checked[key] = field_value(spec, value, f"attributes.{key}")
    return checked


# -- orders the merchant pushes --------------------------------------------------------------


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    quantity: int = Field(default=1, ge=1, le=100_000)
    price: Decimal = Field(ge=0, le=Decimal("100000000"), decimal_places=2)


class OrderIn(BaseModel):
    """An order as the merchant's system knows it; sending it again updates it."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    status: str = Field(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="the merchant's own (paid, shipped, …); cancelled and refunded are not spent",
    )
    total: Decimal = Field(ge=0, le=Decimal("100000000"), decimal_places=2, description="yuan")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    items: list[OrderItem] = Field(default_factory=list, max_length=200)
    placed_at: datetime

    @field_validator("placed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("placed_at needs a time zone (e.g. 2026-12-01T10:00:00+08:00)")
        return value


class PurchaseOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    title: str | None
    status: str
    total: Decimal
    currency: str
    items: list[dict[str, Any]]
    placed_at: datetime
    updated_at: datetime


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


async def upsert_order(
    conn: AsyncConnection, *, tenant_id: int, contact_id: int, order_id: str, order: OrderIn
) -> tuple[bool, int | None]:
    """Store the order (or its new state) for the contact. Returns whether it is new, and
    the customer it was stored for until now when it moves to this one (the merchant said
    so)."""
    values = {
        "tenant_id": tenant_id,
        "contact_id": contact_id,
        "external_id": order_id,
        "title": order.title,
        "status": order.status,
        "total_cents": _cents(order.total),
        "currency": order.currency,
        "items": [
            {
                "product_id": i.product_id,
                "name": i.name,
                "quantity": i.quantity,
                "price_cents": _cents(i.price),
            }
            for i in order.items
        ],
        "placed_at": order.placed_at,
        "updated_at": utcnow(),
    }
    existed = (
        await conn.execute(
            select(orders.c.id, orders.c.contact_id).where(
                orders.c.tenant_id == tenant_id, orders.c.external_id == order_id
            )
        )
    ).first()
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(orders)
    changed = {k: v for k, v in values.items() if k not in ("tenant_id", "external_id")}
    await conn.execute(
        insert.values(**values).on_conflict_do_update(
            index_elements=["tenant_id", "external_id"], set_=changed
        )
    )
    if existed is None:
        return True, None
    return False, existed.contact_id if existed.contact_id != contact_id else None


async def list_purchases(
    executor: Executor, *, tenant_id: int, contact_id: int, limit: int = 50
) -> list[PurchaseOut]:
    """The customer's pushed orders, newest first."""
    rows = await executor.execute(
        select(orders)
        .where(orders.c.tenant_id == tenant_id, orders.c.contact_id == contact_id)
        .order_by(orders.c.placed_at.desc(), orders.c.id.desc())
        .limit(limit)
    )
    return [_purchase(r) for r in rows.all()]


def _yuan(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _purchase(row: Any) -> PurchaseOut:
    return PurchaseOut(
        order_id=row.external_id,
        title=row.title,
        status=row.status,
        total=_yuan(row.total_cents),
        currency=row.currency,
        items=[{**i, "price": str(_yuan(i.get("price_cents", 0)))} for i in row.items or []],
        placed_at=row.placed_at,
        updated_at=row.updated_at,
    )
