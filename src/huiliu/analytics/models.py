"""Report tables, maintained as events happen and never recomputed on a request.

``report_conversations`` holds one row per conversation: the facts a report counts (when it
reached the queue, when a person first answered, how it closed, its rating), each derived
from the raw conversation and its messages by ``analytics.fold``. ``report_buckets`` sums those
facts per hour, channel, group and agent; a report over a period adds up a few hundred rows
instead of reading millions of messages. A fact that changes moves its old contribution out of
its bucket and its new one in, in one transaction, so buckets always equal a recomputation
from the facts (and ``huiliu analytics rebuild`` recomputes both from raw data).

Group and agent are 0 in a bucket's key when there is none (NULLs are never equal in a unique
key). Hours are UTC; a report folds them into days of the tenant's report time zone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, Json, UTCDateTime, utcnow

# Upper edges (seconds) of the queue-wait histogram's bins; the last bin is open-ended.
# p90 is interpolated inside its bin, so it is exact to the bin's resolution.
WAIT_BINS: tuple[int, ...] = (10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800)


class ConversationFact(Base):
    __tablename__ = "report_conversations"
    __table_args__ = (
        Index("ix_report_conversations_opened", "tenant_id", "opened_at"),
        Index("ix_report_conversations_agent", "tenant_id", "agent_id", "opened_at"),
        Index("ix_report_conversations_group", "tenant_id", "group_id", "opened_at"),
    )

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    channel: Mapped[str] = mapped_column(String(32))
    # The conversation's last group and the agent who served it last (None: the bot alone).
    group_id: Mapped[int | None] = mapped_column(default=None)
    agent_id: Mapped[int | None] = mapped_column(default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())  # its bucket's hour
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # first time
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # first
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # agent | timeout | customer | system — who closed it (None while open).
    closed_by: Mapped[str | None] = mapped_column(String(16), default=None)
    handed_over: Mapped[bool] = mapped_column(default=False)  # reached the queue or a person
    bot_served: Mapped[bool] = mapped_column(default=False)  # the bot served it first
    # Seconds, calendar and business hours: queue → first assignment; queue → first reply
    # by a person; first assignment → close.
    wait_s: Mapped[float | None] = mapped_column(default=None)
    wait_bh_s: Mapped[float | None] = mapped_column(default=None)
    first_response_s: Mapped[float | None] = mapped_column(default=None)
    first_response_bh_s: Mapped[float | None] = mapped_column(default=None)
    handling_s: Mapped[float | None] = mapped_column(default=None)
    transfers: Mapped[int] = mapped_column(default=0)
    messages_customer: Mapped[int] = mapped_column(default=0)
    messages_agent: Mapped[int] = mapped_column(default=0)
    messages_bot: Mapped[int] = mapped_column(default=0)
    surveyed: Mapped[bool] = mapped_column(default=False)  # a satisfaction survey was sent
    rating_score: Mapped[int | None] = mapped_column(default=None)
    rating_scale: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportBucket(Base):
    """The facts of the conversations opened in one UTC hour, per channel, group and agent."""

    __tablename__ = "report_buckets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "hour", "channel", "group_key", "agent_key"),
        Index("ix_report_buckets_agent", "tenant_id", "agent_key", "hour"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str] = mapped_column(String(32))
    group_key: Mapped[int] = mapped_column(default=0)
    agent_key: Mapped[int] = mapped_column(default=0)
    conversations: Mapped[int] = mapped_column(default=0)
    handed_over: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    bot_resolved: Mapped[int] = mapped_column(default=0)  # closed without a person
    # Served by the bot first, and of those, handed over to people: the handoff rate's
    # numerator and denominator (a tenant without a bot has neither).
    bot_served: Mapped[int] = mapped_column(default=0)
    bot_handed_over: Mapped[int] = mapped_column(default=0)
    responded: Mapped[int] = mapped_column(default=0)  # with a first response by a person
    response_s: Mapped[float] = mapped_column(default=0.0)
    response_within_60: Mapped[int] = mapped_column(default=0)
    response_bh_s: Mapped[float] = mapped_column(default=0.0)
    response_bh_within_60: Mapped[int] = mapped_column(default=0)
    waited: Mapped[int] = mapped_column(default=0)
    wait_s: Mapped[float] = mapped_column(default=0.0)
    wait_bh_s: Mapped[float] = mapped_column(default=0.0)
    # Counts per WAIT_BINS bin (len(WAIT_BINS) + 1 entries), for p90.
    wait_hist: Mapped[list[int]] = mapped_column(Json, default=list)
    wait_bh_hist: Mapped[list[int]] = mapped_column(Json, default=list)
    handled: Mapped[int] = mapped_column(default=0)
    handling_s: Mapped[float] = mapped_column(default=0.0)
    transfers: Mapped[int] = mapped_column(default=0)
    messages_customer: Mapped[int] = mapped_column(default=0)
    messages_agent: Mapped[int] = mapped_column(default=0)
    surveyed: Mapped[int] = mapped_column(default=0)
    rated: Mapped[int] = mapped_column(default=0)
    # Scores normalised to 0..1 ((score - 1) / (scale - 1)) so 2-, 3- and 5-point answers add up.
    rating_sum: Mapped[float] = mapped_column(default=0.0)
    satisfied: Mapped[int] = mapped_column(default=0)  # the top score of its scale


class AgentHour(Base):
    """An agent's time in one UTC hour: seconds online and away, and the load they carried
    (the sum over online seconds of open conversations, and of their capacity) for occupancy."""

    __tablename__ = "report_agent_hours"
    __table_args__ = (UniqueConstraint("tenant_id", "agent_id", "hour"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    online_s: Mapped[float] = mapped_column(default=0.0)
    away_s: Mapped[float] = mapped_column(default=0.0)
    load_s: Mapped[float] = mapped_column(default=0.0)
    capacity_s: Mapped[float] = mapped_column(default=0.0)


class AgentStatusSpan(Base):
    """Where an agent's presence accounting stands: their current status since when, and up to
    when its time is already counted in ``report_agent_hours``."""

    __tablename__ = "report_agent_status"

    agent_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    counted_to: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationTerm(Base):
    """A word or phrase the customer wrote in a conversation, for hot words and their
    drill-down; written when the fold sees the conversation close."""

    __tablename__ = "report_terms"
    __table_args__ = (
        Index("ix_report_terms_term", "tenant_id", "term", "day"),
        Index("ix_report_terms_day", "tenant_id", "day"),  # the rebuild clears day by day
    )

    conversation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("conversations.id"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    day: Mapped[date] = mapped_column(Date)  # opened, in the tenant's report time zone
    mentions: Mapped[int] = mapped_column(default=1)


class TermDay(Base):
    """How many conversations mentioned a term on a day (the tenant's report time zone)."""

    __tablename__ = "report_term_days"
    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "term"),
        Index("ix_report_term_days_day", "tenant_id", "day"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    day: Mapped[date] = mapped_column(Date)
    term: Mapped[str] = mapped_column(String(32))
    conversations: Mapped[int] = mapped_column(default=0)
    mentions: Mapped[int] = mapped_column(default=0)


class ReportSettingsRow(Base):
    """A tenant's report settings (``analytics.settings.ReportSettings`` as JSON)."""

    __tablename__ = "report_settings"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
