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
from huiliu.errors import Conflict, NotFound
from huiliu.routing import actions as routing_actions
from huiliu.routing import passes as routing_passes

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
        role = patch.role if patch.role is not None else Role(row.role)
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
        values: dict[str, Any] = {"role": role.value, "active": active}
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
        if role.value != row.role or active != bool(row.active):
            events.append(
                AccountChanged(
                    tenant_id=principal.tenant_id,
                    account_id=account_id,
                    role=role.value,
                    active=active,
                )
            )
    return events, deactivated
