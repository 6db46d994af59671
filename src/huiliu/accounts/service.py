from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account, AgentStatus, Role
from huiliu.auth.passwords import hash_password
from huiliu.db.base import scoped
from huiliu.errors import Conflict, NotFound


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
