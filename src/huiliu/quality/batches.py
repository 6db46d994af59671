"""Drawing samples: the preview, and a batch (a review queue) drawn and stored under the
tenant's row lock; renaming, reassigning and deleting batches."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.accounts.models import Account
from huiliu.auth.principal import Principal
from huiliu.db import Database
from huiliu.db.base import scoped, utcnow
from huiliu.errors import Conflict, Forbidden, InvalidInput
from huiliu.quality import sampling, service
from huiliu.quality.models import (
    QualityBatch,
    QualityBatchItem,
    QualityChecklist,
    QualityReview,
    QualityReviewChange,
    ReviewStatus,
    SampleMode,
)
from huiliu.quality.schemas import (
    BatchDetail,
    BatchIn,
    BatchPatch,
    SampledOut,
    SampleIn,
    SampleOut,
)
from huiliu.roles import service as roles_service
from huiliu.roles.permissions import Permission
from huiliu.routing.models import Group

MAX_SPAN = timedelta(days=366)
MAX_BATCH = 500
MAX_PER_AGENT = 50
MODE_NAMES = {
    SampleMode.random: "随机抽样",
    SampleMode.low_score: "低满意度",
    SampleMode.long: "长会话",
    SampleMode.by_agent: "按客服抽样",
}


# --- samples and batches -------------------------------------------------------------------


def _period(data: SampleIn, now: datetime) -> tuple[datetime, datetime]:
    if data.since >= now:
        raise InvalidInput("since: the period has not begun yet", field="since")
    until = min(data.until or now, now)
    if data.until is not None and data.until <= data.since:
        raise InvalidInput("until: must be after since", field="until")
    if until - data.since > MAX_SPAN:
        raise InvalidInput("until: a sample spans at most 366 days", field="until")
    if data.mode is SampleMode.by_agent and data.n > MAX_PER_AGENT:
        raise InvalidInput(f"n: at most {MAX_PER_AGENT} per agent", field="n")
    return data.since, until


async def _check_filters(session: AsyncSession, tenant_id: int, data: SampleIn) -> None:
    if data.group_id is not None:
        group = await session.get(Group, data.group_id)
        if group is None or group.tenant_id != tenant_id:
            raise InvalidInput("group_id: no such group", field="group_id")
    if data.agent_id is not None:
        account = await session.get(Account, data.agent_id)
        if account is None or account.tenant_id != tenant_id:
            raise InvalidInput("agent_id: no such agent", field="agent_id")


async def _draw(
    session: AsyncSession, principal: Principal, data: SampleIn, now: datetime
) -> tuple[int, int, list[sampling.Candidate]]:
    tenant_id = principal.tenant_id
    since, until = _period(data, now)
    await _check_filters(session, tenant_id, data)
    if data.group_id is not None and not principal.sees_group(data.group_id):
        raise Forbidden("that group is outside your role's scope", field="group_id")
    pool = await sampling.candidates(
        session,
        tenant_id=tenant_id,
        since=since,
        until=until,
        channel=data.channel,
        group_id=data.group_id,
        agent_id=data.agent_id,
        scope=principal.group_ids,
    )
    seed = data.seed if data.seed is not None else secrets.randbelow(2**31)
    picked = sampling.pick(pool, mode=data.mode, n=data.n, seed=seed, long_by=data.long_by)
    return seed, len(pool), picked


def _sampled(c: sampling.Candidate) -> SampledOut:
    return SampledOut(
        conversation_id=c.conversation_id,
        agent_id=c.agent_id,
        group_id=c.group_id,
        channel=c.channel,
        closed_at=c.closed_at,
        rating_score=c.rating_score,
        rating_scale=c.rating_scale,
        handling_s=c.handling_s,
        messages=c.messages,
    )


async def preview(
    db: Database, *, principal: Principal, data: SampleIn, now: datetime | None = None
) -> SampleOut:
    """What a batch with this request would hold now, storing nothing."""
    async with db.read() as session:
        seed, size, picked = await _draw(session, principal, data, now or utcnow())
    return SampleOut(seed=seed, candidates=size, conversations=[_sampled(c) for c in picked])


async def _check_reviewer(session: AsyncSession, tenant_id: int, account_id: int) -> None:
    account = await session.get(Account, account_id)
    if account is None or account.tenant_id != tenant_id:
        raise InvalidInput("assignee_id: no such account", field="assignee_id")
    if not account.active:
        raise InvalidInput("assignee_id: the account is deactivated", field="assignee_id")
    if not (await roles_service.principal_of(session, account=account)).can(Permission.quality):
        raise InvalidInput(
            "assignee_id: the account's role does not hold quality.review", field="assignee_id"
        )


async def _batch_checklist(
    session: AsyncSession, tenant_id: int, checklist_id: int | None
) -> QualityChecklist:
    if checklist_id is None:
        found = await service.default_checklist(session, tenant_id=tenant_id)
        if found is None:
            raise InvalidInput(
                "checklist_id: the tenant has no checklist yet: create one first",
                field="checklist_id",
            )
        return found
    row = (
        await session.scalars(
            scoped(select(QualityChecklist), QualityChecklist, tenant_id).where(
                QualityChecklist.id == checklist_id, QualityChecklist.archived.is_(False)
            )
        )
    ).first()
    if row is None:
        raise InvalidInput("checklist_id: no such checklist", field="checklist_id")
    return row


async def create_batch(
    db: Database, *, principal: Principal, data: BatchIn, now: datetime | None = None
) -> BatchDetail:
    """Draw the sample and store it as a review queue, under the tenant's lock so two
    supervisors drawing at once never queue one conversation twice."""
    now = now or utcnow()
    async with db.write() as session:
        assignee_id = data.assignee_id if data.assignee_id is not None else principal.id
        await _check_reviewer(session, principal.tenant_id, assignee_id)
        checklist = await _batch_checklist(session, principal.tenant_id, data.checklist_id)
        await service.lock_tenant(session, principal.tenant_id)
        seed, size, picked = await _draw(session, principal, data, now)
        if not picked:
            raise InvalidInput(
                "no closed conversation of the period matches (conversations already in a "
                "batch are left out)",
                code="empty_sample",
            )
        if len(picked) > MAX_BATCH:
            raise InvalidInput(
                f"n: the sample would hold {len(picked)} conversations, at most {MAX_BATCH}: "
                "lower n or narrow the filters",
                field="n",
            )
        since, until = _period(data, now)
        name = data.name or f"{MODE_NAMES[data.mode]} {since:%Y-%m-%d}–{until:%Y-%m-%d}"
        params = data.model_dump(
            mode="json", exclude={"name", "checklist_id", "assignee_id", "seed"}
        ) | {"until": until.isoformat()}
        batch = QualityBatch(
            tenant_id=principal.tenant_id,
            name=name[:100],
            checklist_id=checklist.id,
            mode=data.mode,
            params=params,
            seed=seed,
            candidates=size,
            assignee_id=assignee_id,
            created_by_id=principal.id,
            created_at=now,
        )
        session.add(batch)
        await session.flush()
        session.add_all(
            QualityBatchItem(
                tenant_id=principal.tenant_id,
                batch_id=batch.id,
                conversation_id=c.conversation_id,
                position=n,
                agent_id=c.agent_id,
                group_id=c.group_id,
                channel=c.channel,
                closed_at=c.closed_at,
                rating_score=c.rating_score,
                rating_scale=c.rating_scale,
                handling_s=c.handling_s,
                messages=c.messages,
            )
            for n, c in enumerate(picked, start=1)
        )
        await session.flush()
        return await service.batch_detail(session, batch=batch)


async def update_batch(
    db: Database, *, principal: Principal, batch_id: int, data: BatchPatch
) -> BatchDetail:
    async with db.write() as session:
        batch = await service.get_batch(
            session, tenant_id=principal.tenant_id, batch_id=batch_id, for_update=True
        )
        if data.assignee_id is not None:
            await _check_reviewer(session, principal.tenant_id, data.assignee_id)
            batch.assignee_id = data.assignee_id
        if data.name is not None:
            batch.name = data.name
        await session.flush()
        return await service.batch_detail(session, batch=batch)


async def delete_batch(db: Database, *, principal: Principal, batch_id: int) -> None:
    """Its items and draft reviews go with it; a batch with a submitted review stays."""
    async with db.write() as session:
        batch = await service.get_batch(
            session, tenant_id=principal.tenant_id, batch_id=batch_id, for_update=True
        )
        done = await session.scalar(
            select(QualityReview.id)
            .where(
                QualityReview.batch_id == batch.id,
                QualityReview.status != ReviewStatus.draft.value,
            )
            .limit(1)
        )
        if done is not None:
            raise Conflict("the batch has submitted reviews: it stays")
        drafts = select(QualityReview.id).where(QualityReview.batch_id == batch.id)
        await session.execute(
            delete(QualityReviewChange).where(QualityReviewChange.review_id.in_(drafts))
        )
        await session.execute(delete(QualityReview).where(QualityReview.batch_id == batch.id))
        await session.execute(delete(QualityBatchItem).where(QualityBatchItem.batch_id == batch.id))
        await session.delete(batch)
