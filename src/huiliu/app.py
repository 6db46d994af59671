"""create_app(): the routers, the lifespan that runs the process's runtime, error handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from huiliu import __version__, logs, webapp
from huiliu.accounts.api import router as accounts_router
from huiliu.analytics.api import router as reports_router
from huiliu.analytics.settings_api import router as report_settings_router
from huiliu.bot.api import router as bot_router
from huiliu.campaigns.api import router as campaigns_router
from huiliu.catalogue.api import router as catalogue_router
from huiliu.channels.api import router as channels_router
from huiliu.channels.routes import ROUTERS as channel_routers
from huiliu.channels.web.api import router as widget_router
from huiliu.config import Settings, get_settings
from huiliu.contacts.api import router as contacts_router
from huiliu.contacts.integration_api import router as integration_router
from huiliu.contacts.rules_api import router as tag_rules_router
from huiliu.contacts.segments_api import router as segments_router
from huiliu.conversations.api import router as conversations_router
from huiliu.conversations.proactive_api import integration as notices_router
from huiliu.conversations.proactive_api import router as proactive_router
from huiliu.demo_shop import router as demo_shop_router
from huiliu.demo_site import router as demo_site_router
from huiliu.errors import AppError
from huiliu.files.api import router as files_router
from huiliu.kb.api import router as kb_router
from huiliu.quality.api import router as quality_router
from huiliu.realtime.gateway import router as gateway_router
from huiliu.replies.api import router as replies_router
from huiliu.roles.api import router as roles_router
from huiliu.routing.api import router as routing_router
from huiliu.runtime import Runtime
from huiliu.satisfaction.api import router as satisfaction_router
from huiliu.tenants.api import router as tenants_router
from huiliu.tickets.api import router as tickets_router
from huiliu.webhooks.api import router as webhooks_router

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, freeze_heap: bool = False) -> FastAPI:
    """``freeze_heap`` (``huiliu serve``): once started, move every object alive into the
    garbage collector's permanent generation (``gc.freeze``). Modules, routes, schemas and
    the like are some 230,000 containers that a full collection walked every second or two
    under load, for about 200 ms each time (bench/relay.py); frozen, a full collection
    walks what the traffic allocates, about 50 ms. Tests leave it off: their processes
    start many apps."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.install()  # after uvicorn configured its loggers
        runtime = Runtime.create(settings)
        await runtime.start()
        if freeze_heap:
            gc.collect()
            gc.freeze()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Huiliu",
        version=__version__,
        lifespan=lifespan,
    )
    for router in (
        accounts_router,
        roles_router,
        tenants_router,
        webhooks_router,
        widget_router,
        conversations_router,
        proactive_router,
        notices_router,
        contacts_router,
        integration_router,
        tag_rules_router,
        segments_router,
        routing_router,
        replies_router,
        tickets_router,
        quality_router,
        satisfaction_router,
        reports_router,
        report_settings_router,
        files_router,
        kb_router,
        bot_router,
        campaigns_router,
        catalogue_router,
        channels_router,
        *channel_routers,
        demo_shop_router,
        demo_site_router,
        gateway_router,
    ):
        app.include_router(router)

    @app.exception_handler(AppError)
    async def app_error(_request: Request, exc: AppError) -> JSONResponse:
        body: dict[str, Any] = {"code": exc.code, "detail": exc.detail}
        if "field" in exc.extra:
            body["field"] = exc.extra["field"]
        if "permission" in exc.extra:
            body["permission"] = exc.extra["permission"]
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            errors.append(f"{where}: {err.get('msg')}")
        code = (
            "invalid_json"
            if any(e.get("type") == "json_invalid" for e in exc.errors())
            else "invalid"
        )
        return JSONResponse({"code": code, "detail": "; ".join(errors)}, status_code=422)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", tags=["ops"])
    async def healthz(request: Request) -> dict[str, Any]:
        runtime: Runtime = request.app.state.runtime
        async with runtime.db.read() as session:
            await session.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "version": __version__,
            "sockets": runtime.hub.connection_count,
            # "building" while the start-up build of the bot's indexes runs: the server answers,
            # a little slower, and a question waits for its tenant's index.
            "bot_index": "building" if runtime.bot.knowledge.warming else "ready",
        }

    # The web widget runs on merchants' own sites and calls the API from there. Every call
    # carries its token in a header (no cookies), so any origin may make them.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["authorization", "content-type"],
        max_age=3600,
    )
    webapp.mount(app, settings.frontend_dir)

    return app
