"""Writes on checklists: create, replace (new items make a new version), archive; one
default per tenant. Checks first, then one transaction under the tenant's row lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.db import Database
from huiliu.db.base import scoped, utcnow
from huiliu.errors import Conflict, InvalidInput
from huiliu.quality import scoring, service
from huiliu.quality.models import (
    QualityChecklist,
)
from huiliu.quality.schemas import (
    ChecklistIn,
    ChecklistOut,
)

# --- checklists ----------------------------------------------------------------------------


async def _check_name(
    session: AsyncSession, tenant_id: int, name: str, except_id: int | None = None
) -> None:
    stmt = scoped(select(QualityChecklist.id), QualityChecklist, tenant_id).where(
        QualityChecklist.name == name, QualityChecklist.archived.is_(False)
    )
    if except_id is not None:
        stmt = stmt.where(QualityChecklist.id != except_id)
    if await session.scalar(stmt) is not None:
        raise InvalidInput(f"name: a checklist named {name!r} exists", field="name")


def _items_json(data: ChecklistIn, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = scoring.item_keys(data.items, previous)
    return [
        item.model_dump(mode="json") | {"key": key}
        for item, key in zip(data.items, keys, strict=True)
    ]


async def _make_default(session: AsyncSession, tenant_id: int, checklist_id: int) -> None:
    await session.execute(
        update(QualityChecklist)
        .where(
            QualityChecklist.tenant_id == tenant_id,
            QualityChecklist.is_default.is_(True),
            QualityChecklist.id != checklist_id,
        )
        .values(is_default=False)
    )
    await session.flush()


async def create_checklist(
    db: Database, *, principal: Principal, data: ChecklistIn, now: datetime | None = None
) -> ChecklistOut:
    """The tenant's first checklist is its default whatever ``is_default`` says."""
    now = now or utcnow()
    async with db.write() as session:
        await service.lock_tenant(session, principal.tenant_id)
        await _check_name(session, principal.tenant_id, data.name)
        first = await service.default_checklist(session, tenant_id=principal.tenant_id) is None
        row = QualityChecklist(
            tenant_id=principal.tenant_id,
            name=data.name,
            description=data.description,
            items=_items_json(data, []),
            version=1,
            is_default=False,
            archived=False,
            created_by_id=principal.id,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        if data.is_default or first:
            await _make_default(session, principal.tenant_id, row.id)
            row.is_default = True
            await session.flush()
        return service.checklist_out(row)


async def update_checklist(
    db: Database,
    *,
    principal: Principal,
    checklist_id: int,
    data: ChecklistIn,
    now: datetime | None = None,
) -> ChecklistOut:
    """Replaces name, description and items; new items make a new version (reviews keep the
    items they were scored with). ``is_default`` true makes it the default; the default
    stays one until another takes its place."""
    now = now or utcnow()
    async with db.write() as session:
        await service.lock_tenant(session, principal.tenant_id)
        row = await service.get_checklist(
            session, tenant_id=principal.tenant_id, checklist_id=checklist_id, for_update=True
        )
        if row.archived:
            raise Conflict("the checklist was deleted")
        if row.is_default and data.is_default is False:
            raise InvalidInput(
                "is_default: make another checklist the default instead", field="is_default"
            )
        await _check_name(session, principal.tenant_id, data.name, except_id=row.id)
        items = _items_json(data, row.items)
        if items != row.items:
            row.items = items
            row.version += 1
        row.name = data.name
        row.description = data.description
        row.updated_at = now
        if data.is_default and not row.is_default:
            await _make_default(session, principal.tenant_id, row.id)
            row.is_default = True
        await session.flush()
        return service.checklist_out(row)


async def delete_checklist(db: Database, *, principal: Principal, checklist_id: int) -> None:
    """Archived, not removed: its batches and reviews keep it. The default goes only when it
    is the last checklist."""
    async with db.write() as session:
        await service.lock_tenant(session, principal.tenant_id)
        row = await service.get_checklist(
            session, tenant_id=principal.tenant_id, checklist_id=checklist_id, for_update=True
        )
        if row.archived:
            return
        if row.is_default:
            others = await service.list_checklists(session, tenant_id=principal.tenant_id)
            if any(o.id != row.id for o in others):
                raise Conflict("make another checklist the default before deleting this one")
        row.archived = True
        row.is_default = False
        row.updated_at = utcnow()
