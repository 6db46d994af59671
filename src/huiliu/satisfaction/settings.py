"""A tenant's satisfaction survey (``satisfaction_settings.settings`` as JSON): the scale and
its labels, follow-up tags per point, whether a comment is taken, when to ask, for how long
an answer is accepted, and what the customer reads. Unset, the defaults below apply."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scale = Literal[2, 3, 5]
Label = Annotated[str, Field(min_length=1, max_length=20)]
Tag = Annotated[str, Field(min_length=1, max_length=20)]

DEFAULT_LABELS: dict[int, list[str]] = {
    5: ["非常不满意", "不满意", "一般", "满意", "非常满意"],
    3: ["不满意", "一般", "满意"],
    2: ["不满意", "满意"],
}
_LOW = ["回复慢", "没解决问题", "态度不好"]
_MIDDLE = ["回复慢", "没解决问题"]
_HIGH = ["回复及时", "解决了问题", "态度很好"]
DEFAULT_TAGS: dict[int, dict[int, list[str]]] = {
    5: {1: _LOW, 2: _LOW, 3: _MIDDLE, 4: _HIGH, 5: _HIGH},
    3: {1: _LOW, 2: _MIDDLE, 3: _HIGH},
    2: {1: _LOW, 2: _HIGH},
}
MAX_TAGS = 8  # per point


class AskOn(BaseModel):
    """When the customer is asked (each at most once per conversation)."""

    model_config = ConfigDict(extra="forbid")

    agent_close: bool = Field(default=True, description="an agent (or supervisor) closes it")
    timeout_close: bool = Field(default=True, description="it closes after idling")
    request: bool = Field(
        default=True, description="the serving agent asks (the workbench's 邀请评价 button)"
    )


class SatisfactionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    scale: Scale = Field(default=5, description="2, 3 or 5 points")
    labels: list[Label] | None = Field(
        default=None,
        description="one per point, worst first; left out: the defaults for the scale",
    )
    tags: dict[int, list[Tag]] | None = Field(
        default=None,
        description="follow-up tags the customer may pick, per point (1 … scale); left out: "
        "the defaults for the scale; {} for none",
    )
    comment: bool = Field(default=True, description="a comment (≤ 500 characters) is taken")
    ask_on: AskOn = Field(default_factory=AskOn)
    ask_bot_only: bool = Field(
        default=False,
        description="also ask conversations no person served (the bot's alone, or closed "
        "while waiting); off: only those an agent was assigned to or wrote in",
    )
    answer_window_h: int = Field(
        default=24, ge=1, le=720, description="answers are taken this many hours after asking"
    )
    prompt: str = Field(
        default="感谢您的咨询，请对本次服务进行评价。", min_length=1, max_length=200
    )
    thanks: str = Field(
        default="感谢您的评价，祝您生活愉快！",
        min_length=1,
        max_length=200,
        description="the answer's thanks on channels that reply with a number",
    )

    @model_validator(mode="after")
    def _complete(self) -> SatisfactionSettings:
        if self.labels is None:
            self.labels = list(DEFAULT_LABELS[self.scale])
        elif len(self.labels) != self.scale:
            raise ValueError(
                f"labels: a {self.scale}-point scale needs {self.scale} labels, "
                f"{len(self.labels)} given"
            )
        if self.tags is None:
            self.tags = {k: list(v) for k, v in DEFAULT_TAGS[self.scale].items()}
        for score, tags in self.tags.items():
            if not 1 <= score <= self.scale:
                raise ValueError(f"tags: {score} is not a point of the 1–{self.scale} scale")
            if len(tags) > MAX_TAGS:
                raise ValueError(f"tags: at most {MAX_TAGS} for point {score}")
            if len(set(tags)) != len(tags):
                raise ValueError(f"tags: point {score} lists a tag twice")
        self.tags = {k: v for k, v in sorted(self.tags.items()) if v}
        return self

    def asks_on(self, trigger: str) -> bool:
        """Whether ``trigger`` (agent_close, timeout_close, request) asks at all."""
        return self.enabled and bool(getattr(self.ask_on, trigger, False))

    def offer(self) -> dict[str, Any]:
        """What a survey asked now offers: stored with it and sent in its invitation."""
        labels = self.labels or DEFAULT_LABELS[self.scale]
        tags = self.tags or {}
        return {
            "prompt": self.prompt,
            "comment": self.comment,
            "options": [
                {"score": n, "label": labels[n - 1], "tags": list(tags.get(n, []))}
                for n in range(1, self.scale + 1)
            ],
        }
