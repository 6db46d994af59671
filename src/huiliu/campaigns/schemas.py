"""Campaigns on the wire."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from huiliu.campaigns.models import CampaignKind, CampaignStatus, DeliveryStatus, Scenario

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_stripped)]
Text = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_stripped)]
Variable = Annotated[str, Field(min_length=1, max_length=32)]
EventType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.]{0,63}$")]


class MarketingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cap_count: int = Field(default=3, ge=1, le=50, description="notices a customer at most …")
    cap_days: int = Field(default=7, ge=1, le=90, description="… in this many days")


class WechatTemplate(BaseModel):
    """A template of the merchant's WeChat official account (its 模板消息, set up in WeChat's
    console): its id, where a tap leads, and each of its fields' text."""

    model_config = ConfigDict(extra="forbid")

    template_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    url: Annotated[str, Field(max_length=500, pattern=r"^https?://")] | None = None
    data: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$")],
        Annotated[str, Field(min_length=1, max_length=200)],
    ] = Field(min_length=1, max_length=10, description="field → text with placeholders")


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scenario: Scenario = Scenario.other
    text: Text
    email_subject: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    wechat_template: WechatTemplate | None = Field(
        default=None, description="reaches WeChat customers past the 48-hour window"
    )
    variables: list[Variable] = Field(default_factory=list, max_length=20)


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    scenario: Scenario | None = None
    text: Text | None = None
    email_subject: Annotated[str, Field(max_length=200)] | None = None
    wechat_template: WechatTemplate | None = None
    variables: list[Variable] | None = Field(default=None, max_length=20)


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scenario: Scenario
    text: str
    email_subject: str | None
    wechat_template: WechatTemplate | None
    variables: list[str]
    created_at: datetime
    updated_at: datetime


class TemplatePreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text
    contact_id: int | None = Field(default=None, description="fill it for this customer")
    values: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=20)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return value


def _hhmm(value: str | None) -> str | None:
    if value is not None and not HHMM.match(value):
        raise ValueError(f"{value!r}: a time of day as HH:MM")
    return value


Zone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
HourMinute = Annotated[str | None, AfterValidator(_hhmm)]


class TemplatePreviewOut(BaseModel):
    text: str = Field(description="what the customer would read")


class _CampaignFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[str] | None = Field(
        default=None, max_length=10, description="may use only these (empty: any)"
    )
    quiet_start: HourMinute = None
    quiet_end: HourMinute = None
    timezone: Zone | None = None
    rate_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    scheduled_at: datetime | None = None

    @field_validator("scheduled_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("scheduled_at needs a time zone")
        return value

    @model_validator(mode="after")
    def _quiet_pair(self) -> _CampaignFields:
        given = "quiet_start" in self.model_fields_set, "quiet_end" in self.model_fields_set
        if any(given) and (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both quiet_start and quiet_end (or neither)")
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValueError("quiet hours start and end at different times")
        return self


class CampaignIn(_CampaignFields):
    name: Name
    template_id: int = Field(ge=1)
    kind: CampaignKind
    segment_id: int | None = Field(default=None, ge=1, description="a segment campaign's")
    event: EventType | None = Field(
        default=None, description="a triggered campaign's: the merchant's event type"
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> CampaignIn:
        if self.kind is CampaignKind.segment:
            if self.segment_id is None:
                raise ValueError("a segment campaign names its segment_id")
            if self.event is not None:
                raise ValueError("a segment campaign has no event (that is a triggered one's)")
        else:
            if self.event is None:
                raise ValueError("a triggered campaign names the event type it answers")
            if self.segment_id is not None or self.scheduled_at is not None:
                raise ValueError("a triggered campaign has no segment_id nor scheduled_at")
        return self


class CampaignPatch(_CampaignFields):
    name: Name | None = None
    template_id: int | None = Field(default=None, ge=1)
    segment_id: int | None = Field(default=None, ge=1)
    event: EventType | None = None


class Counts(BaseModel):
    pending: int = 0
    sent: int = 0
    delivered: int = Field(
        default=0,
        description="of the sent: stored for the widget and apps, or accepted by the channel",
    )
    undelivered: int = Field(default=0, description="of the sent: refused by the channel")
    skipped: int = 0
    failed: int = 0
    read: int = 0
    replied: int = 0
    skipped_by: dict[str, int] = Field(
        default_factory=dict, description="opted_out, frequency_cap, unreachable, cancelled …"
    )


class CampaignOut(BaseModel):
    id: int
    name: str
    template_id: int
    kind: CampaignKind
    segment_id: int | None
    event: str | None
    status: CampaignStatus
    channels: list[str]
    quiet_start: str | None
    quiet_end: str | None
    timezone: str
    rate_per_minute: int
    scheduled_at: datetime | None
    expanded: bool = Field(description="every recipient of the segment is written")
    recipients: int
    counts: Counts
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class CampaignDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    dedupe_key: str
    status: DeliveryStatus
    reason: str | None
    channel: str | None
    conversation_id: int | None
    message_id: int | None
    not_before: datetime
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None
    replied_at: datetime | None


class CampaignDeliveryPage(BaseModel):
    deliveries: list[CampaignDeliveryOut]
    total: int


Scalar = str | int | float | bool


class EventIn(BaseModel):
    """An event in the merchant's system (an order shipped, a membership expiring, a saved
    item's price dropping); every running triggered campaign for its ``type`` notifies the
    customer, once per ``id``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, description="yours: sending it again is safe")
    type: EventType
    user_id: str = Field(min_length=1, max_length=200, description="your user id")
    data: dict[Annotated[str, Field(max_length=32)], Scalar | None] = Field(
        default_factory=dict, max_length=30
    )


class EventDelivery(BaseModel):
    campaign_id: int
    delivery_id: int | None
    status: Literal["queued", "duplicate", "refused"]
    detail: str | None = None


class EventOut(BaseModel):
    contact_id: int
    deliveries: list[EventDelivery]


def event_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
