"""Report routes: supervisors and admins read the tenant's reports; agents get 403.

Every report takes the same filters (``schemas.ReportFilters``) and has an ``/export`` twin
(``format=csv|xlsx``). docs/reports.md tells every number's formula.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from huiliu.analytics import drill, export, hotwords, queries, window
from huiliu.analytics.schemas import (
    AgentsReport,
    Breakdown,
    BreakdownBy,
    ConversationPage,
    ExportFormat,
    HotWords,
    Interval,
    Metric,
    Overview,
    Period,
    ReportFilters,
    Series,
    SeriesMetric,
)
from huiliu.auth.deps import ReportsDep, RuntimeDep
from huiliu.auth.principal import Principal
from huiliu.errors import InvalidInput
from huiliu.runtime import Runtime

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Filters = Annotated[ReportFilters, Query()]
Format = Annotated[ExportFormat, Query(description="csv (UTF-8 with BOM) or xlsx")]
Term = Annotated[
    str | None, Query(min_length=1, max_length=32, description="a hot word's conversations")
]
Hour = Annotated[
    datetime | None, Query(description="one UTC hour of the period (a series' hourly point)")
]
Limit = Annotated[int, Query(ge=1, le=hotwords.MAX_LIMIT)]
# What the export routes send (for the OpenAPI document).
FILE: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The report as a file (Content-Disposition names it)",
        "content": {"text/csv": {}, export.XLSX_MEDIA: {}},
    }
}


async def _send(
    rows: list[list[export.Cell]], *, name: str, title: str, period: Period, fmt: ExportFormat
) -> Response:
    body = await export.xlsx(rows, title) if fmt == "xlsx" else export.to_csv(rows)
    return Response(
        body,
        media_type=export.media_type(fmt),
        headers={"content-disposition": export.disposition(name, title, period, fmt)},
    )


# --- overview ------------------------------------------------------------------------------


async def _overview(runtime: Runtime, principal: Principal, filters: ReportFilters) -> Overview:
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        return await queries.overview(session, w)


@router.get("/overview")
async def get_overview(principal: ReportsDep, runtime: RuntimeDep, filters: Filters) -> Overview:
    """Conversations, handoff and bot resolution, first response, queue wait (average,
    p90), handling, transfers, satisfaction, ticket SLA compliance and occupancy."""
    return await _overview(runtime, principal, filters)


@router.get("/overview/export", response_class=Response, responses=FILE)
async def export_overview(
    principal: ReportsDep, runtime: RuntimeDep, filters: Filters, format: Format = "csv"
) -> Response:
    report = await _overview(runtime, principal, filters)
    rows = export.overview_rows(report)
    return await _send(rows, name="overview", title="概览", period=report.period, fmt=format)


# --- series --------------------------------------------------------------------------------


async def _series(
    runtime: Runtime,
    principal: Principal,
    filters: ReportFilters,
    metric: SeriesMetric,
    interval: Interval,
) -> Series:
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        return await queries.series(session, w, metric=metric, interval=interval)


@router.get("/series")
async def get_series(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    metric: SeriesMetric = "conversations",
    interval: Interval = "day",
) -> Series:
    """One number per day (or hour) of the period, every day present."""
    return await _series(runtime, principal, filters, metric, interval)


@router.get("/series/export", response_class=Response, responses=FILE)
async def export_series(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    metric: SeriesMetric = "conversations",
    interval: Interval = "day",
    format: Format = "csv",
) -> Response:
    report = await _series(runtime, principal, filters, metric, interval)
    rows = export.series_rows(report)
    return await _send(
        rows, name=f"series-{metric}", title="趋势", period=report.period, fmt=format
    )


# --- breakdown -----------------------------------------------------------------------------


async def _breakdown(
    runtime: Runtime, principal: Principal, filters: ReportFilters, by: BreakdownBy
) -> Breakdown:
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        return await queries.breakdown(session, w, by=by)


@router.get("/breakdown")
async def get_breakdown(
    principal: ReportsDep, runtime: RuntimeDep, filters: Filters, by: BreakdownBy
) -> Breakdown:
    """The overview's numbers per channel, group or agent, with names."""
    return await _breakdown(runtime, principal, filters, by)


@router.get("/breakdown/export", response_class=Response, responses=FILE)
async def export_breakdown(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    by: BreakdownBy,
    format: Format = "csv",
) -> Response:
    report = await _breakdown(runtime, principal, filters, by)
    title = {"channel": "按渠道", "group": "按分组", "agent": "按客服"}[by]
    rows = export.breakdown_rows(report)
    return await _send(rows, name=f"by-{by}", title=title, period=report.period, fmt=format)


# --- agents --------------------------------------------------------------------------------


async def _agents(runtime: Runtime, principal: Principal, filters: ReportFilters) -> AgentsReport:
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        return await queries.agents(session, w)


@router.get("/agents")
async def get_agents(principal: ReportsDep, runtime: RuntimeDep, filters: Filters) -> AgentsReport:
    """Per agent: conversations, first response, handling, satisfaction, time online and
    away, occupancy."""
    return await _agents(runtime, principal, filters)


@router.get("/agents/export", response_class=Response, responses=FILE)
async def export_agents(
    principal: ReportsDep, runtime: RuntimeDep, filters: Filters, format: Format = "csv"
) -> Response:
    report = await _agents(runtime, principal, filters)
    rows = export.agents_rows(report)
    return await _send(rows, name="agents", title="客服", period=report.period, fmt=format)


# --- drill-down ----------------------------------------------------------------------------


@router.get("/conversations")
async def get_conversations(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    metric: Metric = "conversations",
    term: Term = None,
    hour: Hour = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPage:
    """The conversations behind a number (its ``metric``), newest first."""
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        return await drill.conversations(
            session, w, metric=metric, term=term, hour=hour, page=page, per_page=per_page
        )


@router.get("/conversations/export", response_class=Response, responses=FILE)
async def export_conversations(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    metric: Metric = "conversations",
    term: Term = None,
    hour: Hour = None,
    format: Format = "csv",
) -> Response:
    """Every conversation behind a number (at most ``export.MAX_ROWS``: more is
    ``422 too_many_rows``); CSV streams."""
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        hour = drill.check_hour(w, hour)
        total = await drill.count_conversations(
            session, w, metric=metric, term=term, hour=hour, cap=export.MAX_ROWS
        )
    if total > export.MAX_ROWS:
        raise InvalidInput(
            f"more than {export.MAX_ROWS} conversations match (an export holds at most "
            f"{export.MAX_ROWS}): narrow the period or the filters",
            code="too_many_rows",
        )
    period = w.period("conversations")
    head = export.conversation_head(w.tz)
    name, title = f"conversations-{metric}", "会话明细"

    async def cells() -> AsyncIterator[list[export.Cell]]:
        async with runtime.db.read() as session:
            rows = drill.iter_conversations(session, w, metric=metric, term=term, hour=hour)
            n = 0
            async for row in rows:
                yield export.conversation_cells(row, w.zone)
                n += 1
                if n >= export.MAX_ROWS:
                    return

    if format == "csv":
        return StreamingResponse(
            export.stream_csv(head, cells()),
            media_type=export.media_type(format),
            headers={"content-disposition": export.disposition(name, title, period, format)},
        )
    rows = [head, *[c async for c in cells()]]
    return await _send(rows, name=name, title=title, period=period, fmt=format)


# --- hot words -----------------------------------------------------------------------------


async def _hot_words(
    runtime: Runtime, principal: Principal, filters: ReportFilters, limit: int
) -> HotWords:
    # Terms are counted in days of the tenant's report time zone: ``tz`` does not apply.
    filters = filters.model_copy(update={"tz": None})
    async with runtime.db.read() as session:
        w = await window.resolve(
            session, tenant_id=principal.tenant_id, filters=filters, scope=principal.group_ids
        )
        return await hotwords.hot_words(session, w, limit=limit)


@router.get("/hot-words")
async def get_hot_words(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    limit: Limit = hotwords.DEFAULT_LIMIT,
) -> HotWords:
    """The most-mentioned terms and the rising ones; each drills down with
    ``/conversations?term=``."""
    return await _hot_words(runtime, principal, filters, limit)


@router.get("/hot-words/export", response_class=Response, responses=FILE)
async def export_hot_words(
    principal: ReportsDep,
    runtime: RuntimeDep,
    filters: Filters,
    limit: Limit = hotwords.DEFAULT_LIMIT,
    format: Format = "csv",
) -> Response:
    report = await _hot_words(runtime, principal, filters, limit)
    rows = export.hot_word_rows(report)
    return await _send(rows, name="hot-words", title="热词", period=report.period, fmt=format)
