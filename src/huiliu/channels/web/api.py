from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Response

from huiliu.auth import tokens
from huiliu.auth.deps import ChannelsDep, RuntimeDep, VisitorDep
from huiliu.auth.principal import Principal
from huiliu.bot.actions import greeting_contents
from huiliu.bot.settings import BotSettings
from huiliu.channels.web.schemas import (
    WidgetBotOut,
    WidgetConfigOut,
    WidgetSessionIn,
    WidgetSessionOut,
)
from huiliu.channels.web.settings import WidgetSettings
from huiliu.contacts import service as contacts_service
from huiliu.contacts.models import USER_CHANNEL, VISITOR_CHANNEL, Contact
from huiliu.contacts.schemas import VisitIn, VisitOut
from huiliu.errors import Forbidden, NotFound, Unauthorized
from huiliu.tenants import service as tenants_service

router = APIRouter(prefix="/api/v1", tags=["widget"])


@router.get("/widget/config")
async def get_config(
    runtime: RuntimeDep,
    response: Response,
    widget_key: Annotated[str, Query(min_length=1, max_length=64)],
) -> WidgetConfigOut:
    """The widget's appearance and the bot's greeting and menu, for any page (public: the
    widget key is in the page anyway)."""
    async with runtime.db.read() as session:
        tenant = await tenants_service.get_by_widget_key(session, widget_key=widget_key)
    if tenant is None:
        raise NotFound("unknown widget key", field="widget_key")
    widget = WidgetSettings.model_validate(tenant.widget or {})
    bot = BotSettings.model_validate(tenant.bot or {})
    bot_out = None
    if bot.enabled:
        greeting, *menu = greeting_contents(bot)
        bot_out = WidgetBotOut(name=bot.name, greeting=greeting, menu=menu[0] if menu else None)
    # Short: an edited appearance shows on the merchant's pages within a minute.
    response.headers["Cache-Control"] = "public, max-age=60"
    return WidgetConfigOut(
        title=widget.title,
        color=widget.color,
        logo_url=widget.logo_url,
        language=widget.language,
        position=widget.position,
        greeting=widget.greeting,
        identity_required=widget.identity_required,
        bot=bot_out,
    )


@router.get("/tenant/widget")
async def get_widget_settings(principal: ChannelsDep, runtime: RuntimeDep) -> WidgetSettings:
    async with runtime.db.read() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
    return WidgetSettings.model_validate(tenant.widget or {})


@router.put("/tenant/widget")
async def set_widget_settings(
    body: WidgetSettings, principal: ChannelsDep, runtime: RuntimeDep
) -> WidgetSettings:
    """The widget's appearance; pages pick it up on their next load (within a minute)."""
    async with runtime.db.write() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
        tenant.widget = body.model_dump(mode="json")
    return body


@router.post("/widget/sessions", status_code=201)
async def create_session(body: WidgetSessionIn, runtime: RuntimeDep) -> WidgetSessionOut:
    async with runtime.db.write() as session:
        tenant = await tenants_service.get_by_widget_key(session, widget_key=body.widget_key)
        if tenant is None:
            raise NotFound("unknown widget key", field="widget_key")
        visitor_id: str | None = None
        contact: Contact | None = None
        if (
            body.identity is None
            and WidgetSettings.model_validate(tenant.widget or {}).identity_required
        ):
            raise Forbidden(
                "this merchant serves signed-in customers only: send an identity",
                code="identity_required",
                field="identity",
            )
        if body.identity is not None:
            identity = body.identity
            if not tenants_service.verify_identity(
                tenant, user_id=identity.user_id, signature=identity.signature
            ):
                raise Unauthorized(
                    "identity signature does not match user_id", code="bad_signature"
                )
            contact = await contacts_service.get_or_create_by_identity(
                session,
                tenant_id=tenant.id,
                channel=USER_CHANNEL,
                external_id=identity.user_id,
                verified=True,
                profile=identity.model_dump(exclude={"user_id", "signature"}),
            )
        else:
            if body.visitor_id:
                contact = await contacts_service.get_by_identity(
                    session,
                    tenant_id=tenant.id,
                    channel=VISITOR_CHANNEL,
                    external_id=body.visitor_id,
                )
                if contact is not None and not contact.verified:
                    visitor_id = body.visitor_id
                else:
                    contact = None  # unknown, or now an identified customer: start afresh
            if contact is None:
                visitor_id = secrets.token_urlsafe(24)
                contact = await contacts_service.get_or_create_by_identity(
                    session, tenant_id=tenant.id, channel=VISITOR_CHANNEL, external_id=visitor_id
                )
        tenant_id, contact_id, verified = tenant.id, contact.id, contact.verified
    ttl = runtime.settings.visitor_token_ttl_s
    token = tokens.issue(
        Principal(kind="visitor", tenant_id=tenant_id, id=contact_id),
        secret=runtime.secret_key,
        ttl_s=ttl,
    )
    return WidgetSessionOut(
        visitor_token=token,
        contact_id=contact_id,
        visitor_id=visitor_id,
        verified=verified,
        expires_in=ttl,
    )


@router.post("/widget/track", status_code=201)
async def track(body: VisitIn, principal: VisitorDep, runtime: RuntimeDep) -> VisitOut:
    """The page the customer has just opened, for the agent's view of what they were
    looking at; it ends their previous page's visit."""
    async with runtime.db.write() as session:
        row = await contacts_service.record_visit(
            session, tenant_id=principal.tenant_id, contact_id=principal.id, visit=body
        )
        return VisitOut.model_validate(row)
