from __future__ import annotations

import time

from fastapi import APIRouter, Response
from sqlalchemy import select

from huiliu.accounts.models import Account
from huiliu.auth.deps import AgentDep, MonitorDep, OrgDep, PrincipalDep, RoutingDep, RuntimeDep
from huiliu.bus.events import AccountChanged
from huiliu.conversations import service as conversations_service
from huiliu.conversations.schemas import ConversationOut
from huiliu.db.base import scoped
from huiliu.errors import Forbidden
from huiliu.roles import service as roles_service
from huiliu.roles.permissions import Permission
from huiliu.routing import actions, engine
from huiliu.routing import service as groups_service
from huiliu.routing.passes import snapshot
from huiliu.routing.schemas import (
    AgentLoad,
    AssignIn,
    CentreIn,
    CentreOut,
    EnqueueIn,
    GroupIn,
    GroupOut,
    GroupPatch,
    QueueEntry,
    QueueOut,
    TransferIn,
)
from huiliu.routing.settings import RoutingSettings
from huiliu.runtime import Runtime
from huiliu.tenants import service as tenants_service

router = APIRouter(prefix="/api/v1", tags=["routing"])


@router.get("/tenant/routing")
async def get_routing_settings(principal: RoutingDep, runtime: RuntimeDep) -> RoutingSettings:
    async with runtime.db.read() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
    return RoutingSettings.model_validate(tenant.routing or {})


@router.put("/tenant/routing")
async def set_routing_settings(
    body: RoutingSettings, principal: RoutingDep, runtime: RuntimeDep
) -> RoutingSettings:
    """Priority rules, reply timeout, offline policy, presence grace, idle auto-close and the
    longest queue wait before a customer is offered to leave a message."""
    async with runtime.db.write() as session:
        tenant = await tenants_service.get(session, tenant_id=principal.tenant_id)
        tenant.routing = body.model_dump(mode="json")
    runtime.router.kick(principal.tenant_id)
    return body


@router.get("/groups")
async def list_groups(principal: AgentDep, runtime: RuntimeDep) -> list[GroupOut]:
    async with runtime.db.read() as session:
        groups = await groups_service.list_groups(session, tenant_id=principal.tenant_id)
        return [await groups_service.out(session, g) for g in groups]


@router.post("/groups", status_code=201)
async def create_group(body: GroupIn, principal: RoutingDep, runtime: RuntimeDep) -> GroupOut:
    async with runtime.db.write() as session:
        group = await groups_service.create(session, tenant_id=principal.tenant_id, data=body)
        result = await groups_service.out(session, group)
        # Its members, and the people of its centre, now oversee it if their role says so.
        events = await roles_service.changed(session, tenant_id=principal.tenant_id)
    await runtime.bus.publish(list(events))
    runtime.router.kick(principal.tenant_id)
    return result


@router.get("/centres")
async def list_centres(principal: AgentDep, runtime: RuntimeDep) -> list[CentreOut]:
    """The merchant's service centres with their groups and people."""
    async with runtime.db.read() as session:
        return await groups_service.list_centres(session, tenant_id=principal.tenant_id)


@router.post("/centres", status_code=201)
async def create_centre(body: CentreIn, principal: OrgDep, runtime: RuntimeDep) -> CentreOut:
    async with runtime.db.write() as session:
        centre = await groups_service.save_centre(
            session, tenant_id=principal.tenant_id, name=body.name.strip()
        )
        return CentreOut(
            id=centre.id,
            name=centre.name,
            group_ids=[],
            account_ids=[],
            created_at=centre.created_at,
        )


@router.patch("/centres/{centre_id}")
async def rename_centre(
    centre_id: int, body: CentreIn, principal: OrgDep, runtime: RuntimeDep
) -> CentreOut:
    async with runtime.db.write() as session:
        await groups_service.save_centre(
            session, tenant_id=principal.tenant_id, name=body.name.strip(), centre_id=centre_id
        )
        [out] = [
            c
            for c in await groups_service.list_centres(session, tenant_id=principal.tenant_id)
            if c.id == centre_id
        ]
    return out


@router.delete("/centres/{centre_id}", status_code=204)
async def delete_centre(centre_id: int, principal: OrgDep, runtime: RuntimeDep) -> Response:
    """Only an empty centre: 409 ``centre_not_empty`` while groups or people are in it."""
    async with runtime.db.write() as session:
        await groups_service.delete_centre(
            session, tenant_id=principal.tenant_id, centre_id=centre_id
        )
    return Response(status_code=204)


@router.get("/groups/{group_id}")
async def get_group(group_id: int, principal: AgentDep, runtime: RuntimeDep) -> GroupOut:
    async with runtime.db.read() as session:
        group = await groups_service.get(session, tenant_id=principal.tenant_id, group_id=group_id)
        return await groups_service.out(session, group)


@router.patch("/groups/{group_id}")
async def update_group(
    group_id: int, body: GroupPatch, principal: RoutingDep, runtime: RuntimeDep
) -> GroupOut:
    async with runtime.db.write() as session:
        group = await groups_service.update_group(
            session, tenant_id=principal.tenant_id, group_id=group_id, data=body
        )
        result = await groups_service.out(session, group)
        events: list[AccountChanged] = []
        if body.member_ids is not None or "centre_id" in body.model_fields_set:
            events = await roles_service.changed(session, tenant_id=principal.tenant_id)
    await runtime.bus.publish(list(events))
    runtime.router.kick(principal.tenant_id)  # new members or a new strategy may free work
    return result


@router.get("/groups/{group_id}/queue")
async def group_queue(group_id: int, principal: AgentDep, runtime: RuntimeDep) -> QueueOut:
    """The group's waiting conversations in the order they will be served, and its agents
    with their status and load. Supervisors see every group; agents their own."""
    async with runtime.db.read() as session:
        group = await groups_service.get(session, tenant_id=principal.tenant_id, group_id=group_id)
        members = await groups_service.member_ids(
            session, tenant_id=principal.tenant_id, group_id=group.id
        )
        if not principal.may(Permission.monitor, group.id) and principal.id not in members:
            raise Forbidden("you are not a member of this group, nor does your role oversee it")
        snap = await snapshot(await session.connection(), principal.tenant_id)
        names = dict(
            (
                await session.execute(
                    scoped(select(Account.id, Account.name), Account, principal.tenant_id)
                )
            ).all()
        )
        statuses = dict(
            (
                await session.execute(
                    scoped(select(Account.id, Account.status), Account, principal.tenant_id)
                )
            ).all()
        )
    now = time.time()
    mine = [w for w in engine.queue_order(snap.waiting) if w.group_id == group.id]
    entries = [
        QueueEntry(
            conversation_id=w.id,
            contact_id=snap.contacts[w.id],
            position=n,
            priority=w.priority,
            waiting_s=round(now - w.queued_at, 3),
            target_agent_id=w.target_agent_id,
        )
        for n, w in enumerate(mine, start=1)
    ]
    agents = [
        AgentLoad(
            id=a.id,
            name=names.get(a.id, ""),
            status=str(statuses.get(a.id, "offline")),
            load=a.load,
            capacity=a.capacity,
        )
        for a in snap.agents
        if a.id in members
    ]
    return QueueOut(
        group_id=group.id,
        waiting=len(entries),
        longest_wait_s=max((e.waiting_s for e in entries), default=0.0),
        entries=entries,
        agents=agents,
    )


async def _conversation(
    runtime: Runtime, principal_tenant: int, conversation_id: int
) -> ConversationOut:
    async with runtime.db.read() as session:
        return await conversations_service.get_detail(
            session, tenant_id=principal_tenant, conversation_id=conversation_id
        )


@router.post("/conversations/{conversation_id}/transfer")
async def transfer(
    conversation_id: int, body: TransferIn, principal: AgentDep, runtime: RuntimeDep
) -> ConversationOut:
    """Hand the conversation to an agent or a group with a note; it waits in the target's
    queue until the target has room."""
    events = await actions.transfer(
        runtime.db,
        principal=principal,
        conversation_id=conversation_id,
        agent_id=body.agent_id,
        group_id=body.group_id,
        note=body.note,
    )
    await runtime.bus.publish(events)
    await runtime.router.route_now(principal.tenant_id)  # lands at once if the target has room
    return await _conversation(runtime, principal.tenant_id, conversation_id)


@router.post("/conversations/{conversation_id}/queue")
async def enqueue(
    conversation_id: int, body: EnqueueIn, principal: PrincipalDep, runtime: RuntimeDep
) -> ConversationOut:
    """Move a conversation nobody serves yet to a group's queue: the customer picking a
    department from a menu (their own conversation), or an agent sorting the queue."""
    events = await actions.enqueue(
        runtime.db, principal=principal, conversation_id=conversation_id, group_id=body.group_id
    )
    await runtime.bus.publish(events)
    await runtime.router.route_now(principal.tenant_id)
    return await _conversation(runtime, principal.tenant_id, conversation_id)


@router.post("/conversations/{conversation_id}/assign")
async def assign(
    conversation_id: int, body: AssignIn, principal: MonitorDep, runtime: RuntimeDep
) -> ConversationOut:
    """A supervisor assigns a conversation by hand."""
    events = await actions.assign(
        runtime.db, principal=principal, conversation_id=conversation_id, agent_id=body.agent_id
    )
    await runtime.bus.publish(events)
    runtime.router.kick(principal.tenant_id)  # the previous agent may have room now
    return await _conversation(runtime, principal.tenant_id, conversation_id)
