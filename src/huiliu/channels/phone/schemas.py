"""The CTI event a PBX posts (``POST /channels/phone/{token}/events``), and the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator


class AgentRef(BaseModel):
    """Who answered, as the PBX knows them: a Huiliu account id, an extension (mapped in
    the account's settings) or an e-mail."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = Field(default=None, description="the agent's Huiliu account id")
    extension: str | None = Field(default=None, min_length=1, max_length=32)
    email: str | None = Field(default=None, min_length=3, max_length=254)

    @model_validator(mode="after")
    def _one_at_least(self) -> AgentRef:
        if self.id is None and self.extension is None and self.email is None:
            raise ValueError("name the agent by id, extension or email")
        return self


class CallEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1, max_length=200, description="the event's id: a resend is stored once"
    )
    call_id: str = Field(min_length=1, max_length=128, description="the PBX's id of the call")
    event: Literal["ringing", "answered", "transferred", "ended", "ivr"]
    at: datetime = Field(description="when it happened (ISO 8601 with a time zone)")
    caller: str = Field(max_length=64)
    callee: str = Field(max_length=64)
    direction: Literal["inbound", "outbound"] = "inbound"
    agent: AgentRef | None = None
    ivr_keys: str | None = Field(default=None, max_length=64, pattern=r"^[0-9*#A-Da-d]*$")
    recording_url: AnyHttpUrl | None = None
    queue: str | None = Field(default=None, max_length=100)
    duration_s: int | None = Field(default=None, ge=0, description="ended: the talk time")

    @model_validator(mode="after")
    def _aware(self) -> CallEventIn:
        if self.at.tzinfo is None:
            raise ValueError("at: give the time zone (2026-12-01T10:00:00+08:00)")
        return self


class CallEventOut(BaseModel):
    status: Literal["stored", "duplicate", "ignored", "rejected"]
    call_id: str
    state: str | None = Field(description="the call's state after this event")
    conversation_id: int | None
