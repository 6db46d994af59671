from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account, AgentStatus, Role
from huiliu.accounts.schemas import AccountOut, AccountView
from huiliu.auth.passwords import hash_password
from huiliu.conversations import service as conversations_service
from huiliu.db.base import scoped
from huiliu.errors import Conflict, NotFound
from huiliu.routing import service as groups_service
from huiliu.tenants import service as tenants_service


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def create(
    session: AsyncSession, *, tenant_id: int, email: str, name: str, role: Role, password: str
) -> Account:
    email = normalize_email(email)
    if await get_by_email(session, email=email) is not None:
        raise Conflict(f"an account with e-mail {email} exists", field="email")
    account = Account(
        tenant_id=tenant_id,
        email=email,
        name=name,
        role=role,
        password_hash=hash_password(password),
        status=AgentStatus.offline,
    )
    session.add(account)
    await session.flush()
    return account


async def get(session: AsyncSession, *, tenant_id: int, account_id: int) -> Account:
    stmt = scoped(select(Account), Account, tenant_id).where(Account.id == account_id)
    account = (await session.scalars(stmt)).first()
    if account is None:
        raise NotFound("account not found")
    return account


async def get_by_email(session: AsyncSession, *, email: str) -> Account | None:
    stmt = select(Account).where(Account.email == normalize_email(email))
    return (await session.scalars(stmt)).first()


async def list_accounts(session: AsyncSession, *, tenant_id: int) -> list[Account]:
    stmt = scoped(select(Account), Account, tenant_id).order_by(Account.id)
    return list(await session.scalars(stmt))


async def count(session: AsyncSession, *, tenant_id: int) -> int:
    stmt = scoped(select(func.count()).select_from(Account), Account, tenant_id)
    return int((await session.execute(stmt)).scalar_one())


async def views(
    session: AsyncSession, *, tenant_id: int, accounts: list[Account]
) -> list[AccountView]:
    """``accounts`` (of one tenant) with their load, effective capacity and groups."""
    loads = await conversations_service.loads(session, tenant_id=tenant_id)
    groups = await groups_service.group_ids_by_account(session, tenant_id=tenant_id)
    default = (await tenants_service.get(session, tenant_id=tenant_id)).default_capacity
    return [
        AccountView(
            **AccountOut.model_validate(a).model_dump(),
            load=loads.get(a.id, 0),
            effective_capacity=a.capacity if a.capacity is not None else default,
            group_ids=groups.get(a.id, []),
        )
        for a in accounts
    ]


async def view(session: AsyncSession, *, tenant_id: int, account_id: int) -> AccountView:
    account = await get(session, tenant_id=tenant_id, account_id=account_id)
    return (await views(session, tenant_id=tenant_id, accounts=[account]))[0]
