"""Reports as files: CSV (UTF-8 with a BOM, so Excel reads Chinese right) and XLSX, with
Chinese column headers and times in the report's time zone (docs/reports.md).

A report's answer becomes rows here; ``api.py`` sends them. The drill-down's rows stream as
CSV a chunk at a time; XLSX is built in memory (openpyxl's write-only mode), so both are
capped at ``MAX_ROWS`` conversations.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from huiliu.analytics.queries import CHANNEL_LABELS
from huiliu.analytics.schemas import (
    AgentsReport,
    Breakdown,
    ConversationRow,
    ExportFormat,
    Figure,
    HotWords,
    Overview,
    Period,
    Series,
)

MAX_ROWS = 100_000  # conversations in one drill-down export
CSV_CHUNK = 500  # rows per streamed piece
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA = "text/csv; charset=utf-8"

Cell = str | int | float | datetime | None

LABELS: dict[str, str] = {
    "conversations": "会话数",
    "handed_over": "转人工数",
    "bot_served": "机器人接待数",
    "bot_handed_over": "机器人转人工数",
    "handoff_rate": "机器人转人工率",
    "closed": "已结束会话数",
    "bot_resolved": "机器人解决数",
    "bot_resolution_rate": "机器人解决率",
    "first_response.count": "有首次响应的会话数",
    "first_response.avg_s": "平均首次响应时长（秒）",
    "first_response.within_60": "60秒内首次响应数",
    "first_response.within_60_share": "60秒内响应占比",
    "first_response.later": "超过60秒响应数",
    "queue_wait.count": "排队会话数",
    "queue_wait.avg_s": "平均排队时长（秒）",
    "queue_wait.p90_s": "排队时长P90（秒）",
    "handling.count": "已处理会话数",
    "handling.avg_s": "平均处理时长（秒）",
    "transfers": "转接次数",
    "satisfaction.surveyed": "邀评数",
    "satisfaction.rated": "评价数",
    "satisfaction.response_rate": "参评率",
    "satisfaction.score": "平均满意度（0–1）",
    "satisfaction.score_5": "平均满意度（5分制）",
    "satisfaction.satisfied": "满意数",
    "satisfaction.satisfied_share": "满意率",
    "tickets.created": "新建工单数",
    "tickets.first_response.with_target": "有首响目标的工单数",
    "tickets.first_response.met": "首响达标数",
    "tickets.first_response.breached": "首响超时数",
    "tickets.first_response.compliance": "首响达标率",
    "tickets.resolution.with_target": "有解决目标的工单数",
    "tickets.resolution.met": "解决达标数",
    "tickets.resolution.breached": "解决超时数",
    "tickets.resolution.compliance": "解决达标率",
    "tickets.breached": "超时工单数",
    "occupancy.online_s": "在线时长（秒）",
    "occupancy.away_s": "离开时长（秒）",
    "occupancy.load_s": "负载（会话·秒）",
    "occupancy.capacity_s": "容量（会话·秒）",
    "occupancy.occupancy": "占用率",
    "online_s": "在线时长（秒）",
    "away_s": "离开时长（秒）",
    "occupancy": "占用率",
}
# Series metrics named by the number they plot.
SERIES_LABELS: dict[str, str] = {
    "responded": LABELS["first_response.count"],
    "first_response_avg_s": LABELS["first_response.avg_s"],
    "responded_within_60": LABELS["first_response.within_60"],
    "within_60_share": LABELS["first_response.within_60_share"],
    "waited": LABELS["queue_wait.count"],
    "wait_avg_s": LABELS["queue_wait.avg_s"],
    "wait_p90_s": LABELS["queue_wait.p90_s"],
    "handled": LABELS["handling.count"],
    "handling_avg_s": LABELS["handling.avg_s"],
    "surveyed": LABELS["satisfaction.surveyed"],
    "rated": LABELS["satisfaction.rated"],
    "response_rate": LABELS["satisfaction.response_rate"],
    "satisfaction_score": LABELS["satisfaction.score"],
    "satisfaction_score_5": LABELS["satisfaction.score_5"],
    "satisfied": LABELS["satisfaction.satisfied"],
    "satisfied_share": LABELS["satisfaction.satisfied_share"],
}
CLOSED_BY = {"agent": "客服", "timeout": "超时", "customer": "客户", "system": "系统"}


def figures(model: BaseModel, prefix: str = "") -> list[tuple[str, Figure]]:
    """Every Figure of a report model, with its dotted path, in field order."""
    out: list[tuple[str, Figure]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Figure):
            out.append((path, value))
        elif isinstance(value, BaseModel) and not isinstance(value, Period):
            out.extend(figures(value, f"{path}."))
    return out


def number(value: float | None) -> Cell:
    """Floats to 4 decimals (what the file shows); integers and None as they are."""
    if isinstance(value, float):
        return round(value, 4)
    return value


def _period_rows(
    period: Period, sources: tuple[str, str] = ("小时汇总", "会话明细")
) -> list[list[Cell]]:
    """The period's lines above a table; ``sources`` names the rollup and the per-conversation
    path."""
    source = sources[0] if period.source == "buckets" else sources[1]
    return [
        ["时间范围", f"{period.from_} 至 {period.to}"],
        ["时区", period.tz],
        ["工作时间口径", "是" if period.business_hours else "否"],
        ["数据来源", source],
        [],
    ]


def overview_rows(report: Overview) -> list[list[Cell]]:
    rows = _period_rows(report.period)
    rows.append(["指标", "数值", "键", "明细指标"])
    for path, fig in figures(report):
        rows.append([LABELS.get(path, path), number(fig.value), path, fig.metric])
    return rows


def _table(head: list[Cell], items: Sequence[tuple[Sequence[Cell], BaseModel]]) -> list[list[Cell]]:
    """A row per item: its lead cells, then every Figure; a Figure some items lack (a
    breakdown's occupancy, by agent only) leaves their cell empty."""
    found = [dict(figures(model)) for _lead, model in items]
    paths = list(dict.fromkeys(p for each in found for p in each))
    rows: list[list[Cell]] = [[*head, *(LABELS.get(p, p) for p in paths)]]
    for (lead, _model), values in zip(items, found, strict=True):
        rows.append([*lead, *(number(values[p].value) if p in values else None for p in paths)])
    return rows


def breakdown_rows(report: Breakdown) -> list[list[Cell]]:
    head: dict[str, list[Cell]] = {
        "channel": ["渠道代码", "渠道"],
        "group": ["分组ID", "分组"],
        "agent": ["客服ID", "客服"],
    }
    items = [([r.key, r.name], r) for r in report.rows]
    return _period_rows(report.period) + _table(head[report.by], items)


def agents_rows(report: AgentsReport) -> list[list[Cell]]:
    items = [([a.agent.id, a.agent.name], a) for a in report.agents]
    return _period_rows(report.period) + _table(["客服ID", "客服"], items)


def series_rows(report: Series) -> list[list[Cell]]:
    label = SERIES_LABELS.get(report.metric) or LABELS.get(report.metric, report.metric)
    slot = "日期" if report.interval == "day" else f"小时开始（{report.period.tz}）"
    rows = _period_rows(report.period)
    rows.append([slot, label])
    rows.extend([p.at, number(p.value)] for p in report.points)
    return rows


def hot_word_rows(report: HotWords) -> list[list[Cell]]:
    rows = _period_rows(report.period, ("每日词频", "会话词条"))
    rows.append(["上期", f"{report.previous_from} 至 {report.previous_to}"])
    rows.append([])
    rows.append(["榜单", "词", "会话数", "提及次数", "上期会话数", "变化", "变化率"])
    for kind, items in (("热词", report.top), ("上升", report.rising)):
        for t in items:
            change = number(t.change_rate)
            rows.append(
                [kind, t.term, t.conversations.value, t.mentions, t.previous, t.change, change]
            )
    return rows


def conversation_head(tz: str) -> list[Cell]:
    return [
        "会话ID",
        "客户ID",
        "客户",
        "渠道",
        "分组",
        "客服",
        f"开始时间（{tz}）",
        f"结束时间（{tz}）",
        "结束方",
        "转人工",
        "排队时长（秒）",
        "排队时长·工作时间（秒）",
        "首次响应（秒）",
        "首次响应·工作时间（秒）",
        "处理时长（秒）",
        "转接次数",
        "客户消息数",
        "客服消息数",
        "已邀评",
        "评分",
        "满分",
    ]


def local(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A naive local time (XLSX cells take no time zone; the header names it)."""
    return None if at is None else at.astimezone(zone).replace(tzinfo=None, microsecond=0)


def conversation_cells(row: ConversationRow, zone: ZoneInfo) -> list[Cell]:
    return [
        row.conversation_id,
        row.contact.id,
        row.contact.name,
        CHANNEL_LABELS.get(row.channel, row.channel),
        row.group.name if row.group else None,
        row.agent.name if row.agent else None,
        local(row.opened_at, zone),
        local(row.closed_at, zone),
        CLOSED_BY.get(row.closed_by or "", row.closed_by),
        "是" if row.handed_over else "否",
        number(row.wait_s),
        number(row.wait_bh_s),
        number(row.first_response_s),
        number(row.first_response_bh_s),
        number(row.handling_s),
        row.transfers,
        row.messages_customer,
        row.messages_agent,
        "是" if row.surveyed else "否",
        row.rating_score,
        row.rating_scale,
    ]


# --- files ---------------------------------------------------------------------------------


# Control characters a spreadsheet cannot hold (openpyxl refuses them), and the first
# characters that make Excel read a cell as a formula: a customer's name is never run.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: Cell) -> Cell:
    if isinstance(cell, str):
        cell = _ILLEGAL.sub("", cell)
        if cell.startswith(_FORMULA):
            return "'" + cell
    return cell


def _text(cell: Cell) -> Cell:
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return _safe(cell)


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerows([_text(c) for c in row] for row in rows)
    return buffer.getvalue()


def to_csv(rows: Iterable[Sequence[Cell]]) -> bytes:
    return ("\ufeff" + csv_text(rows)).encode()  # the BOM makes Excel read it as UTF-8


def to_xlsx(rows: Iterable[Sequence[Cell]], sheet: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet(sheet[:31])
    for row in rows:
        page.append([_safe(c) for c in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def xlsx(rows: list[list[Cell]], sheet: str) -> bytes:
    """Built on a worker thread: a large sheet takes seconds."""
    return await asyncio.to_thread(to_xlsx, rows, sheet)


async def stream_csv(head: Sequence[Cell], rows: AsyncIterator[list[Cell]]) -> AsyncIterator[bytes]:
    yield ("\ufeff" + csv_text([head])).encode()
    chunk: list[list[Cell]] = []
    async for row in rows:
        chunk.append(row)
        if len(chunk) >= CSV_CHUNK:
            yield csv_text(chunk).encode()
            chunk = []
    if chunk:
        yield csv_text(chunk).encode()


def media_type(fmt: ExportFormat) -> str:
    return XLSX_MEDIA if fmt == "xlsx" else CSV_MEDIA


def disposition(name: str, title: str, period: Period, fmt: ExportFormat) -> str:
    """``attachment`` with an ASCII file name and the Chinese one (RFC 6266 / 5987)."""
    span = f"{period.from_}_{period.to}"
    ascii_name = f"huiliu-{name}-{span}.{fmt}"
    utf8_name = quote(f"{title}-{span}.{fmt}")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}"
