"""The merchant's products: upserted from its system, read by the workbench."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.catalogue.models import Product
from huiliu.catalogue.schemas import ProductIn, ProductItem, ProductOut, Synced
from huiliu.db.base import LIKE_ESCAPE, contains, utcnow

products = cast(Table, Product.__table__)


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


def _values(tenant_id: int, product_id: str, body: ProductIn) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "external_id": product_id,
        "name": body.name,
        "price_cents": _cents(body.price),
        "currency": body.currency,
        "url": body.url,
        "image_url": body.image_url,
        "category": (body.category or "").strip() or None,
        "keywords": [k.strip() for k in body.keywords if k.strip()],
        "description": body.description,
        "active": body.active,
        "updated_at": utcnow(),
    }


async def upsert(conn: AsyncConnection, *, tenant_id: int, items: Sequence[ProductItem]) -> Synced:
    """Store each product (or its new state), by the merchant's id."""
    ids = [i.product_id for i in items]
    known = set(
        (
            await conn.execute(
                select(products.c.external_id).where(
                    products.c.tenant_id == tenant_id, products.c.external_id.in_(ids)
                )
            )
        )
        .scalars()
        .all()
    )
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(products)
    rows = [_values(tenant_id, i.product_id, i) for i in items]
    for i in range(0, len(rows), 500):
        stmt = insert.values(rows[i : i + 500])
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "external_id"],
                set_={
                    c: getattr(stmt.excluded, c)
                    for c in rows[0]
                    if c not in ("tenant_id", "external_id")
                },
            )
        )
    fresh = len(set(ids) - known)
    return Synced(created=fresh, updated=len(set(ids)) - fresh)


def out(row: Any) -> ProductOut:
    price = (
        None
        if row.price_cents is None
        else str((Decimal(row.price_cents) / 100).quantize(Decimal("0.01")))
    )
    return ProductOut(
        product_id=row.external_id,
        name=row.name,
        price=price,
        currency=row.currency,
        url=row.url,
        image_url=row.image_url,
        category=row.category,
        keywords=list(row.keywords or []),
        description=row.description,
        active=row.active,
        updated_at=row.updated_at,
    )


async def search(
    session: AsyncSession, *, tenant_id: int, q: str | None, limit: int
) -> list[ProductOut]:
    """Products on sale whose name or category contains ``q`` (all of them without)."""
    stmt = select(products).where(products.c.tenant_id == tenant_id, products.c.active.is_(True))
    if q and q.strip():
        pattern = contains(q.strip())
        stmt = stmt.where(
            products.c.name.ilike(pattern, escape=LIKE_ESCAPE)
            | products.c.category.ilike(pattern, escape=LIKE_ESCAPE)
        )
    rows = await session.execute(stmt.order_by(products.c.name).limit(limit))
    return [out(r) for r in rows.all()]


async def deactivate(conn: AsyncConnection, *, tenant_id: int, product_id: str) -> bool:
    result = await conn.execute(
        products.update()
        .where(products.c.tenant_id == tenant_id, products.c.external_id == product_id)
        .values(active=False, updated_at=utcnow())
    )
    return bool(result.rowcount)
