"""FastAPI dependencies: the runtime, and the principal behind a bearer token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from huiliu.accounts import service as accounts_service
from huiliu.accounts.models import Role
from huiliu.auth import tokens
from huiliu.auth.principal import Principal
from huiliu.errors import Forbidden, NotFound, Unauthorized
from huiliu.roles import service as roles_service
from huiliu.roles.permissions import Permission
from huiliu.runtime import Runtime
from huiliu.tenants import service as tenants_service


def get_runtime(conn: HTTPConnection) -> Runtime:
    runtime: Runtime = conn.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticate(runtime: Runtime, token: str) -> Principal:
    """The principal a token names; accounts must still exist and be active."""
    principal = tokens.verify(token, secret=runtime.secret_key)
    if principal.is_account:
        async with runtime.db.read() as session:
            try:
                account = await accounts_service.get(
                    session, tenant_id=principal.tenant_id, account_id=principal.id
                )
            except NotFound:
                raise Unauthorized("account no longer exists", code="invalid_token") from None
            if not account.active:
                raise Unauthorized("account is deactivated", code="account_inactive")
            # The role may have changed since the token was issued; the database decides.
            principal = await roles_service.principal_of(session, account=account)
    return principal


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("send 'Authorization: Bearer <token>'", code="missing_token")
    # The runtime only once there is a token to check (a request without one needs none).
    return await authenticate(get_runtime(request), token.strip())


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_account(role: Role = Role.agent) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: PrincipalDep) -> Principal:
        if not principal.is_account:
            raise Forbidden("this needs an agent's token")
        if not principal.at_least(role):
            raise Forbidden(f"this needs the {role.value} role or higher")
        return principal

    return dependency


def require(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """An account whose role holds ``permission`` (its scope is checked where the thing's
    group is known: the domains' ``access.py``)."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if not principal.is_account:
            raise Forbidden("this needs an agent's token")
        if not principal.can(permission):
            raise Forbidden(
                f"this needs the {permission.value} permission, which your role does not hold",
                permission=permission.value,
            )
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]  # for the route audit
    return dependency


async def require_visitor(principal: PrincipalDep) -> Principal:
    if not principal.is_visitor:
        raise Forbidden("this needs a visitor's token (the widget's session)")
    return principal


async def require_integration(request: Request) -> Principal:
    """The merchant's system, by one of its API keys (``Authorization: Bearer hl_…``)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized(
            "send 'Authorization: Bearer <API key>' (made in the console's API keys page)",
            code="missing_token",
        )
    runtime = get_runtime(request)
    async with runtime.db.read() as session:
        row = await tenants_service.authenticate_api_key(session, key=key)
    if row is None:
        raise Unauthorized("unknown or revoked API key", code="invalid_api_key")
    return Principal(kind="integration", tenant_id=row.tenant_id, id=row.id)


VisitorDep = Annotated[Principal, Depends(require_visitor)]
IntegrationDep = Annotated[Principal, Depends(require_integration)]
AgentDep = Annotated[Principal, Depends(require_account(Role.agent))]
# One per permission: the route's signature says what it needs.
MonitorDep = Annotated[Principal, Depends(require(Permission.monitor))]
ReportsDep = Annotated[Principal, Depends(require(Permission.reports))]
QualityDep = Annotated[Principal, Depends(require(Permission.quality))]
KbDep = Annotated[Principal, Depends(require(Permission.kb))]
RepliesDep = Annotated[Principal, Depends(require(Permission.replies))]
TicketsDep = Annotated[Principal, Depends(require(Permission.tickets))]
AgentsDep = Annotated[Principal, Depends(require(Permission.agents))]
RoutingDep = Annotated[Principal, Depends(require(Permission.routing))]
ChannelsDep = Annotated[Principal, Depends(require(Permission.channels))]
SettingsDep = Annotated[Principal, Depends(require(Permission.settings))]
OrgDep = Annotated[Principal, Depends(require(Permission.org))]
MarketingDep = Annotated[Principal, Depends(require(Permission.marketing))]
