"""Roles over REST: the catalogue of permissions, the merchant's roles (docs/roles.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from huiliu.auth.deps import AgentDep, OrgDep, RuntimeDep
from huiliu.roles import actions
from huiliu.roles import service as roles_service
from huiliu.roles.permissions import Permission
from huiliu.roles.schemas import RoleIn, RoleOut, RolePatch

router = APIRouter(prefix="/api/v1", tags=["roles"])


@router.get("/permissions")
async def list_permissions(principal: AgentDep) -> list[Permission]:
    """Every permission a role may hold."""
    return list(Permission)


@router.get("/roles")
async def list_roles(principal: AgentDep, runtime: RuntimeDep) -> list[RoleOut]:
    """The merchant's roles, built-in ones first, with how many accounts hold each. Every
    account may list them (the console names an account's role)."""
    async with runtime.db.read() as session:
        rows = await roles_service.list_roles(session, tenant_id=principal.tenant_id)
        holders = await roles_service.holders(session, tenant_id=principal.tenant_id)
    return [actions.out(r, holders) for r in rows]


@router.post("/roles", status_code=201)
async def create_role(body: RoleIn, principal: OrgDep, runtime: RuntimeDep) -> RoleOut:
    return await actions.create(runtime.db, principal=principal, body=body)


@router.patch("/roles/{role_id}")
async def update_role(
    role_id: int, body: RolePatch, principal: OrgDep, runtime: RuntimeDep
) -> RoleOut:
    """Its name (not a built-in's), permissions and scope; accounts holding it act with the
    new rights at once, open sockets included. The admin role never changes."""
    role, events = await actions.update(runtime.db, principal=principal, role_id=role_id, body=body)
    await runtime.bus.publish(list(events))
    return role


@router.delete("/roles/{role_id}", status_code=204)
async def delete_role(role_id: int, principal: OrgDep, runtime: RuntimeDep) -> Response:
    """Only a role nobody holds, and never a built-in one."""
    await actions.delete(runtime.db, principal=principal, role_id=role_id)
    return Response(status_code=204)
