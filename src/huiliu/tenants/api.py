from __future__ import annotations

from fastapi import APIRouter

from huiliu.auth.deps import AgentDep, AgentsDep, RuntimeDep, SettingsDep
from huiliu.roles.permissions import Permission
from huiliu.routing.schemas import DefaultCapacityIn
from huiliu.tenants import service as tenants_service
from huiliu.tenants.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, TenantOut

router = APIRouter(prefix="/api/v1/tenant", tags=["tenant"])


@router.get("")
async def get_tenant(principal: AgentDep, runtime: RuntimeDep) -> TenantOut:
    async with runtime.db.read() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
    out = TenantOut.model_validate(tenant)
    # The identity secret signs customers' identities: for those who set up channels.
    if not (principal.can(Permission.channels) or principal.can(Permission.settings)):
        out.identity_secret = None
    return out


@router.put("/default-capacity")
async def set_default_capacity(
    body: DefaultCapacityIn, principal: AgentsDep, runtime: RuntimeDep
) -> TenantOut:
    """How many conversations an agent serves at once unless their account says otherwise."""
    async with runtime.db.write() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
        tenant.default_capacity = body.default_capacity
    runtime.router.kick(principal.tenant_id)
    return TenantOut.model_validate(tenant)


@router.get("/api-keys")
async def list_api_keys(principal: SettingsDep, runtime: RuntimeDep) -> list[ApiKeyOut]:
    async with runtime.db.read() as session:
        keys = await tenants_service.list_api_keys(session, tenant_id=principal.tenant_id)
    return [ApiKeyOut.model_validate(k) for k in keys]


@router.post("/api-keys", status_code=201)
async def create_api_key(
    body: ApiKeyIn, principal: SettingsDep, runtime: RuntimeDep
) -> ApiKeyCreated:
    async with runtime.db.write() as session:
        row, key = await tenants_service.create_api_key(
            session, tenant_id=principal.tenant_id, name=body.name
        )
        out = ApiKeyCreated.model_validate(
            {**ApiKeyOut.model_validate(row).model_dump(), "key": key}
        )
    return out


@router.delete("/api-keys/{key_id}")
async def revoke_api_key(key_id: int, principal: SettingsDep, runtime: RuntimeDep) -> ApiKeyOut:
    async with runtime.db.write() as session:
        row = await tenants_service.revoke_api_key(
            session, tenant_id=principal.tenant_id, key_id=key_id
        )
    return ApiKeyOut.model_validate(row)
