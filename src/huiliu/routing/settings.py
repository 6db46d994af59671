"""A tenant's routing settings: priority rules, timeouts, what happens when agents leave."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PriorityRule(BaseModel):
    """Conversations matching the rule wait with this priority (the highest match wins).

    ``attribute`` + ``equals``: the contact's attribute (e.g. ``{"level": "vip"}``);
    ``channel``: every conversation on that channel."""

    model_config = ConfigDict(extra="forbid")

    priority: int = Field(ge=-100, le=100)
    attribute: str | None = Field(default=None, min_length=1, max_length=64)
    equals: str | int | float | bool | None = None
    channel: str | None = Field(default=None, min_length=1, max_length=32)

    @model_validator(mode="after")
    def _one_condition(self) -> PriorityRule:
        if (self.attribute is None) == (self.channel is None):
            raise ValueError("a rule names an attribute (with equals) or a channel")
        if self.attribute is not None and self.equals is None:
            raise ValueError("an attribute rule needs 'equals'")
        return self

    def matches(self, *, channel: str, attributes: dict[str, Any]) -> bool:
        if self.channel is not None:
            return self.channel == channel
        return self.attribute in attributes and attributes[self.attribute] == self.equals


class RoutingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority_rules: list[PriorityRule] = Field(default_factory=list, max_length=50)
    reply_timeout_s: int | None = Field(
        default=None,
        ge=10,
        le=86400,
        description="An assigned conversation whose agent has not replied this long after "
        "assignment is offered to another agent. None: never.",
    )
    offline_policy: Literal["keep", "requeue"] = Field(
        default="keep",
        description="When an agent goes offline: keep their conversations, or put them back "
        "in the queue for others.",
    )
    presence_grace_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="An agent whose every socket has been gone this long goes offline.",
    )
    idle_close_s: int | None = Field(
        default=None,
        ge=60,
        le=30 * 86400,
        description="Close a conversation nobody has written in for this long. None: never.",
    )
    max_queue_wait_s: int | None = Field(
        default=None,
        ge=10,
        le=86400,
        description="A customer waiting longer is offered to leave a message. None: never.",
    )

    @property
    def has_timeouts(self) -> bool:
        return any(
            v is not None for v in (self.reply_timeout_s, self.idle_close_s, self.max_queue_wait_s)
        )

    def priority_for(self, *, channel: str, attributes: dict[str, Any]) -> int:
        matched = [
            r.priority
            for r in self.priority_rules
            if r.matches(channel=channel, attributes=attributes)
        ]
        return max(matched, default=0)
