"""A tenant's report settings: the time zone reports count days in, and the business hours
a conversation's business-hours figures use when its group has none of its own.

Stored as JSON in ``report_settings`` (one row per tenant; none: the defaults). A change
applies to what is folded from then on; ``huiliu analytics rebuild`` recomputes the past.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.analytics.models import ReportSettingsRow
from huiliu.db.base import utcnow
from huiliu.routing.hours import WorkingHours

settings_t = cast(Table, ReportSettingsRow.__table__)


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA time zone: reports count days (and hot words their days) in it",
    )
    business_hours: WorkingHours | None = Field(
        default=None,
        description="Business hours for the business-hours figures of conversations whose "
        "group has no working hours of its own; null: calendar time",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name: Asia/Shanghai)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


async def get(conn: AsyncConnection, *, tenant_id: int) -> ReportSettings:
    """The tenant's report settings (the defaults when it has none stored)."""
    return (await get_many(conn, [tenant_id]))[tenant_id]


async def get_many(conn: AsyncConnection, tenant_ids: Sequence[int]) -> dict[int, ReportSettings]:
    found = {
        int(row.tenant_id): row.settings
        for row in await conn.execute(
            select(settings_t.c.tenant_id, settings_t.c.settings).where(
                settings_t.c.tenant_id.in_(sorted(set(tenant_ids)))
            )
        )
    }
    return {t: ReportSettings.model_validate(found.get(t) or {}) for t in tenant_ids}


async def put(conn: AsyncConnection, *, tenant_id: int, settings: ReportSettings) -> ReportSettings:
    """Store the tenant's report settings (one upsert: two admins saving at once leave the
    later one's)."""
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "settings": settings.model_dump(mode="json"),
        "updated_at": utcnow(),
    }
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(settings_t).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[settings_t.c.tenant_id],
        set_={"settings": stmt.excluded.settings, "updated_at": stmt.excluded.updated_at},
    )
    await conn.execute(stmt)
    return settings
