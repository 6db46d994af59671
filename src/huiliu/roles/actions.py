"""Changing roles: check, store, and tell the gateway whose rights changed."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account, Role
from huiliu.auth.principal import Principal
from huiliu.bus.events import AccountChanged
from huiliu.db import Database
from huiliu.errors import Conflict, Forbidden, InvalidInput
from huiliu.roles import access
from huiliu.roles import service as roles_service
from huiliu.roles.models import RoleDef
from huiliu.roles.permissions import ALL, Permission, Scope, parse
from huiliu.roles.schemas import RoleIn, RoleOut, RolePatch


def out(row: RoleDef, holders: dict[int, int]) -> RoleOut:
    admin = row.base is Role.admin
    return RoleOut(
        id=row.id,
        name=row.name,
        base=row.base,
        builtin=row.builtin,
        permissions=sorted(ALL if admin else parse(row.permissions)),
        scope=Scope.tenant if admin else row.scope,
        accounts=holders.get(row.id, 0),
        created_at=row.created_at,
    )


def _check_grant(
    principal: Principal, *, base: Role, permissions: frozenset[Permission], scope: Scope
) -> None:
    if not access.can_grant(principal, base=base, permissions=permissions, scope=scope):
        missing = sorted(permissions - principal.permissions)
        raise Forbidden(
            "a role may hold only rights your own role holds"
            + (f" (you lack {', '.join(missing)})" if missing else " (a wider scope)"),
            field="permissions" if missing else "scope",
            **({"permission": missing[0].value} if missing else {}),
        )


async def _flush(session: AsyncSession, name: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a role named {name!r} exists", field="name") from None


async def create(db: Database, *, principal: Principal, body: RoleIn) -> RoleOut:
    if body.base is Role.admin:
        raise InvalidInput(
            "there is one admin role, the built-in one; make a supervisor role instead",
            field="base",
        )
    permissions = frozenset(body.permissions)
    _check_grant(principal, base=body.base, permissions=permissions, scope=body.scope)
    async with db.write() as session:
        row = RoleDef(
            tenant_id=principal.tenant_id,
            name=body.name.strip(),
            base=body.base,
            builtin=False,
            permissions=sorted(permissions),
            scope=body.scope,
        )
        session.add(row)
        await _flush(session, row.name)
        return out(row, {})


async def update(
    db: Database, *, principal: Principal, role_id: int, body: RolePatch
) -> tuple[RoleOut, list[AccountChanged]]:
    async with db.write() as session:
        row = await roles_service.get(session, tenant_id=principal.tenant_id, role_id=role_id)
        if row.base is Role.admin:
            raise Conflict("the admin role holds every right over the whole merchant; it stays")
        if body.name is not None:
            if row.builtin:
                raise InvalidInput("a built-in role keeps its name", field="name")
            row.name = body.name.strip()
        permissions = (
            frozenset(body.permissions) if body.permissions is not None else parse(row.permissions)
        )
        scope = body.scope or row.scope
        changed = permissions != parse(row.permissions) or scope != row.scope
        if changed:
            # The grantor must hold what the role keeps as well as what it gains.
            _check_grant(principal, base=row.base, permissions=permissions, scope=scope)
        row.permissions = sorted(permissions)
        row.scope = scope
        await _flush(session, row.name)
        events: list[AccountChanged] = []
        if changed:
            holds = Account.role_id == row.id
            if row.builtin:
                holds = or_(holds, and_(Account.role_id.is_(None), Account.role == row.base))
            query = select(Account.id).where(Account.tenant_id == principal.tenant_id, holds)
            ids = (await session.scalars(query)).all()
            events = await roles_service.changed(
                session, tenant_id=principal.tenant_id, account_ids=ids
            )
        holders = await roles_service.holders(session, tenant_id=principal.tenant_id)
        return out(row, holders), events


async def delete(db: Database, *, principal: Principal, role_id: int) -> None:
    async with db.write() as session:
        row = await roles_service.get(session, tenant_id=principal.tenant_id, role_id=role_id)
        if row.builtin:
            raise Conflict("a built-in role cannot be deleted")
        held = await session.scalar(
            select(func.count()).select_from(Account).where(Account.role_id == row.id)
        )
        if held:
            raise Conflict(
                f"{held} account(s) hold this role; give them another role first",
                code="role_in_use",
            )
        await session.delete(row)
