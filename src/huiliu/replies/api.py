"""Quick replies over REST: every account reads them, supervisors and admins keep them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from huiliu.auth.deps import AgentDep, RepliesDep, RuntimeDep
from huiliu.replies import service
from huiliu.replies.schemas import QuickReplyIn, QuickReplyOut, QuickReplyPatch

router = APIRouter(prefix="/api/v1/quick-replies", tags=["quick replies"])


@router.get("")
async def list_replies(
    principal: AgentDep,
    runtime: RuntimeDep,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> list[QuickReplyOut]:
    """The merchant's quick replies by shortcut; ``search`` matches shortcut, title, text."""
    async with runtime.db.read() as session:
        rows = await service.list_replies(session, tenant_id=principal.tenant_id, search=search)
    return [QuickReplyOut.model_validate(r) for r in rows]


@router.post("", status_code=201)
async def create_reply(
    body: QuickReplyIn, principal: RepliesDep, runtime: RuntimeDep
) -> QuickReplyOut:
    async with runtime.db.write() as session:
        row = await service.create(session, tenant_id=principal.tenant_id, data=body)
        return QuickReplyOut.model_validate(row)


@router.patch("/{reply_id}")
async def update_reply(
    reply_id: int, body: QuickReplyPatch, principal: RepliesDep, runtime: RuntimeDep
) -> QuickReplyOut:
    async with runtime.db.write() as session:
        row = await service.update_reply(
            session, tenant_id=principal.tenant_id, reply_id=reply_id, patch=body
        )
        return QuickReplyOut.model_validate(row)


@router.delete("/{reply_id}", status_code=204)
async def delete_reply(reply_id: int, principal: RepliesDep, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        await service.delete(session, tenant_id=principal.tenant_id, reply_id=reply_id)
    return Response(status_code=204)
