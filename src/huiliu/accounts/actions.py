"""Changing an account: check, store in one transaction, then publish after commit."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, func, select, update

from huiliu.accounts.models import Account, AgentStatus, Role
from huiliu.accounts.schemas import AccountPatch
from huiliu.analytics import presence as report_presence
from huiliu.auth.passwords import hash_password
from huiliu.auth.principal import Principal
from huiliu.bus.events import AccountChanged, Event
from huiliu.conversations.models import Conversation, ConversationStatus
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, Forbidden, NotFound
from huiliu.roles import access as roles_access
from huiliu.roles import service as roles_service
from huiliu.routing import actions as routing_actions
from huiliu.routing import passes as routing_passes
from huiliu.routing import service as routing_service

accounts = cast(Table, Account.__table__)
conversations = cast(Table, Conversation.__table__)


async def update_account(
    db: Database, *, principal: Principal, account_id: int, patch: AccountPatch
) -> tuple[list[Event], bool]:
    """An admin changes an account's name, role, password or whether it is active.

    An admin cannot demote or deactivate themself, and the tenant keeps at least one active
    admin (checked under the tenant's routing lock, so two admins demoting each other at
    once cannot both succeed). A deactivated agent's open conversations go back to the
    queue. Returns the events to publish and whether work went back to the queue (the
    caller then kicks the router)."""
    # argon2 is slow on purpose: hash before the transaction, not while holding the lock.
    password_hash = hash_password(patch.password) if patch.password is not None else None
    events: list[Event] = []
    async with db.write_connection() as conn:
        await routing_passes.lock_tenant(conn, principal.tenant_id)
        row = (
            await conn.execute(
                select(accounts)
                .where(accounts.c.id == account_id, accounts.c.tenant_id == principal.tenant_id)
                .with_for_update()
            )
        ).first()
        if row is None:
            raise NotFound("account not found")
        member_of = await routing_service.group_ids_of(conn, account_id=account_id)
        if not roles_access.can_manage_account(
            principal, role=Role(row.role), group_ids=member_of, account_id=account_id
        ):
            raise Forbidden("this account is outside the groups your role manages")
        role, role_id = Role(row.role), row.role_id
        if patch.role is not None or patch.role_id is not None:
            role, role_id, permissions, scope = await roles_service.resolve(
                conn, tenant_id=principal.tenant_id, role=patch.role, role_id=patch.role_id
            )
            changes = (role, role_id) != (Role(row.role), row.role_id)
            if changes and account_id == principal.id and not principal.tenant_wide:
                raise Forbidden(
                    "your role's scope is some groups: another manager changes your role",
                    field="role_id" if patch.role_id is not None else "role",
                )
            if changes and not roles_access.can_grant(
                principal, base=role, permissions=permissions, scope=scope
            ):
                raise Forbidden(
                    "you cannot give a role with rights your own role does not hold",
                    field="role_id" if patch.role_id is not None else "role",
                )
        centre_id = row.centre_id
        if "centre_id" in patch.model_fields_set and patch.centre_id != row.centre_id:
            if not roles_access.can_move(principal):
                raise Forbidden(
                    "moving someone to another centre needs a role over the whole merchant",
                    field="centre_id",
                )
            centre_id = patch.centre_id
            if centre_id is not None:
                await routing_service.check_centre(
                    conn, tenant_id=principal.tenant_id, centre_id=centre_id
                )
        active = patch.active if patch.active is not None else bool(row.active)
        was_admin = row.role == Role.admin.value and row.active
        if was_admin and not (role is Role.admin and active):
            if account_id == principal.id:
                raise Conflict(
                    "you cannot demote or deactivate your own account; another admin can",
                    field="role" if patch.role is not None else "active",
                )
            admins = await conn.scalar(
                select(func.count())
                .select_from(accounts)
                .where(
                    accounts.c.tenant_id == principal.tenant_id,
                    accounts.c.role == Role.admin.value,
                    accounts.c.active.is_(True),
                )
            )
            if int(admins or 0) <= 1:
                raise Conflict("the merchant's last active admin cannot be demoted or deactivated")
        values: dict[str, Any] = {
            "role": role.value,
            "role_id": role_id,
            "centre_id": centre_id,
            "active": active,
        }
        if patch.name is not None:
            values["name"] = patch.name
        if password_hash is not None:
            values["password_hash"] = password_hash
        deactivated = bool(row.active) and not active
        if deactivated:
            values["status"] = AgentStatus.offline.value
        await conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))
        if deactivated:
            now = utcnow()
            if row.status != AgentStatus.offline.value:
                await report_presence.status_changed(
                    conn,
                    tenant_id=principal.tenant_id,
                    agent_id=account_id,
                    status=AgentStatus.offline.value,
                    at=now,
                )
            served = await conn.execute(
                select(conversations)
                .where(
                    conversations.c.tenant_id == principal.tenant_id,
                    conversations.c.status == ConversationStatus.open.value,
                    conversations.c.assignee_id == account_id,
                )
                .order_by(conversations.c.id)
                .with_for_update()
            )
            for conv in served.all():
                events += await routing_actions.return_to_queue(
                    conn, conv, reason="the agent was deactivated", now=now
                )
        if not active and row.active:
            events.append(
                AccountChanged(
                    tenant_id=principal.tenant_id,
                    account_id=account_id,
                    role=role.value,
                    active=False,
                    permissions=[],
                    group_ids=[],
                )
            )
        elif (role.value, role_id, centre_id) != (row.role, row.role_id, row.centre_id):
            events += await roles_service.changed(
                conn, tenant_id=principal.tenant_id, account_ids=[account_id]
            )
    return events, deactivated
