"""Calls and the agents a PBX names: reads and small writes taking a session."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account
from huiliu.channels.models import ChannelAccount
from huiliu.channels.phone.adapter import CHANNEL, PhoneConfig
from huiliu.channels.phone.models import Call, CallState
from huiliu.channels.phone.schemas import AgentRef
from huiliu.channels.phone.states import Agent, Facts
from huiliu.db.base import utcnow


async def get_by_call_id(session: AsyncSession, *, account_id: int, call_id: str) -> Call | None:
    found: Call | None = await session.scalar(
        select(Call).where(Call.channel_account_id == account_id, Call.call_id == call_id)
    )
    return found


async def list_by_conversation(
    session: AsyncSession, *, tenant_id: int, conversation_id: int
) -> list[Call]:
    stmt = (
        select(Call)
        .where(Call.tenant_id == tenant_id, Call.conversation_id == conversation_id)
        .order_by(Call.id)
    )
    return list((await session.scalars(stmt)).all())


async def facts_of(session: AsyncSession, call: Call) -> Facts:
    agent = None
    if call.agent_id is not None:
        name = await session.scalar(select(Account.name).where(Account.id == call.agent_id))
        agent = Agent(call.agent_id, name)
    return Facts(
        call_id=call.call_id,
        direction=cast(Any, call.direction),
        caller=call.caller,
        callee=call.callee,
        state=call.state,
        announced=call.conversation_id is not None,
        ringing_at=call.ringing_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        wait_s=call.wait_s,
        talk_s=call.talk_s,
        ivr_keys=call.ivr_keys,
        recording_url=call.recording_url,
        queue=call.queue,
        agent=agent,
    )


async def save(
    session: AsyncSession,
    *,
    account: ChannelAccount,
    contact_id: int,
    conversation_id: int | None,
    facts: Facts,
) -> Call:
    """Store what is known of the call (a new row for a call not seen before)."""
    call = await get_by_call_id(session, account_id=account.id, call_id=facts.call_id)
    if call is None:
        call = Call(
            tenant_id=account.tenant_id,
            channel_account_id=account.id,
            call_id=facts.call_id,
            contact_id=contact_id,
        )
        try:
            async with session.begin_nested():
                session.add(call)
                _copy(call, facts, conversation_id)
        except IntegrityError:
            # Another process stored the call a moment ago; update theirs.
            found = await get_by_call_id(session, account_id=account.id, call_id=facts.call_id)
            assert found is not None
            call = found
    _copy(call, facts, conversation_id)
    await session.flush()
    return call


def _copy(call: Call, facts: Facts, conversation_id: int | None) -> None:
    call.conversation_id = conversation_id if conversation_id is not None else call.conversation_id
    call.direction = facts.direction
    call.caller = facts.caller[:64]
    call.callee = facts.callee[:64]
    call.state = facts.state
    call.ringing_at = facts.ringing_at
    call.answered_at = facts.answered_at
    call.ended_at = facts.ended_at
    call.wait_s = facts.wait_s
    call.talk_s = facts.talk_s
    call.ivr_keys = facts.ivr_keys
    call.recording_url = facts.recording_url
    call.queue = facts.queue
    call.agent_id = facts.agent.id if facts.agent else None
    call.updated_at = utcnow()


async def calls_in_progress(session: AsyncSession, *, tenant_id: int, conversation_id: int) -> int:
    """How many of the conversation's calls have not ended yet."""
    count = await session.scalar(
        select(func.count(Call.id)).where(
            Call.tenant_id == tenant_id,
            Call.conversation_id == conversation_id,
            Call.state.not_in([CallState.ended, CallState.missed]),
        )
    )
    return int(count or 0)


async def find_agent(
    session: AsyncSession, *, tenant_id: int, config: PhoneConfig, ref: AgentRef | None
) -> Agent | None:
    """The active Huiliu account the PBX names (by id, extension mapping or e-mail); None
    when it names nobody this merchant has (the call is recorded without an agent)."""
    if ref is None:
        return None
    where: list[Any] = [Account.tenant_id == tenant_id, Account.active.is_(True)]
    if ref.id is not None:
        where.append(Account.id == ref.id)
    else:
        email = ref.email or config.extensions.get(ref.extension or "")
        if not email:
            return None
        where.append(func.lower(Account.email) == email.strip().lower())
    row = (await session.execute(select(Account.id, Account.name).where(*where))).first()
    return Agent(int(row.id), row.name) if row is not None else None


async def list_connected_accounts(session: AsyncSession) -> list[ChannelAccount]:
    """Every active phone account whose settings name a FreeSWITCH to connect to."""
    rows = await session.scalars(
        select(ChannelAccount)
        .where(ChannelAccount.type == CHANNEL, ChannelAccount.active.is_(True))
        .order_by(ChannelAccount.id)
    )
    return [a for a in rows.all() if (a.config or {}).get("freeswitch")]
