"""Channel accounts over REST (admins configure, supervisors read), the channel types, each
account's event log, and a conversation's delivery states for the workbench."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from huiliu.auth.deps import AgentDep, ChannelsDep, RuntimeDep
from huiliu.channels import service
from huiliu.channels.base import Adapter, adapters
from huiliu.channels.models import ChannelAccount
from huiliu.channels.schemas import (
    ChannelAccountCreated,
    ChannelAccountIn,
    ChannelAccountOut,
    ChannelAccountPatch,
    ChannelEventOut,
    ChannelTypeOut,
    DeliveryStateOut,
)
from huiliu.conversations import service as conversations_service
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, InvalidInput

router = APIRouter(prefix="/api/v1", tags=["channels"])


def _checked_config(adapter: Adapter, config: dict[str, Any]) -> dict[str, Any]:
    try:
        model = adapter.config_model.model_validate(config)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"config.{where}: {first.get('msg')}", field=f"config.{where}") from None
    checked: dict[str, Any] = model.model_dump(mode="json")
    return checked


def _out(request: Request, adapter: Adapter, account: ChannelAccount) -> dict[str, Any]:
    config = dict(account.config or {})
    secrets_set = [f for f in adapter.secret_fields if config.get(f)]
    for field in adapter.secret_fields:
        config.pop(field, None)
    base = str(request.base_url).rstrip("/")
    return {
        "id": account.id,
        "type": account.type,
        "name": account.name,
        "active": account.active,
        "config": config,
        "secrets_set": secrets_set,
        "inbound_url": f"{base}/channels/{account.type}/{account.token}",
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


@router.get("/channels/types")
async def list_types(_principal: AgentDep) -> list[ChannelTypeOut]:
    """The channels this Huiliu can connect, with the settings each one takes."""
    return [
        ChannelTypeOut(
            channel=a.channel,
            label=a.label,
            secret_fields=list(a.secret_fields),
            reply_window_s=a.reply_window_s,
            config_schema=a.config_model.model_json_schema(),
        )
        for a in adapters()
    ]


@router.get("/tenant/channels")
async def list_accounts(
    request: Request, principal: ChannelsDep, runtime: RuntimeDep
) -> list[ChannelAccountOut]:
    async with runtime.db.read() as session:
        accounts = await service.list_accounts(session, tenant_id=principal.tenant_id)
    return [ChannelAccountOut(**_out(request, service.adapter_of(a.type), a)) for a in accounts]


@router.post("/tenant/channels", status_code=201)
async def create_account(
    body: ChannelAccountIn, request: Request, principal: ChannelsDep, runtime: RuntimeDep
) -> ChannelAccountCreated:
    adapter = service.adapter_of(body.type)
    generated = {k: v for k, v in adapter.generated_secrets().items() if not body.config.get(k)}
    config = _checked_config(adapter, {**body.config, **generated})
    async with runtime.db.write() as session:
        account = await service.create(
            session,
            tenant_id=principal.tenant_id,
            channel=body.type,
            name=body.name,
            config=config,
        )
        account.active = body.active
        await session.flush()
        out = _out(request, adapter, account)
    return ChannelAccountCreated(**out, generated=generated)


@router.get("/tenant/channels/{account_id}")
async def get_account(
    account_id: int, request: Request, principal: ChannelsDep, runtime: RuntimeDep
) -> ChannelAccountOut:
    async with runtime.db.read() as session:
        account = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    return ChannelAccountOut(**_out(request, service.adapter_of(account.type), account))


@router.patch("/tenant/channels/{account_id}")
async def update_account(
    account_id: int,
    body: ChannelAccountPatch,
    request: Request,
    principal: ChannelsDep,
    runtime: RuntimeDep,
) -> ChannelAccountOut:
    async with runtime.db.write() as session:
        account = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
        adapter = service.adapter_of(account.type)
        if body.config is not None:
            merged = {**(account.config or {}), **body.config}
            account.config = _checked_config(adapter, merged)
        if body.name is not None:
            account.name = body.name
        if body.active is not None:
            account.active = body.active
        account.updated_at = utcnow()
        await session.flush()
        out = _out(request, adapter, account)
    return ChannelAccountOut(**out)


@router.delete("/tenant/channels/{account_id}", status_code=204)
async def delete_account(account_id: int, principal: ChannelsDep, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as session:
        account = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
        if await service.in_use(session, account_id=account.id):
            raise Conflict(
                "conversations came in through this account; switch it off instead "
                "(PATCH active=false) so their history keeps its channel"
            )
        await service.delete(session, account=account)
    return Response(status_code=204)


@router.get("/tenant/channels/{account_id}/events")
async def list_events(
    account_id: int,
    principal: ChannelsDep,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ChannelEventOut]:
    """What crossed the account lately, newest first: inbound pushes (stored, duplicates,
    refused) and outbound deliveries (sent, pending, failed with the channel's reason)."""
    async with runtime.db.read() as session:
        await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
        events = await service.list_events(
            session, tenant_id=principal.tenant_id, account_id=account_id, limit=limit
        )
    return [ChannelEventOut.model_validate(e) for e in events]


@router.get("/conversations/{conversation_id}/deliveries")
async def list_deliveries(
    conversation_id: int, principal: AgentDep, runtime: RuntimeDep
) -> list[DeliveryStateOut]:
    """How the agents' and the bot's messages of a WeChat, e-mail, SMS … conversation went
    out (empty for the widget and apps)."""
    async with runtime.db.read() as session:
        await conversations_service.get(
            session, principal=principal, conversation_id=conversation_id
        )
        events = await service.delivery_states(
            session, tenant_id=principal.tenant_id, conversation_id=conversation_id
        )
    return [
        DeliveryStateOut(message_id=e.message_id, status=e.status, error=e.error)
        for e in events
        if e.message_id is not None
    ]
