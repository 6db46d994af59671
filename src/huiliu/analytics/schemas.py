"""Reports on the wire: the filters every report takes, and each report's answer.

Every number is a ``Figure``: its ``value`` and the ``metric`` that
``GET /reports/conversations?metric=…`` takes to list the conversations behind it (null for
numbers that are not conversations: tickets, seconds online). docs/reports.md tells the
formulas.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# The sets of conversations a number counts (the drill-down's ``metric``).
Metric = Literal[
    "conversations",
    "handed_over",
    "bot_served",
    "bot_handed_over",
    "closed",
    "bot_resolved",
    "responded",
    "responded_within_60",
    "responded_later",
    "waited",
    "handled",
    "transferred",
    "surveyed",
    "rated",
    "unrated",
    "satisfied",
    "unsatisfied",
]

# What ``GET /series`` plots (one number of the overview per day or hour).
SeriesMetric = Literal[
    "conversations",
    "handed_over",
    "bot_served",
    "bot_handed_over",
    "handoff_rate",
    "closed",
    "bot_resolved",
    "bot_resolution_rate",
    "responded",
    "first_response_avg_s",
    "responded_within_60",
    "within_60_share",
    "waited",
    "wait_avg_s",
    "wait_p90_s",
    "handled",
    "handling_avg_s",
    "transfers",
    "surveyed",
    "rated",
    "response_rate",
    "satisfaction_score",
    "satisfaction_score_5",
    "satisfied",
    "satisfied_share",
    "online_s",
    "away_s",
    "occupancy",
]

BreakdownBy = Literal["channel", "group", "agent"]
Interval = Literal["day", "hour"]
ExportFormat = Literal["csv", "xlsx"]

Channel = Annotated[str, Field(min_length=1, max_length=32)]
Id = Annotated[int, Field(ge=1, le=2**53)]


class ReportFilters(BaseModel):
    """The query parameters every report takes (checked against the tenant by
    ``window.resolve``)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(
        default=None,
        alias="from",
        description="first day, inclusive, in the report time zone (default: 29 days before `to`)",
    )
    to: date | None = Field(
        default=None, description="last day, inclusive (default: today in the zone)"
    )
    tz: str | None = Field(
        default=None,
        max_length=64,
        description="IANA time zone of the days (default: the tenant's report settings, "
        "else Asia/Shanghai)",
    )
    channel: list[Channel] = Field(default_factory=list, max_length=20)
    group_id: list[Id] = Field(default_factory=list, max_length=50)
    agent_id: list[Id] = Field(default_factory=list, max_length=200)
    tag: str | None = Field(
        default=None, min_length=1, max_length=32, description="only customers with this tag"
    )
    business_hours: bool = Field(
        default=False,
        description="first response and queue wait counted in business hours only",
    )


class Figure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: int | float | None
    metric: Metric | None = Field(
        default=None, description="the drill-down's metric: the conversations behind it"
    )


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    tz: str
    business_hours: bool
    # buckets: the hourly rollups; conversations: the per-conversation facts (tag filter).
    source: Literal["buckets", "conversations"]


class FirstResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Figure
    avg_s: Figure
    within_60: Figure
    within_60_share: Figure
    later: Figure


class QueueWait(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Figure
    avg_s: Figure
    p90_s: Figure


class Handling(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Figure
    avg_s: Figure


class Satisfaction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    surveyed: Figure
    rated: Figure
    response_rate: Figure
    score: Figure = Field(description="average score normalised to 0..1")
    score_5: Figure = Field(description="the same on a 5-point scale (1 + 4 × score)")
    satisfied: Figure
    satisfied_share: Figure


class Numbers(BaseModel):
    """The conversation numbers of a period (overview, a breakdown row, an agent)."""

    model_config = ConfigDict(extra="forbid")

    conversations: Figure
    handed_over: Figure = Field(description="reached the queue or a person")
    bot_served: Figure = Field(description="served by the bot first")
    bot_handed_over: Figure = Field(description="of those, handed over to people")
    handoff_rate: Figure = Field(description="bot_handed_over / bot_served")
    closed: Figure
    bot_resolved: Figure
    bot_resolution_rate: Figure
    first_response: FirstResponse
    queue_wait: QueueWait
    handling: Handling
    transfers: Figure
    satisfaction: Satisfaction


class SlaClockNumbers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    with_target: Figure
    met: Figure
    breached: Figure
    compliance: Figure = Field(description="met / (met + breached)")


class TicketNumbers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created: Figure
    first_response: SlaClockNumbers
    resolution: SlaClockNumbers
    breached: Figure = Field(description="tickets that missed either target")


class Occupancy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    online_s: Figure
    away_s: Figure
    load_s: Figure
    capacity_s: Figure
    occupancy: Figure = Field(description="load_s / capacity_s")


class Overview(Numbers):
    period: Period
    tickets: TicketNumbers
    occupancy: Occupancy


class SeriesPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: str = Field(description="the day (2026-03-01), or the hour's local start (ISO 8601)")
    hour: datetime | None = Field(
        default=None, description="hourly points: the UTC hour (the drill-down's `hour`)"
    )
    value: int | float | None
    metric: Metric | None


class Series(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    metric: SeriesMetric
    interval: Interval
    points: list[SeriesPoint]


class Named(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str | None


class BreakdownRow(Numbers):
    key: str | int | None = Field(description="the channel, group id or agent id (null: none)")
    name: str
    tickets: TicketNumbers
    occupancy: Occupancy | None = Field(default=None, description="by agent only")


class Breakdown(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    by: BreakdownBy
    rows: list[BreakdownRow]


class AgentRow(Numbers):
    agent: Named
    occupancy: Occupancy


class AgentsReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    agents: list[AgentRow]


class ConversationRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: int
    contact: Named
    channel: str
    group: Named | None
    agent: Named | None
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    handed_over: bool
    wait_s: float | None
    wait_bh_s: float | None
    first_response_s: float | None
    first_response_bh_s: float | None
    handling_s: float | None
    transfers: int
    messages_customer: int
    messages_agent: int
    surveyed: bool
    rating_score: int | None
    rating_scale: int | None


class ConversationPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    metric: Metric
    term: str | None
    hour: datetime | None
    total: int = Field(description="the conversations behind the number, up to 10 000")
    capped: bool = Field(
        description="there are more than `total` (the report's figure says how many)"
    )
    page: int
    per_page: int
    conversations: list[ConversationRow]


class TermRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: str
    conversations: Figure = Field(description="drill down with `term` and this metric")
    mentions: int
    previous: int = Field(description="conversations in the previous period of equal length")
    change: int = Field(description="conversations − previous")
    change_rate: float | None = Field(description="change / previous (null: new)")


class HotWords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Period
    previous_from: date
    previous_to: date
    top: list[TermRow]
    rising: list[TermRow]
