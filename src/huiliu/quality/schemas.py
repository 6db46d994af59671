"""Quality review on the wire: checklists and their items, samples and batches, reviews
with their scores, disputes, the change log, and the tenant's quality settings."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from huiliu.quality.models import ReviewStatus, SampleMode

MAX_ITEMS = 50
ITEM_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_stripped)]


# --- settings ------------------------------------------------------------------------------


class QualitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    edit_window_days: int = Field(
        default=7, ge=0, le=90, description="its reviewer may edit a submitted review this long"
    )
    dispute_window_days: int = Field(
        default=7, ge=0, le=90, description="the agent may dispute a review this long after it"
    )
    pass_mark: int = Field(
        default=80, ge=0, le=100, description="a total at or above it counts as passed"
    )


# --- checklists ----------------------------------------------------------------------------


class ChecklistItem(BaseModel):
    """One line of a scorecard. ``max_points`` is its weight in the total; a failed
    ``critical`` item makes the whole review's total 0 (critical items are pass/fail)."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(
        default=None,
        description="stable id (a-z, 0-9, _ and -, from a letter or digit); "
        "the server makes one when missing",
    )
    label: Name
    description: str = Field(default="", max_length=1000)
    scoring: Literal["pass_fail", "points"] = "pass_fail"
    max_points: int = Field(default=10, ge=1, le=100)
    critical: bool = False

    @model_validator(mode="after")
    def _valid(self) -> ChecklistItem:
        if self.key is not None and not ITEM_KEY.match(self.key):
            raise ValueError(
                f"key {self.key!r}: 1-32 of a-z, 0-9, _ and -, from a letter or a digit"
            )
        if self.critical and self.scoring != "pass_fail":
            raise ValueError(f"item {self.label!r}: a critical item is scored pass/fail")
        return self


class ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str = Field(default="", max_length=2000)
    items: list[ChecklistItem] = Field(min_length=1, max_length=MAX_ITEMS)
    is_default: bool | None = Field(
        default=None,
        description="the checklist new batches use; true makes it the default (null: as it is)",
    )

    @model_validator(mode="after")
    def _unique(self) -> ChecklistIn:
        keys = [i.key for i in self.items if i.key is not None]
        if len(set(keys)) != len(keys):
            raise ValueError("item keys must be unique")
        labels = [i.label for i in self.items]
        if len(set(labels)) != len(labels):
            raise ValueError("item labels must be unique")
        return self


class ItemOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    label: str
    description: str
    scoring: Literal["pass_fail", "points"]
    max_points: int
    critical: bool


class ChecklistOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    description: str
    items: list[ItemOut]
    version: int = Field(description="moves on with every change to the items")
    is_default: bool
    archived: bool
    max_points: int = Field(description="the items' points added up")
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


# --- samples and batches -------------------------------------------------------------------


class SampleIn(BaseModel):
    """Closed conversations of a period, served by a person, not in any batch yet."""

    model_config = ConfigDict(extra="forbid")

    mode: SampleMode
    since: AwareDatetime = Field(description="closed at or after (with a time zone)")
    until: AwareDatetime | None = Field(default=None, description="closed before; default now")
    n: int = Field(
        default=10, ge=1, le=200, description="how many (by_agent: how many per agent, ≤ 50)"
    )
    long_by: Literal["handling", "messages"] = Field(
        default="handling", description="long: by handling time or by messages"
    )
    channel: str | None = Field(default=None, max_length=32)
    group_id: int | None = None
    agent_id: int | None = None
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="random modes: the same seed, the same sample"
    )


class BatchIn(SampleIn):
    name: Name | None = Field(default=None, description="default: the mode and the date")
    checklist_id: int | None = Field(default=None, description="default: the default checklist")
    assignee_id: int | None = Field(
        default=None, description="the reviewer (a supervisor or admin); default: you"
    )


class BatchPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    assignee_id: int | None = None


class SampledOut(BaseModel):
    """A conversation in a sample, with what it was picked by."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: int
    agent_id: int
    group_id: int | None
    channel: str
    closed_at: datetime
    rating_score: int | None
    rating_scale: int | None
    handling_s: float | None
    messages: int | None


class SampleOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int
    candidates: int = Field(description="conversations the sample was drawn from")
    conversations: list[SampledOut]


class BatchItemOut(SampledOut):
    id: int
    position: int
    review_id: int | None
    review_status: ReviewStatus | None
    total_score: float | None


class BatchOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    checklist_id: int
    mode: SampleMode
    params: dict[str, Any]
    seed: int
    candidates: int
    assignee_id: int
    created_by_id: int
    created_at: datetime
    size: int
    reviewed: int = Field(description="items with a submitted (or disputed) review")


class BatchDetail(BatchOut):
    items: list[BatchItemOut]


# --- reviews -------------------------------------------------------------------------------


class ScoreIn(BaseModel):
    """One item's score: ``passed`` for a pass/fail item, ``points`` (0 … its max) for a
    points item, or ``na`` (not applicable: left out of the total); none of them yet in a
    draft."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=32)
    passed: bool | None = None
    points: int | None = Field(default=None, ge=0)
    na: bool = False
    comment: str = Field(default="", max_length=2000)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: int
    conversation_id: int


class ReviewPatch(BaseModel):
    """``scores`` replaces every score given before."""

    model_config = ConfigDict(extra="forbid")

    scores: list[ScoreIn] | None = Field(default=None, max_length=MAX_ITEMS)
    comment: str | None = Field(default=None, max_length=5000)


class ScoreOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    passed: bool | None
    points: int | None
    na: bool
    comment: str
    earned: int | None = Field(description="points this item adds (null: n/a or unscored)")


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _text(self) -> DisputeIn:
        self.comment = _stripped(self.comment)
        return self


class ResolveIn(BaseModel):
    """``upheld``: the review stands; ``revised``: ``scores`` (every item) and optionally
    ``review_comment`` replace the review's."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "revised"]
    comment: str = Field(default="", max_length=2000, description="the answer to the agent")
    scores: list[ScoreIn] | None = Field(default=None, max_length=MAX_ITEMS)
    review_comment: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _scores(self) -> ResolveIn:
        if self.outcome == "upheld" and (self.scores is not None or self.review_comment):
            raise ValueError("an upheld review keeps its scores: send them only to revise")
        if self.outcome == "revised" and self.scores is None:
            raise ValueError("revised: send the new scores")
        return self


class DisputeOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str
    disputed_at: datetime
    outcome: Literal["upheld", "revised"] | None
    resolution: str | None
    resolved_at: datetime | None
    resolved_by_id: int | None


class ReviewOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    batch_id: int
    conversation_id: int
    agent_id: int
    reviewer_id: int
    checklist_id: int
    checklist_version: int
    checklist_name: str
    items: list[ItemOut] = Field(description="the checklist's items as they were scored")
    scores: list[ScoreOut]
    comment: str
    status: ReviewStatus
    total_score: float | None = Field(description="0–100; a draft's counts the items scored")
    critical_failed: bool
    passed: bool | None = Field(description="total at or above the tenant's pass mark")
    earned: int
    possible: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    editable_until: datetime | None = Field(description="its reviewer may edit it until then")
    disputable_until: datetime | None = Field(description="its agent may dispute it until then")
    dispute: DisputeOut | None
    unread: bool = Field(description="for its agent: changed since they last read it")


class ReviewPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviews: list[ReviewOut]
    total: int
    unread: int = Field(description="(my reviews) how many the caller has not read")


class ReviewChangeOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    kind: str = Field(description="created | submitted | edited | disputed | resolved")
    actor_id: int | None
    data: dict[str, Any]
    created_at: datetime


class ReviewTranscriptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: int
    channel: str
    contact_id: int
    contact_name: str | None
    assignee_id: int | None
    created_at: datetime
    closed_at: datetime | None
    messages: list[dict[str, Any]]
