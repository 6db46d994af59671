"""Products over REST: the merchant's system syncs them (API key); the workbench searches
them and gets recommendations for a conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from huiliu.auth.deps import AgentDep, IntegrationDep, RuntimeDep
from huiliu.catalogue import recommend, service
from huiliu.catalogue.schemas import (
    ProductIn,
    ProductItem,
    ProductOut,
    ProductsIn,
    Recommendation,
    Synced,
)
from huiliu.conversations import service as conversations_service
from huiliu.db.base import utcnow
from huiliu.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["catalogue"])
ProductId = Annotated[str, Path(min_length=1, max_length=100, description="the merchant's id")]


@router.put("/integration/products/{product_id}")
async def put_product(
    product_id: ProductId,
    body: ProductIn,
    principal: IntegrationDep,
    runtime: RuntimeDep,
    response: Response,
) -> Synced:
    """One product, new (``201``) or changed (``200``)."""
    async with runtime.db.write_connection() as conn:
        synced = await service.upsert(
            conn,
            tenant_id=principal.tenant_id,
            items=[ProductItem(product_id=product_id, **body.model_dump())],
        )
    response.status_code = 201 if synced.created else 200
    return synced


@router.post("/integration/products")
async def put_products(body: ProductsIn, principal: IntegrationDep, runtime: RuntimeDep) -> Synced:
    """Up to 500 products at once (a catalogue sync in pages); any bad one refuses the page,
    naming it (``products.3.price``), and stores nothing."""
    async with runtime.db.write_connection() as conn:
        return await service.upsert(conn, tenant_id=principal.tenant_id, items=body.products)


@router.delete("/integration/products/{product_id}", status_code=204)
async def delete_product(
    product_id: ProductId, principal: IntegrationDep, runtime: RuntimeDep
) -> Response:
    """Off sale: kept (cards already sent still open it), never recommended."""
    async with runtime.db.write_connection() as conn:
        if not await service.deactivate(conn, tenant_id=principal.tenant_id, product_id=product_id):
            raise NotFound("product not found")
    return Response(status_code=204)


@router.get("/products")
async def search_products(
    principal: AgentDep,
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ProductOut]:
    """Products on sale, by name or category (an agent picking a card by hand)."""
    async with runtime.db.read() as session:
        return await service.search(session, tenant_id=principal.tenant_id, q=q, limit=limit)


@router.get("/conversations/{conversation_id}/recommendations")
async def recommendations(
    conversation_id: int,
    principal: AgentDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[Recommendation]:
    """Product cards for this customer now, best first, each with why; send one with
    ``POST /conversations/{id}/messages`` and its ``card`` as the content."""
    async with runtime.db.read() as session:
        conversation = await conversations_service.get(
            session, principal=principal, conversation_id=conversation_id
        )
        return await recommend.recommend(
            await session.connection(),
            tenant_id=principal.tenant_id,
            contact_id=conversation.contact_id,
            conversation_id=conversation.id,
            now=utcnow(),
            limit=limit,
        )
