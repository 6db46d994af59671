"""What the satisfaction routes take and say."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huiliu.satisfaction.settings import SatisfactionSettings, Tag

__all__ = [
    "AnswerIn",
    "OptionOut",
    "SatisfactionSettings",
    "SurveyOut",
    "SurveyPage",
    "SurveyRow",
]

MAX_COMMENT = 500
Trigger = Literal["agent_close", "timeout_close", "request", "customer"]
Via = Literal["buttons", "reply", "link"]
State = Literal["open", "answered", "expired"]


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


class AnswerIn(BaseModel):
    """The customer's answer: a score on the survey's scale, tags offered for that score,
    an optional comment."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=1, le=5, strict=True, description="1 (worst) … the survey's scale")
    tags: list[Tag] = Field(default_factory=list, max_length=8)
    comment: Annotated[str | None, AfterValidator(_blank_to_none)] = Field(
        default=None, max_length=MAX_COMMENT
    )


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionOut(_Out):
    score: int
    label: str
    tags: list[str]


class SurveyOut(_Out):
    """One conversation's survey: what it offered, and the answer once given. The link's
    token is never shown."""

    id: int
    conversation_id: int
    agent_id: int | None = Field(description="who served (None: nobody but the bot)")
    group_id: int | None
    channel: str
    scale: int
    trigger: Trigger
    via: Via = Field(description="buttons (widget, apps), reply (a number), link (e-mail)")
    prompt: str
    options: list[OptionOut]
    comment_allowed: bool
    asked_at: datetime
    expires_at: datetime | None
    state: State
    answered_at: datetime | None
    score: int | None = Field(description="1 … scale")
    label: str | None = Field(description="the score's label")
    tags: list[str]
    comment: str | None


class SurveyRow(SurveyOut):
    """A survey in the supervisors' list, with who it concerns."""

    contact_id: int
    contact_name: str | None
    agent_name: str | None


class SurveyPage(_Out):
    surveys: list[SurveyRow]
    total: int
    page: int
    per_page: int
