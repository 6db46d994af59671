"""A CTI event into the customer's history: log it once, move the call's state machine,
write the call records through the message writer, then act on the conversation (the agent
who answered serves it; a missed call waits in the queue as a call-back; an answered call
that ended closes it).

Order, so that a crash anywhere is mended by the PBX's retry: the event is logged
(``received``) first; the records are written with ``client_msg_id``s made from the event
log's id (a retry writes nothing twice); the call's new state and the event's ``stored``
are committed together last, so a retry of a half-done event recomputes the same step from
the unchanged call. Events of one call are handled one at a time in a process (PBXs send a
call's events over one connection; several processes may interleave them — see the doc).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.channels import service as channels_service
from huiliu.channels.models import ChannelAccount, Direction, EventStatus
from huiliu.channels.phone import service
from huiliu.channels.phone.adapter import CHANNEL, PHONE_IDENTITY, PhoneConfig
from huiliu.channels.phone.numbers import e164
from huiliu.channels.phone.schemas import CallEventIn
from huiliu.channels.phone.states import CallEventFacts, advance
from huiliu.contacts import service as contacts_service
from huiliu.conversations import actions as conversations_actions
from huiliu.conversations.content import check_content
from huiliu.conversations.models import Conversation
from huiliu.conversations.schemas import Ack
from huiliu.conversations.writer import SendRequest
from huiliu.errors import AppError, Conflict, NotFound
from huiliu.routing import actions as routing_actions

if TYPE_CHECKING:  # the runtime imports the adapters (and the listener, which imports this)
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)
conversations = cast(Table, Conversation.__table__)

# A caller without a dialable number (anonymous, withheld): a contact of their own per call.
ANONYMOUS_IDENTITY = "phone-call"
CLOSE_REASON = "通话结束"


@dataclass(frozen=True, slots=True)
class Handled:
    status: Literal["stored", "duplicate", "ignored", "rejected"]
    state: str | None = None
    conversation_id: int | None = None
    error: str | None = None


class _CallLocks:
    """One lock per call while events of it are being handled; gone when idle."""

    def __init__(self) -> None:
        self._locks: dict[tuple[int, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: tuple[int, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


_locks = _CallLocks()


async def handle(
    runtime: Runtime, account: ChannelAccount, event: CallEventIn, raw: str
) -> Handled:
    """Apply one CTI event of ``account``; safe to call again for a resent event."""
    config = PhoneConfig.model_validate(account.config)
    async with _locks.hold((account.id, event.call_id)):
        return await _handle(runtime, account, config, event, raw)


async def _handle(
    runtime: Runtime, account: ChannelAccount, config: PhoneConfig, event: CallEventIn, raw: str
) -> Handled:
    tenant_id = account.tenant_id
    async with runtime.db.write() as session:
        logged = await channels_service.record_inbound(
            session, account=account, external_id=event.id, raw=raw
        )
        if logged is None:
            prior = await channels_service.find_event(
                session,
                account_id=account.id,
                direction=Direction.inbound,
                external_id=event.id[:255],
            )
            assert prior is not None  # the unique key said it exists
            if prior.status is not EventStatus.received:
                call = await service.get_by_call_id(
                    session, account_id=account.id, call_id=event.call_id
                )
                return Handled(
                    "duplicate",
                    call.state.value if call is not None else None,
                    prior.conversation_id,
                    prior.error,
                )
            logged = prior  # logged but not finished (a crash in between): finish it now
        event_id = logged.id
        call = await service.get_by_call_id(session, account_id=account.id, call_id=event.call_id)
        if call is not None:
            contact_id, conversation_id = call.contact_id, call.conversation_id
            known = await service.facts_of(session, call)
        else:
            contact_id, conversation_id, known = (
                await _caller(session, account, config, event),
                None,
                None,
            )
        agent = await service.find_agent(
            session, tenant_id=tenant_id, config=config, ref=event.agent
        )
    if event.agent is not None and agent is None:
        log.info("phone account %d: no agent matches %s", account.id, event.agent)
    step = advance(
        known,
        CallEventFacts(
            call_id=event.call_id,
            event=event.event,
            at=event.at,
            direction=event.direction,
            caller=event.caller,
            callee=event.callee,
            agent=agent,
            ivr_keys=event.ivr_keys,
            recording_url=str(event.recording_url) if event.recording_url else None,
            queue=event.queue,
            duration_s=event.duration_s,
        ),
    )
    principal = Principal(kind="visitor", tenant_id=tenant_id, id=contact_id)
    message_id = None
    try:
        for n, record in enumerate(step.records):
            content = check_content(
                record,
                max_text_length=runtime.settings.max_text_length,
                max_card_bytes=runtime.settings.max_card_bytes,
                allow_event=True,  # a call record: built here from checked fields
            )
            ack = await _write(
                runtime, account, principal, content, conversation_id, f"phone:{event_id}:{n}"
            )
            conversation_id, message_id = ack.conversation_id, ack.message_id
    except AppError as exc:
        log.info("phone account %d refused event %s: %s", account.id, event.id, exc)
        async with runtime.db.write() as session:
            await channels_service.finish_event(
                session, event_id=event_id, status=EventStatus.rejected, error=exc.detail
            )
        return Handled("rejected", error=exc.detail)
    async with runtime.db.write() as session:
        await service.save(
            session,
            account=account,
            contact_id=contact_id,
            conversation_id=conversation_id,
            facts=step.facts,
        )
        await channels_service.finish_event(
            session,
            event_id=event_id,
            status=EventStatus.stored if step.records else EventStatus.ignored,
            message_id=message_id,
            conversation_id=conversation_id,
        )
    if conversation_id is not None:
        await _act(
            runtime,
            config,
            principal,
            conversation_id,
            step.assign_to,
            step.call_back,
            step.finished,
        )
    return Handled("stored" if step.records else "ignored", step.facts.state.value, conversation_id)


async def _caller(
    session: AsyncSession, account: ChannelAccount, config: PhoneConfig, event: CallEventIn
) -> int:
    """The contact behind the customer's number: the caller of an inbound call, the one
    called on an outbound one."""
    customer = event.caller if event.direction == "inbound" else event.callee
    number = e164(customer, country_code=config.country_code)
    if number is None:
        channel, external = ANONYMOUS_IDENTITY, f"{account.id}:{event.call_id}"
    else:
        channel, external = PHONE_IDENTITY, number
    contact = await contacts_service.resolve_channel_identity(
        session,
        tenant_id=account.tenant_id,
        channel=channel,
        external_id=external,
        profile={"phone": number},
    )
    return contact.id


async def _write(
    runtime: Runtime,
    account: ChannelAccount,
    principal: Principal,
    content: dict[str, object],
    conversation_id: int | None,
    client_msg_id: str,
) -> Ack:
    """A call record into the call's conversation; when that one closed meanwhile, into the
    customer's open phone conversation (or a new one)."""

    def request(cid: int | None) -> SendRequest:
        return SendRequest(
            principal=principal,
            content=dict(content),
            conversation_id=cid,
            client_msg_id=client_msg_id,
            channel=CHANNEL,
            channel_account_id=account.id,
            automated=True,  # the bot neither greets nor answers a PBX
        )

    if conversation_id is not None:
        try:
            return await runtime.writer.send(request(conversation_id))
        except Conflict as exc:
            if exc.code != "conversation_closed":
                raise
    return await runtime.writer.send(request(None))


async def _act(
    runtime: Runtime,
    config: PhoneConfig,
    principal: Principal,
    conversation_id: int,
    assign_to: int | None,
    call_back: bool,
    finished: bool,
) -> None:
    """What the call's step means for its conversation; a conversation an agent already
    moved (closed, transferred) is left as they left it."""
    tenant_id = principal.tenant_id
    try:
        if assign_to is not None:
            await runtime.bus.publish(
                await routing_actions.assign_by_system(
                    runtime.db,
                    tenant_id=tenant_id,
                    conversation_id=conversation_id,
                    agent_id=assign_to,
                )
            )
        if call_back and config.group_id is not None:
            events = await routing_actions.enqueue(
                runtime.db,
                principal=principal,
                conversation_id=conversation_id,
                group_id=config.group_id,
            )
            await runtime.bus.publish(events)
        if finished and config.close_when_answered_call_ends:
            async with runtime.db.read() as session:
                busy = await service.calls_in_progress(
                    session, tenant_id=tenant_id, conversation_id=conversation_id
                )
            if not busy:
                await conversations_actions.close(
                    runtime.db,
                    runtime.bus,
                    principal=principal,
                    conversation_id=conversation_id,
                    reason=CLOSE_REASON,
                )
    except (Conflict, NotFound) as exc:
        log.info("phone: conversation %d left as it is: %s", conversation_id, exc)
    runtime.router.kick(tenant_id)
