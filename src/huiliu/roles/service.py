"""Reading roles, and what an account may do: its principal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.accounts.models import Account, Role
from huiliu.auth.principal import Principal
from huiliu.bus.events import AccountChanged
from huiliu.errors import InvalidInput, NotFound
from huiliu.roles.models import RoleDef
from huiliu.roles.permissions import ALL, BUILTIN, BUILTIN_NAMES, Permission, Scope, parse
from huiliu.routing.models import Group, GroupMember

Executor = AsyncSession | AsyncConnection
roles = cast(Table, RoleDef.__table__)
accounts = cast(Table, Account.__table__)


def create_builtins(session: AsyncSession, *, tenant_id: int) -> None:
    """A new merchant's three built-in roles."""
    for base, (permissions, scope) in BUILTIN.items():
        session.add(
            RoleDef(
                tenant_id=tenant_id,
                name=BUILTIN_NAMES[base],
                base=base,
                builtin=True,
                permissions=sorted(p.value for p in permissions),
                scope=scope,
            )
        )


async def list_roles(session: AsyncSession, *, tenant_id: int) -> Sequence[RoleDef]:
    rows = await session.scalars(
        select(RoleDef)
        .where(RoleDef.tenant_id == tenant_id)
        .order_by(RoleDef.builtin.desc(), RoleDef.id)
    )
    return rows.all()


async def get(session: AsyncSession, *, tenant_id: int, role_id: int) -> RoleDef:
    row = await session.get(RoleDef, role_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("role not found")
    return row


async def holders(session: AsyncSession, *, tenant_id: int) -> dict[int, int]:
    """Accounts per role id (an account without a role id counts for its built-in one)."""
    builtins = {r.base: r.id for r in await list_roles(session, tenant_id=tenant_id) if r.builtin}
    rows = await session.execute(
        select(Account.role_id, Account.role, func.count())
        .where(Account.tenant_id == tenant_id)
        .group_by(Account.role_id, Account.role)
    )
    counts: dict[int, int] = {}
    for role_id, role, n in rows.all():
        key = role_id if role_id is not None else builtins.get(Role(role))
        if key is not None:
            counts[key] = counts.get(key, 0) + int(n)
    return counts


class Seat(Protocol):
    """What decides an account's rights: an ``Account`` or a row of the accounts table."""

    @property
    def id(self) -> int: ...
    @property
    def tenant_id(self) -> int: ...
    @property
    def role(self) -> Any: ...
    @property
    def role_id(self) -> int | None: ...
    @property
    def centre_id(self) -> int | None: ...


async def effective(
    executor: Executor, *, account: Seat
) -> tuple[Any | None, frozenset[Permission], Scope]:
    """The role row an account holds, and its permissions and scope. Admins hold
    everything over the whole tenant whatever is stored; a merchant without stored
    built-in roles gets their defaults."""
    base = Role(account.role)
    row = None
    if account.role_id is not None:
        row = (
            await executor.execute(
                select(roles).where(
                    roles.c.id == account.role_id, roles.c.tenant_id == account.tenant_id
                )
            )
        ).first()
    if row is None:
        row = (
            await executor.execute(
                select(roles).where(
                    roles.c.tenant_id == account.tenant_id,
                    roles.c.builtin.is_(True),
                    roles.c.base == base.value,
                )
            )
        ).first()
    if base is Role.admin:
        return row, ALL, Scope.tenant
    if row is None:
        permissions, scope = BUILTIN[base]
        return None, permissions, scope
    return row, parse(row.permissions), Scope(row.scope)


async def scope_groups(executor: Executor, *, account: Seat, scope: Scope) -> frozenset[int] | None:
    """The group ids a scope covers for this account (None: all of the tenant's)."""
    if scope is Scope.tenant:
        return None
    member_of = select(GroupMember.group_id).where(GroupMember.account_id == account.id)
    query = select(Group.id).where(Group.tenant_id == account.tenant_id)
    if scope is Scope.centre and account.centre_id is not None:
        query = query.where(or_(Group.id.in_(member_of), Group.centre_id == account.centre_id))
    else:
        query = query.where(Group.id.in_(member_of))
    return frozenset((await executor.execute(query)).scalars().all())


async def principal_of(executor: Executor, *, account: Seat) -> Principal:
    _, permissions, scope = await effective(executor, account=account)
    return Principal(
        kind="account",
        tenant_id=account.tenant_id,
        id=account.id,
        role=Role(account.role),
        permissions=permissions,
        group_ids=await scope_groups(executor, account=account, scope=scope),
    )


async def changed(
    executor: Executor, *, tenant_id: int, account_ids: Iterable[int] | None = None
) -> list[AccountChanged]:
    """``AccountChanged`` for the active accounts named (None: every active account of the
    tenant) with their rights as they stand now, for the gateway's open sockets."""
    query = select(accounts).where(accounts.c.tenant_id == tenant_id, accounts.c.active.is_(True))
    if account_ids is not None:
        query = query.where(accounts.c.id.in_(sorted(set(account_ids))))
    events = []
    for row in (await executor.execute(query.order_by(accounts.c.id))).all():
        p = await principal_of(executor, account=row)
        events.append(
            AccountChanged(
                tenant_id=tenant_id,
                account_id=row.id,
                role=row.role,
                active=True,
                permissions=sorted(p.permissions),
                group_ids=None if p.group_ids is None else sorted(p.group_ids),
            )
        )
    return events


async def resolve(
    executor: Executor, *, tenant_id: int, role: Role | None, role_id: int | None
) -> tuple[Role, int | None, frozenset[Permission], Scope]:
    """What an account given ``role`` or ``role_id`` would hold: its base, the role id to
    store (None for a built-in role), and the role's permissions and scope."""
    if role_id is None:
        base = role or Role.agent
        seat = _Seat(id=0, tenant_id=tenant_id, role=base, role_id=None, centre_id=None)
        _, permissions, scope = await effective(executor, account=seat)
        return base, None, permissions, scope
    row = (
        await executor.execute(
            select(roles).where(roles.c.id == role_id, roles.c.tenant_id == tenant_id)
        )
    ).first()
    if row is None:
        raise InvalidInput("no such role", field="role_id")
    base = Role(row.base)
    if role is not None and role is not base:
        raise InvalidInput(
            f"role {role.value!r} does not match the role's kind {base.value!r}; send one of them",
            field="role",
        )
    permissions = ALL if base is Role.admin else parse(row.permissions)
    scope = Scope.tenant if base is Role.admin else Scope(row.scope)
    return base, None if row.builtin else row.id, permissions, scope


@dataclass(frozen=True, slots=True)
class _Seat:
    id: int
    tenant_id: int
    role: Any
    role_id: int | None
    centre_id: int | None
