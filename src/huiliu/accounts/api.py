from __future__ import annotations

from fastapi import APIRouter

from huiliu.accounts import actions
from huiliu.accounts import service as accounts_service
from huiliu.accounts.schemas import (
    AccountIn,
    AccountOut,
    AccountPatch,
    AccountView,
    LoginIn,
    StatusIn,
    TokenOut,
)
from huiliu.analytics import presence as report_presence
from huiliu.auth import tokens
from huiliu.auth.deps import AdminDep, AgentDep, RuntimeDep, SupervisorDep
from huiliu.auth.passwords import verify_password
from huiliu.auth.principal import Principal
from huiliu.db.base import utcnow
from huiliu.errors import Unauthorized
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
async def me(principal: AgentDep, runtime: RuntimeDep) -> AccountView:
    """The caller's account with its load, effective capacity and groups."""
    async with runtime.db.read() as session:
        return await accounts_service.view(
            session, tenant_id=principal.tenant_id, account_id=principal.id
        )


@router.put("/me/status")
async def set_status(body: StatusIn, principal: AgentDep, runtime: RuntimeDep) -> AccountOut:
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
    return AccountOut.model_validate(account)


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
async def create_account(body: AccountIn, principal: AdminDep, runtime: RuntimeDep) -> AccountOut:
    async with runtime.db.write() as session:
        account = await accounts_service.create(
            session,
            tenant_id=principal.tenant_id,
            email=body.email,
            name=body.name,
            role=body.role,
            password=body.password,
        )
    return AccountOut.model_validate(account)


@router.put("/accounts/{account_id}/capacity")
async def set_capacity(
    account_id: int, body: CapacityIn, principal: AdminDep, runtime: RuntimeDep
) -> AccountOut:
    """How many conversations the agent serves at once (null: the tenant's default)."""
    async with runtime.db.write() as session:
        account = await accounts_service.get(
            session, tenant_id=principal.tenant_id, account_id=account_id
        )
        account.capacity = body.capacity
    runtime.router.kick(principal.tenant_id, agents=[account_id])
    return AccountOut.model_validate(account)


@router.get("/accounts/{account_id}")
async def get_account(
    account_id: int, principal: SupervisorDep, runtime: RuntimeDep
) -> AccountView:
    async with runtime.db.read() as session:
        return await accounts_service.view(
            session, tenant_id=principal.tenant_id, account_id=account_id
        )


@router.patch("/accounts/{account_id}")
async def update_account(
    account_id: int, body: AccountPatch, principal: AdminDep, runtime: RuntimeDep
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
