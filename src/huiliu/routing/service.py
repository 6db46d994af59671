"""Skill groups, their members, and the service centres holding them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from huiliu.accounts.models import Account
from huiliu.db.base import scoped, utcnow
from huiliu.errors import Conflict, InvalidInput, NotFound
from huiliu.routing.hours import WorkingHours
from huiliu.routing.models import Centre, Group, GroupMember
from huiliu.routing.schemas import CentreOut, GroupIn, GroupOut, GroupPatch


async def get(session: AsyncSession, *, tenant_id: int, group_id: int) -> Group:
    group = (
        await session.scalars(scoped(select(Group), Group, tenant_id).where(Group.id == group_id))
    ).first()
    if group is None:
        raise NotFound("group not found", field="group_id")
    return group


async def list_groups(session: AsyncSession, *, tenant_id: int) -> list[Group]:
    return list(await session.scalars(scoped(select(Group), Group, tenant_id).order_by(Group.id)))


async def member_ids(session: AsyncSession, *, tenant_id: int, group_id: int) -> list[int]:
    stmt = scoped(select(GroupMember.account_id), GroupMember, tenant_id).where(
        GroupMember.group_id == group_id
    )
    return sorted(await session.scalars(stmt))


async def group_ids_by_account(session: AsyncSession, *, tenant_id: int) -> dict[int, list[int]]:
    """Each account's skill groups."""
    stmt = scoped(select(GroupMember.account_id, GroupMember.group_id), GroupMember, tenant_id)
    by_account: dict[int, list[int]] = {}
    for account_id, group_id in (await session.execute(stmt)).all():
        by_account.setdefault(account_id, []).append(group_id)
    return {a: sorted(g) for a, g in by_account.items()}


async def group_ids_of(executor: AsyncSession | AsyncConnection, *, account_id: int) -> list[int]:
    """The groups an account is a member of."""
    rows = await executor.execute(
        select(GroupMember.group_id).where(GroupMember.account_id == account_id)
    )
    return sorted(rows.scalars().all())


async def out(session: AsyncSession, group: Group) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        centre_id=group.centre_id,
        strategy=group.strategy,
        last_agent_days=group.last_agent_days,
        is_default=group.is_default,
        channels=list(group.channels or []),
        member_ids=await member_ids(session, tenant_id=group.tenant_id, group_id=group.id),
        working_hours=hours_of(group),
        open_now=is_open(group, utcnow()),
        created_at=group.created_at,
    )


def hours_of(group: Group) -> WorkingHours | None:
    return WorkingHours.model_validate(group.working_hours) if group.working_hours else None


def is_open(group: Group, at: datetime) -> bool:
    hours = hours_of(group)
    return hours is None or hours.is_open(at)


async def check_centre(
    executor: AsyncSession | AsyncConnection, *, tenant_id: int, centre_id: int
) -> None:
    found = await executor.scalar(
        select(Centre.id).where(Centre.id == centre_id, Centre.tenant_id == tenant_id)
    )
    if found is None:
        raise InvalidInput("no such centre", field="centre_id")


# -- centres --------------------------------------------------------------------------------


async def list_centres(session: AsyncSession, *, tenant_id: int) -> list[CentreOut]:
    centres = (
        await session.scalars(scoped(select(Centre), Centre, tenant_id).order_by(Centre.id))
    ).all()
    groups: dict[int | None, list[int]] = {}
    for gid, cid in (
        await session.execute(
            select(Group.id, Group.centre_id).where(
                Group.tenant_id == tenant_id, Group.centre_id.is_not(None)
            )
        )
    ).all():
        groups.setdefault(cid, []).append(gid)
    people: dict[int | None, list[int]] = {}
    for aid, cid in (
        await session.execute(
            select(Account.id, Account.centre_id).where(
                Account.tenant_id == tenant_id, Account.centre_id.is_not(None)
            )
        )
    ).all():
        people.setdefault(cid, []).append(aid)
    return [
        CentreOut(
            id=c.id,
            name=c.name,
            group_ids=sorted(groups.get(c.id, [])),
            account_ids=sorted(people.get(c.id, [])),
            created_at=c.created_at,
        )
        for c in centres
    ]


async def get_centre(session: AsyncSession, *, tenant_id: int, centre_id: int) -> Centre:
    centre = (
        await session.scalars(
            scoped(select(Centre), Centre, tenant_id).where(Centre.id == centre_id)
        )
    ).first()
    if centre is None:
        raise NotFound("centre not found")
    return centre


async def save_centre(
    session: AsyncSession, *, tenant_id: int, name: str, centre_id: int | None = None
) -> Centre:
    """A new centre, or a renamed one."""
    if centre_id is None:
        centre = Centre(tenant_id=tenant_id, name=name)
        session.add(centre)
    else:
        centre = await get_centre(session, tenant_id=tenant_id, centre_id=centre_id)
        centre.name = name
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a centre named {name!r} exists", field="name") from None
    return centre


async def delete_centre(session: AsyncSession, *, tenant_id: int, centre_id: int) -> None:
    """Only an empty centre goes: its groups and people move elsewhere first."""
    centre = await get_centre(session, tenant_id=tenant_id, centre_id=centre_id)
    [out] = [c for c in await list_centres(session, tenant_id=tenant_id) if c.id == centre.id]
    if out.group_ids or out.account_ids:
        raise Conflict(
            f"the centre still holds {len(out.group_ids)} group(s) and "
            f"{len(out.account_ids)} account(s); move them to another centre first",
            code="centre_not_empty",
        )
    await session.delete(centre)


async def _check_accounts(session: AsyncSession, tenant_id: int, ids: list[int]) -> None:
    wanted = set(ids)
    found = set(
        await session.scalars(
            scoped(select(Account.id), Account, tenant_id).where(Account.id.in_(wanted))
        )
    )
    missing = sorted(wanted - found)
    if missing:
        raise InvalidInput(f"no such account: {', '.join(map(str, missing))}", field="member_ids")


async def _set_members(session: AsyncSession, group: Group, ids: list[int]) -> None:
    await _check_accounts(session, group.tenant_id, ids)
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
    for account_id in sorted(set(ids)):
        session.add(
            GroupMember(tenant_id=group.tenant_id, group_id=group.id, account_id=account_id)
        )
    await session.flush()


async def _only_default(session: AsyncSession, group: Group) -> None:
    await session.execute(
        update(Group)
        .where(Group.tenant_id == group.tenant_id, Group.id != group.id)
        .values(is_default=False)
    )


async def create(session: AsyncSession, *, tenant_id: int, data: GroupIn) -> Group:
    if data.centre_id is not None:
        await check_centre(session, tenant_id=tenant_id, centre_id=data.centre_id)
    group = Group(
        tenant_id=tenant_id,
        name=data.name,
        centre_id=data.centre_id,
        strategy=data.strategy,
        last_agent_days=data.last_agent_days,
        is_default=data.is_default,
        channels=list(data.channels),
        working_hours=data.working_hours.model_dump(mode="json") if data.working_hours else None,
    )
    try:
        async with session.begin_nested():
            session.add(group)
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a group named {data.name!r} exists", field="name") from None
    if data.is_default:
        await _only_default(session, group)
    await _set_members(session, group, data.member_ids)
    return group


async def update_group(
    session: AsyncSession, *, tenant_id: int, group_id: int, data: GroupPatch
) -> Group:
    group = await get(session, tenant_id=tenant_id, group_id=group_id)
    for field in ("name", "strategy", "last_agent_days", "is_default"):
        value = getattr(data, field)
        if value is not None:
            setattr(group, field, value)
    if "centre_id" in data.model_fields_set:
        if data.centre_id is not None:
            await check_centre(session, tenant_id=tenant_id, centre_id=data.centre_id)
        group.centre_id = data.centre_id
    if data.channels is not None:
        group.channels = list(data.channels)
    if data.working_hours is not None:
        group.working_hours = data.working_hours.model_dump(mode="json")
    if data.always_open:
        group.working_hours = None
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a group named {data.name!r} exists", field="name") from None
    if data.is_default:
        await _only_default(session, group)
    if data.member_ids is not None:
        await _set_members(session, group, data.member_ids)
    return group
