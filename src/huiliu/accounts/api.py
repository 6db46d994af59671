from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from huiliu.accounts import actions
from huiliu.accounts import service as accounts_service
from huiliu.accounts.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    AccountView,
    LoginIn,
    MeView,
    StatusIn,
    TokenOut,
)
from huiliu.analytics import presence as report_presence
from huiliu.auth import tokens
from huiliu.auth.deps import AgentDep, AgentsDep, RuntimeDep
from huiliu.auth.passwords import verify_password
from huiliu.auth.principal import Principal
from huiliu.db.base import utcnow
from huiliu.errors import Forbidden, Unauthorized
from huiliu.roles import access as roles_access
from huiliu.roles import service as roles_service
from huiliu.routing import service as routing_service
from huiliu.routing.schemas import CapacityIn

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/login")
async def login(body: LoginIn, runtime: RuntimeDep) -> TokenOut:
    async with runtime.db.read() as session:
        account = await accounts_service.get_by_email(session, email=body.email)
    ok = verify_password(account.password_hash if account else None, body.password)
    if account is None or not ok:
        raise Unauthorized("wrong e-mail or password", code="bad_credentials")
    if not account.active:
        raise Unauthorized("account is deactivated", code="account_inactive")
    ttl = runtime.settings.access_token_ttl_s
    principal = Principal(
        kind="account", tenant_id=account.tenant_id, id=account.id, role=account.role
    )
    return TokenOut(
        access_token=tokens.issue(principal, secret=runtime.secret_key, ttl_s=ttl),
        expires_in=ttl,
        account=AccountOut.model_validate(account),
    )


@router.get("/me")
async def me(principal: AgentDep, runtime: RuntimeDep) -> MeView:
    """The caller's account with its load, effective capacity and groups, and what its
    role lets it do over which groups."""
    async with runtime.db.read() as session:
        return await _me(session, principal)


async def _me(session: Any, principal: Principal) -> MeView:
    view = await accounts_service.view(
        session, tenant_id=principal.tenant_id, account_id=principal.id
    )
    account = await accounts_service.get(
        session, tenant_id=principal.tenant_id, account_id=principal.id
    )
    _, _, scope = await roles_service.effective(session, account=account)
    return MeView(
        **view.model_dump(),
        permissions=sorted(principal.permissions),
        scope=scope,
        scope_group_ids=None if principal.group_ids is None else sorted(principal.group_ids),
    )


@router.put("/me/status")
async def set_status(body: StatusIn, principal: AgentDep, runtime: RuntimeDep) -> MeView:
    """The caller's new status → their account as ``GET /me`` gives it."""
    async with runtime.db.write() as session:
        account = await accounts_service.get(
            session, tenant_id=principal.tenant_id, account_id=principal.id
        )
        account.status = body.status
        # The account's row first, then the report span, as agent_gone and deactivation
        # lock them: never the other way round (a deadlock on PostgreSQL).
        await session.flush()
        # Reports count online and away time from here (in this transaction).
        await report_presence.status_changed(
            await session.connection(),
            tenant_id=principal.tenant_id,
            agent_id=principal.id,
            status=body.status,
            at=utcnow(),
        )
    runtime.router.kick(principal.tenant_id, agents=[principal.id])  # takes waiting work
    async with runtime.db.read() as session:
        return await _me(session, principal)


@router.get("/accounts")
async def list_accounts(principal: AgentDep, runtime: RuntimeDep) -> list[AccountView]:
    """The merchant's accounts with their load, effective capacity and groups. Every account
    may list them: agents pick colleagues to transfer to."""
    async with runtime.db.read() as session:
        accounts = await accounts_service.list_accounts(session, tenant_id=principal.tenant_id)
        return await accounts_service.views(
            session, tenant_id=principal.tenant_id, accounts=accounts
        )


@router.post("/accounts", status_code=201)
async def create_account(body: AccountIn, principal: AgentsDep, runtime: RuntimeDep) -> AccountOut:
    async with runtime.db.write() as session:
        role, role_id, permissions, scope = await roles_service.resolve(
            session,
            tenant_id=principal.tenant_id,
            role=body.role if "role" in body.model_fields_set else None,
            role_id=body.role_id,
        )
        if not roles_access.can_grant(principal, base=role, permissions=permissions, scope=scope):
            raise Forbidden(
                "you cannot give a role with rights your own role does not hold",
                field="role_id" if body.role_id is not None else "role",
            )
        if body.centre_id is not None:
            if not roles_access.can_move(principal):
                raise Forbidden(
                    "putting someone in a centre needs a role over the whole merchant",
                    field="centre_id",
                )
            await routing_service.check_centre(
                session, tenant_id=principal.tenant_id, centre_id=body.centre_id
            )
        account = await accounts_service.create(
            session,
            tenant_id=principal.tenant_id,
            email=body.email,
            name=body.name,
            role=role,
            password=body.password,
        )
        account.role_id = role_id
        account.centre_id = body.centre_id
        await session.flush()
    return AccountOut.model_validate(account)


@router.put("/accounts/{account_id}/capacity")
async def set_capacity(
    account_id: int, body: CapacityIn, principal: AgentsDep, runtime: RuntimeDep
) -> AccountOut:
    """How many conversations the agent serves at once (null: the tenant's default)."""
    async with runtime.db.write() as session:
        account = await accounts_service.get(
            session, tenant_id=principal.tenant_id, account_id=account_id
        )
        member_of = await routing_service.group_ids_of(session, account_id=account_id)
        if not roles_access.can_manage_account(
            principal, role=account.role, group_ids=member_of, account_id=account_id
        ):
            raise Forbidden("this account is outside the groups your role manages")
        account.capacity = body.capacity
    runtime.router.kick(principal.tenant_id, agents=[account_id])
    return AccountOut.model_validate(account)


@router.get("/accounts/{account_id}")
async def get_account(account_id: int, principal: AgentDep, runtime: RuntimeDep) -> AccountView:
    async with runtime.db.read() as session:
        return await accounts_service.view(
            session, tenant_id=principal.tenant_id, account_id=account_id
        )


@router.patch("/accounts/{account_id}")
async def update_account(
    account_id: int, body: AccountPatch, principal: AgentsDep, runtime: RuntimeDep
) -> AccountView:
    """Name, role, password, active. Admins cannot demote or deactivate themselves, and the
    last active admin stays one; a deactivated agent's open conversations are requeued."""
    events, requeued = await actions.update_account(
        runtime.db, principal=principal, account_id=account_id, patch=body
    )
    await runtime.bus.publish(events)
    if requeued:
        runtime.router.kick(principal.tenant_id)
    async with runtime.db.read() as session:
        return await accounts_service.view(
            session, tenant_id=principal.tenant_id, account_id=account_id
        )
