"""Report settings routes: ``GET`` (supervisors and admins: reports are read in its time
zone) and ``PUT`` (admins) ``/api/v1/tenant/reports/settings``. docs/analytics.md tells the
rules."""

from __future__ import annotations

from fastapi import APIRouter

from huiliu.analytics import settings as report_settings
from huiliu.analytics.settings import ReportSettings
from huiliu.auth.deps import ReportsDep, RuntimeDep, SettingsDep

router = APIRouter(prefix="/api/v1", tags=["reports"])


@router.get("/tenant/reports/settings")
async def get_settings(principal: ReportsDep, runtime: RuntimeDep) -> ReportSettings:
    async with runtime.db.read() as session:
        return await report_settings.get(await session.connection(), tenant_id=principal.tenant_id)


@router.put("/tenant/reports/settings")
async def put_settings(
    body: ReportSettings, principal: SettingsDep, runtime: RuntimeDep
) -> ReportSettings:
    """The time zone reports count days in, and the business hours used where a
    conversation's group has none. Applies to conversations folded from now on; `huiliu
    analytics rebuild` recomputes the past."""
    async with runtime.db.write_connection() as conn:
        return await report_settings.put(conn, tenant_id=principal.tenant_id, settings=body)
