"""Tickets on the wire, and a tenant's ticket settings (categories, custom fields, SLA)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from huiliu.custom_fields import CustomFieldDef
from huiliu.tickets.models import TicketPriority, TicketSource, TicketStatus


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Subject = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_stripped)]
Category = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_stripped)]
Tag = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_stripped)]


# --- settings ------------------------------------------------------------------------------


class SlaTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_response_min: int | None = Field(default=None, ge=1, le=60 * 24 * 90)
    resolution_min: int | None = Field(default=None, ge=1, le=60 * 24 * 365)


class SlaPolicy(BaseModel):
    """Targets by priority, counted in business hours (the ticket's group's working hours,
    else the tenant's default group's) or in calendar time."""

    model_config = ConfigDict(extra="forbid")

    business_hours: bool = Field(
        default=True, description="count only the group's opening hours (calendar time if off)"
    )
    targets: dict[TicketPriority, SlaTarget] = Field(default_factory=dict)
    warning_share: float = Field(
        default=0.8, gt=0, lt=1, description="warn when this share of the target has passed"
    )


class TicketSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[Category] = Field(
        default_factory=list, max_length=200, description="empty: any category (or none)"
    )
    custom_fields: list[CustomFieldDef] = Field(default_factory=list, max_length=50)
    sla: SlaPolicy | None = None
    reopen_window_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="a solved ticket reopens on a public comment within this many days; "
        "after them the sweep closes it",
    )
    left_messages_become_tickets: bool = False

    @model_validator(mode="after")
    def _unique(self) -> TicketSettings:
        keys = [f.key for f in self.custom_fields]
        if len(set(keys)) != len(keys):
            raise ValueError("custom field keys must be unique")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories must be unique")
        return self


# --- tickets -------------------------------------------------------------------------------


class NewContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _something(self) -> NewContact:
        if not (self.name or self.email or self.phone):
            raise ValueError("a new contact needs a name, an e-mail or a phone")
        return self


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = Field(
        default=None, description="required unless made from a conversation"
    )
    description: str = Field(default="", max_length=20_000)
    category: Category | None = None
    priority: TicketPriority = TicketPriority.normal
    assignee_id: int | None = None
    group_id: int | None = None
    conversation_id: int | None = Field(
        default=None, description="made from this conversation: its customer and transcript"
    )
    contact_id: int | None = None
    contact: NewContact | None = Field(default=None, description="create the customer too")
    source: TicketSource | None = Field(
        default=None, description="manual by default (conversation with conversation_id)"
    )
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class FromConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = None
    description: str = Field(default="", max_length=20_000)
    category: Category | None = None
    priority: TicketPriority = TicketPriority.normal
    assignee_id: int | None = None
    group_id: int | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class TicketPatch(BaseModel):
    """Only the fields given change; null clears category, assignee and group."""

    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = None
    description: str | None = Field(default=None, max_length=20_000)
    category: Category | None = None
    priority: TicketPriority | None = None
    status: TicketStatus | None = None
    assignee_id: int | None = None
    group_id: int | None = None
    custom_fields: dict[str, Any] | None = Field(
        default=None, description="merged into the ticket's; a null value removes a field"
    )
    tags: list[Tag] | None = Field(default=None, max_length=20)


ClockState = Literal["none", "running", "paused", "warning", "breached", "met"]


class SlaClock(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_at: datetime | None
    state: ClockState


class SlaState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_response: SlaClock
    resolution: SlaClock
    breached: bool


class TicketOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    number: int
    display: str = Field(description="#12")
    subject: str
    description: str
    category: str | None
    priority: TicketPriority
    status: TicketStatus
    assignee_id: int | None
    group_id: int | None
    contact_id: int | None
    conversation_id: int | None
    channel: str | None
    source: TicketSource
    custom_fields: dict[str, Any]
    tags: list[str]
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    sla: SlaState


class TicketPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tickets: list[TicketOut]
    total: int
    page: int
    per_page: int


class Attachment(BaseModel):
    """A file uploaded to this merchant (``POST /api/v1/files``); its name, type and size
    are taken from the upload."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="the url POST /api/v1/files returned")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20_000)
    public: bool = Field(description="public: reaches the customer; internal: agents only")
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _text(self) -> CommentIn:
        self.text = _stripped(self.text)
        return self


class CommentOut(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: int
    ticket_id: int
    author_type: str
    author_id: int
    public: bool
    text: str
    attachments: list[dict[str, Any]]
    delivery: str | None = Field(description="conversation | stored (public comments)")
    conversation_id: int | None
    message_id: int | None
    created_at: datetime


class ChangeOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    kind: str
    field: str | None
    old: Any
    new: Any
    actor_type: str
    actor_id: int | None
    created_at: datetime


class TranscriptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: int
    created_at: datetime
    messages: list[dict[str, Any]]
