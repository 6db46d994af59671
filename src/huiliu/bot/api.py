"""The bot over REST: its settings, the customer's votes on answers, and a handoff button."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict

from huiliu.auth.deps import KbDep, PrincipalDep, RuntimeDep
from huiliu.bot.settings import BotSettings
from huiliu.errors import Forbidden, InvalidInput
from huiliu.kb import service as kb_service
from huiliu.roles.permissions import Permission
from huiliu.tenants import service as tenants_service

router = APIRouter(prefix="/api/v1", tags=["bot"])

MASKED = "*" * 16  # as long as a real secret must be, so an edit can send it back


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helpful: bool


@router.get("/tenant/bot")
async def get_bot(principal: KbDep, runtime: RuntimeDep) -> BotSettings:
    async with runtime.db.read() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
    settings = BotSettings.model_validate(tenant.bot or {})
    if settings.merchant_api is not None and not principal.can(Permission.settings):
        settings.merchant_api.secret = MASKED  # an integration secret: settings managers only
    return settings


@router.put("/tenant/bot")
async def set_bot(body: BotSettings, principal: KbDep, runtime: RuntimeDep) -> BotSettings:
    """Greeting, menu tree, bands and handoff rules; new conversations use them at once."""
    entry_ids = set()
    stack = list(body.menu)
    while stack:
        node = stack.pop()
        if node.entry_id is not None:
            entry_ids.add(node.entry_id)
        stack.extend(node.children)
    async with runtime.db.write() as session:
        found = await kb_service.get_many(
            session, tenant_id=principal.tenant_id, ids=sorted(entry_ids)
        )
        missing = entry_ids - {e.id for e in found}
        if missing:
            raise InvalidInput(
                f"the menu names knowledge-base entries that do not exist: {sorted(missing)}",
                field="menu",
            )
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
        if not principal.can(Permission.settings):
            # The merchant's API address and secret stay as a settings manager set them.
            stored = BotSettings.model_validate(tenant.bot or {}).merchant_api
            if stored is None and body.merchant_api is not None:
                raise Forbidden(
                    "connecting the merchant's API needs the settings.manage permission",
                    field="merchant_api",
                    permission=Permission.settings.value,
                )
            body.merchant_api = stored
        tenant.bot = body.model_dump(mode="json")
    if body.merchant_api is not None and not principal.can(Permission.settings):
        body = body.model_copy(deep=True)
        assert body.merchant_api is not None
        body.merchant_api.secret = MASKED
    return body


@router.post("/conversations/{conversation_id}/messages/{message_id}/vote", status_code=204)
async def vote(
    conversation_id: int,
    message_id: int,
    body: VoteIn,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> Response:
    """The customer's helpful / unhelpful vote on one of the bot's answers (once each)."""
    await runtime.bot.vote(
        principal=principal,
        conversation_id=conversation_id,
        message_id=message_id,
        helpful=body.helpful,
    )
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/handoff")
async def handoff(
    conversation_id: int, principal: PrincipalDep, runtime: RuntimeDep
) -> dict[str, bool]:
    """The customer asks for a person. ``handed_over`` is false when the bot was not serving
    the conversation (a person already is, or it is queued)."""
    if not principal.is_visitor:
        raise InvalidInput("agents take a conversation with POST /conversations/{id}/claim")
    done = await runtime.bot.request_handoff(principal=principal, conversation_id=conversation_id)
    return {"handed_over": done}
