"""Tag rules over REST (docs/profile.md): any account lists them (the customer panel shows
which tags are automatic); ``marketing.manage`` makes, changes, previews and deletes them.
A bad body is a 422 naming the field as the rule language has it (``conditions.0.days``,
not pydantic's path through the union of conditions)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.auth.deps import AgentDep, MarketingDep, RuntimeDep
from huiliu.contacts import rules, rules_sweep, segments
from huiliu.contacts.rules import RuleBody, RuleIn, RulePatch
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, InvalidInput, NotFound


class _RuleRoute(APIRoute):
    """Bad bodies answered by ``rules.invalid`` rather than the app's generic 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise rules.invalid(exc.errors()) from None

        return route


router = APIRouter(prefix="/api/v1", tags=["tag rules"], route_class=_RuleRoute)


class Backfill(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: int = Field(description="customers decided since the rule last changed")
    total: int = Field(description="customers to decide; done = total: applied to everyone")


class TagRuleOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    tag: str
    description: str
    match: Literal["all", "any"]
    conditions: list[dict[str, Any]]
    enabled: bool
    backfill: Backfill
    tagged: int = Field(description="customers holding the tag by this rule")
    created_at: datetime
    updated_at: datetime


class RulePreview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(description="customers the rule would tag now")
    contacts: list[segments.ContactRow] = Field(description="the newest 20 of them")


def _stored(conditions: list[Any]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json", exclude_none=True) for c in conditions]


async def _outs(conn: AsyncConnection, rows: list[Any]) -> list[TagRuleOut]:
    t = rules.tags.c
    counts: dict[int, int] = dict(
        (
            await conn.execute(
                select(t.rule_id, func.count())
                .where(t.rule_id.in_([r.id for r in rows]))
                .group_by(t.rule_id)
            )
        ).all()
    )
    return [
        TagRuleOut(
            id=r.id,
            tag=r.tag,
            description=r.description,
            match=r.match,
            conditions=list(r.conditions),
            enabled=r.enabled,
            backfill=Backfill(done=r.backfill_done, total=r.backfill_total),
            tagged=int(counts.get(r.id, 0)),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


async def _lock(conn: AsyncConnection, tenant_id: int, rule_id: int) -> Any:
    row = (
        await conn.execute(
            select(rules.rules)
            .where(rules.rules.c.id == rule_id, rules.rules.c.tenant_id == tenant_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound("tag rule not found")
    return row


async def _check_tag_free(
    conn: AsyncConnection, tenant_id: int, tag: str, other_than: int | None = None
) -> None:
    stmt = select(rules.rules.c.id).where(
        rules.rules.c.tenant_id == tenant_id, rules.rules.c.tag == tag
    )
    if other_than is not None:
        stmt = stmt.where(rules.rules.c.id != other_than)
    if await conn.scalar(stmt) is not None:
        raise Conflict(f"tag: a rule for the tag {tag!r} exists", field="tag")


@router.get("/tag-rules")
async def list_rules(principal: AgentDep, runtime: RuntimeDep) -> list[TagRuleOut]:
    """The merchant's tag rules, by tag."""
    async with runtime.db.read() as session:
        conn = await session.connection()
        rows = (
            await conn.execute(
                select(rules.rules)
                .where(rules.rules.c.tenant_id == principal.tenant_id)
                .order_by(rules.rules.c.tag)
            )
        ).all()
        return await _outs(conn, list(rows))


@router.get("/tag-rules/{rule_id}")
async def get_rule(rule_id: int, principal: MarketingDep, runtime: RuntimeDep) -> TagRuleOut:
    """One rule, with how far applying it to every customer has got."""
    async with runtime.db.read() as session:
        conn = await session.connection()
        row = (
            await conn.execute(
                select(rules.rules).where(
                    rules.rules.c.id == rule_id, rules.rules.c.tenant_id == principal.tenant_id
                )
            )
        ).first()
        if row is None:
            raise NotFound("tag rule not found")
        return (await _outs(conn, [row]))[0]


@router.post("/tag-rules", status_code=201)
async def create_rule(body: RuleIn, principal: MarketingDep, runtime: RuntimeDep) -> TagRuleOut:
    """A rule → ``201``; when enabled it is applied to every customer in the background
    (``backfill``), and to each as their facts change."""
    rule = body
    tenant_id = principal.tenant_id
    now = utcnow()
    try:
        async with runtime.db.write_connection() as conn:
            n = await conn.scalar(
                select(func.count())
                .select_from(rules.rules)
                .where(rules.rules.c.tenant_id == tenant_id)
            )
            if (n or 0) >= rules.MAX_RULES:
                raise InvalidInput(
                    f"a merchant has at most {rules.MAX_RULES} tag rules; delete one first",
                    code="limit_reached",
                )
            await _check_tag_free(conn, tenant_id, rule.tag)
            rule_id = (
                await conn.execute(
                    insert(rules.rules)
                    .values(
                        tenant_id=tenant_id,
                        tag=rule.tag,
                        description=rule.description.strip(),
                        match=rule.match,
                        conditions=_stored(rule.conditions),
                        enabled=rule.enabled,
                        backfill_total=0,
                        backfill_done=0,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(rules.rules.c.id)
                )
            ).scalar_one()
            if rule.enabled:
                await rules_sweep.start_backfill(conn, rule_id=rule_id, tenant_id=tenant_id)
            out = (await _outs(conn, [await _lock(conn, tenant_id, rule_id)]))[0]
    except IntegrityError:
        raise Conflict(f"tag: a rule for the tag {rule.tag!r} exists", field="tag") from None
    if rule.enabled:
        runtime.tag_rules.backfill([rule_id])
    return out


@router.patch("/tag-rules/{rule_id}")
async def update_rule(
    rule_id: int, body: RulePatch, principal: MarketingDep, runtime: RuntimeDep
) -> TagRuleOut:
    """Change what is given. A new tag, match or conditions (or enabling it) applies the
    rule to every customer again; disabling it takes its tags off everyone."""
    patch = body
    tenant_id = principal.tenant_id
    given = patch.model_fields_set
    try:
        async with runtime.db.write_connection() as conn:
            row = await _lock(conn, tenant_id, rule_id)
            values: dict[str, Any] = {"updated_at": utcnow()}
            if patch.tag is not None and patch.tag != row.tag:
                await _check_tag_free(conn, tenant_id, patch.tag, other_than=rule_id)
                values["tag"] = patch.tag
            if patch.description is not None:
                values["description"] = patch.description.strip()
            if patch.match is not None and patch.match != row.match:
                values["match"] = patch.match
            if patch.conditions is not None:
                stored = _stored(patch.conditions)
                if stored != list(row.conditions):
                    values["conditions"] = stored
            if "enabled" in given and patch.enabled is not None:
                values["enabled"] = patch.enabled
            enabled = values.get("enabled", row.enabled)
            changed = bool({"tag", "match", "conditions"} & values.keys())
            if "tag" in values or not enabled:
                # Tags under the old name, or of a rule switched off, come off everyone.
                await conn.execute(delete(rules.tags).where(rules.tags.c.rule_id == rule_id))
            if not enabled:
                values |= {"backfill_done": 0, "backfill_total": 0}
            await conn.execute(
                update(rules.rules).where(rules.rules.c.id == rule_id).values(**values)
            )
            backfill = enabled and (changed or not row.enabled)
            if backfill:
                await rules_sweep.start_backfill(conn, rule_id=rule_id, tenant_id=tenant_id)
            out = (await _outs(conn, [await _lock(conn, tenant_id, rule_id)]))[0]
    except IntegrityError:
        raise Conflict(f"tag: a rule for the tag {patch.tag!r} exists", field="tag") from None
    if backfill:
        runtime.tag_rules.backfill([rule_id])
    return out


@router.delete("/tag-rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: int, principal: MarketingDep, runtime: RuntimeDep) -> Response:
    """The rule and every tag it put (a person's tag of the same name stays)."""
    async with runtime.db.write_connection() as conn:
        await _lock(conn, principal.tenant_id, rule_id)
        await conn.execute(delete(rules.tags).where(rules.tags.c.rule_id == rule_id))
        await conn.execute(delete(rules.rules).where(rules.rules.c.id == rule_id))
    return Response(status_code=204)


@router.post("/tag-rules/preview")
async def preview_rule(body: RuleBody, principal: MarketingDep, runtime: RuntimeDep) -> RulePreview:
    """A rule not saved (``match`` and ``conditions``): how many customers it would tag
    now, and the newest 20 of them."""
    rule = body
    async with runtime.db.read() as session:
        conn = await session.connection()
        clause = rules.rule_clause(
            rule.match, rule.conditions, dialect=conn.dialect.name, now=utcnow()
        )
        where = (rules.contacts.c.tenant_id == principal.tenant_id) & clause
        total = await segments.count(session, where)
        ids = list(
            await session.scalars(
                select(rules.contacts.c.id)
                .where(where)
                .order_by(rules.contacts.c.created_at.desc(), rules.contacts.c.id.desc())
                .limit(20)
            )
        )
        return RulePreview(count=total, contacts=await segments.contact_rows(session, ids))
