from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huiliu.routing.engine import Strategy
from huiliu.routing.hours import WorkingHours

Channel = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")]


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    centre_id: int | None = Field(default=None, ge=1, description="the service centre it is in")
    strategy: Strategy = Strategy.least_load
    last_agent_days: int = Field(default=7, ge=0, le=365)
    is_default: bool = False
    channels: list[Channel] = Field(default_factory=list, max_length=20)
    member_ids: list[int] = Field(default_factory=list, max_length=2000)
    working_hours: WorkingHours | None = None


class GroupPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    centre_id: int | None = Field(default=None, ge=1, description="explicit null: no centre")
    strategy: Strategy | None = None
    last_agent_days: int | None = Field(default=None, ge=0, le=365)
    is_default: bool | None = None
    channels: list[Channel] | None = Field(default=None, max_length=20)
    member_ids: list[int] | None = Field(default=None, max_length=2000)
    working_hours: WorkingHours | None = None
    always_open: bool | None = Field(default=None, description="true: drop the working hours")


class GroupOut(BaseModel):
    id: int
    name: str
    centre_id: int | None
    strategy: Strategy
    last_agent_days: int
    is_default: bool
    channels: list[str]
    member_ids: list[int]
    working_hours: WorkingHours | None
    open_now: bool
    created_at: datetime


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class CentreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_stripped)]


class CentreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    group_ids: list[int]
    account_ids: list[int] = Field(description="the accounts working in it")
    created_at: datetime


class EnqueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: int = Field(ge=1)


class QueueEntry(BaseModel):
    conversation_id: int
    contact_id: int
    position: int
    priority: int
    waiting_s: float
    target_agent_id: int | None


class AgentLoad(BaseModel):
    id: int
    name: str
    status: str
    load: int
    capacity: int


class QueueOut(BaseModel):
    group_id: int
    waiting: int
    longest_wait_s: float
    entries: list[QueueEntry]
    agents: list[AgentLoad]


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: int | None = Field(default=None, ge=1)
    group_id: int | None = Field(default=None, ge=1)
    note: str | None = Field(default=None, max_length=1000)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: int = Field(ge=1)


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(ge=1, le=1000, description="None: the tenant's default.")


class DefaultCapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_capacity: int = Field(ge=1, le=1000)
