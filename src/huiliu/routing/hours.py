"""Working hours of a group: weekly opening times in the group's time zone, and holidays."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "mon": "周一",
    "tue": "周二",
    "wed": "周三",
    "thu": "周四",
    "fri": "周五",
    "sat": "周六",
    "sun": "周日",
}


class Span(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: time = Field(description="HH:MM, local time")
    end: time = Field(description="HH:MM, local time; after start")

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}")
        return self


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone")
    weekly: dict[Day, list[Span]] = Field(
        description="Opening spans per weekday; a day left out is closed."
    )
    holidays: list[date] = Field(default_factory=list, max_length=400)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        now = local.time()
        spans = self.weekly.get(DAYS[local.weekday()], [])
        return any(span.start <= now < span.end for span in spans)

    def describe(self) -> str:
        parts = []
        for day in DAYS:
            spans = self.weekly.get(day)
            if spans:
                times = "、".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in spans)
                parts.append(f"{DAY_NAMES[day]} {times}")
        return "；".join(parts) if parts else "暂无"
