"""Satisfaction routes (docs/satisfaction.md): the tenant's settings, a conversation's survey
(asked by its agent, answered by its customer), the supervisors' list of results, and the
public rating page e-mail surveys link to.

``router`` (what the app includes) holds the API under ``/api/v1`` and ``public_router``,
the rating page at ``/rate/{token}`` (HTML, outside the OpenAPI document)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field
from sqlalchemy import select

from huiliu.auth.deps import AgentDep, PrincipalDep, ReportsDep, RuntimeDep, SettingsDep
from huiliu.conversations import service as conversations_service
from huiliu.db.base import utcnow
from huiliu.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from huiliu.satisfaction import actions, page, service
from huiliu.satisfaction.schemas import (
    MAX_COMMENT,
    AnswerIn,
    SatisfactionSettings,
    SurveyOut,
    SurveyPage,
)
from huiliu.tenants.models import Tenant

api = APIRouter(prefix="/api/v1", tags=["satisfaction"])
public_router = APIRouter(tags=["satisfaction"], include_in_schema=False)

MAX_FORM = 16 * 1024
Score = Annotated[int, Field(ge=1, le=5)]
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


# -- settings -------------------------------------------------------------------------------


@api.get("/tenant/satisfaction")
async def get_settings(principal: SettingsDep, runtime: RuntimeDep) -> SatisfactionSettings:
    """The tenant's survey settings (the defaults until an admin saves them)."""
    async with runtime.db.read() as session:
        return await service.get_settings(session, tenant_id=principal.tenant_id)


@api.put("/tenant/satisfaction")
async def put_settings(
    body: SatisfactionSettings, principal: SettingsDep, runtime: RuntimeDep
) -> SatisfactionSettings:
    """Scale, labels, tags, comment, when to ask, the answer window, the texts. Surveys
    already asked keep what they offered."""
    async with runtime.db.write() as session:
        return await service.put_settings(session, tenant_id=principal.tenant_id, settings=body)


# -- a conversation's survey ----------------------------------------------------------------


@api.get("/conversations/{conversation_id}/survey")
async def get_survey(
    conversation_id: int, principal: PrincipalDep, runtime: RuntimeDep
) -> SurveyOut:
    """The conversation's survey and its answer, for its customer and the accounts that see
    the conversation; ``404 no_survey`` when it was not asked."""
    async with runtime.db.read() as session:
        await conversations_service.get(
            session, principal=principal, conversation_id=conversation_id
        )
        row = await service.get_by_conversation(session, conversation_id=conversation_id)
    if row is None:
        raise NotFound("this conversation has no survey", code="no_survey")
    return service.out(row)


@api.post("/conversations/{conversation_id}/survey", status_code=201)
async def request_survey(
    conversation_id: int, principal: AgentDep, runtime: RuntimeDep
) -> SurveyOut:
    """Ask the customer for a rating now (the workbench's 邀请评价): its agent, a supervisor
    or an admin; ``409 already_asked`` / ``already_rated`` once asked, ``409 surveys_off``
    when the settings do not allow it."""
    return await actions.request(
        runtime.db, runtime.bus, principal=principal, conversation_id=conversation_id
    )


@api.post("/conversations/{conversation_id}/survey/answer")
async def answer_survey(
    conversation_id: int, body: AnswerIn, principal: PrincipalDep, runtime: RuntimeDep
) -> SurveyOut:
    """The customer's answer (the widget's and apps' buttons): a score on the survey's
    scale, tags offered for it, a comment; once (``409 already_rated``), in time (``410
    survey_expired``)."""
    return await actions.answer(
        runtime.db,
        runtime.bus,
        principal=principal,
        conversation_id=conversation_id,
        score=body.score,
        tags=body.tags,
        comment=body.comment,
    )


# -- results --------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@api.get("/satisfaction/surveys")
async def list_surveys(
    principal: ReportsDep,
    runtime: RuntimeDep,
    since: Annotated[
        datetime | None, Query(description="asked at or after (UTC if no zone)")
    ] = None,
    until: Annotated[datetime | None, Query(description="asked before")] = None,
    agent_id: Annotated[int | None, Query(ge=1)] = None,
    group_id: Annotated[int | None, Query(ge=1)] = None,
    channel: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    score: Annotated[list[Score] | None, Query(description="1 … 5, repeatable")] = None,
    answered: bool | None = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
) -> SurveyPage:
    """The tenant's surveys, newest first, with who served and the answer."""
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and since >= until:
        raise InvalidInput("since must be before until", field="since")
    if group_id is not None and not principal.sees_group(group_id):
        raise Forbidden(f"group {group_id} is outside your role's scope", field="group_id")
    async with runtime.db.read() as session:
        rows, total = await service.list_surveys(
            session,
            tenant_id=principal.tenant_id,
            since=since,
            until=until,
            agent_id=agent_id,
            group_id=group_id,
            group_ids=principal.group_ids,
            channel=channel,
            scores=score or (),
            answered=answered,
            page=page_no,
            per_page=per_page,
        )
    return SurveyPage(surveys=rows, total=total, page=page_no, per_page=per_page)


# -- the rating page ------------------------------------------------------------------------


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=page.HEADERS)


UNKNOWN = ("评价链接无效", "没有找到这次评价，请确认链接是否完整。")


async def _survey_and_shop(runtime: RuntimeDep, token: str) -> tuple[Any, str]:
    if not _TOKEN.match(token):
        return None, ""
    async with runtime.db.read() as session:
        row = await service.get_by_token(session, token=token)
        if row is None:
            return None, ""
        shop = await session.scalar(select(Tenant.name).where(Tenant.id == row.tenant_id))
    return row, shop or ""


def _done(shop: str, survey: Any, status: int = 409) -> HTMLResponse:
    """Already rated: 409 to a second answer, 200 to looking again."""
    label = service.label_of(survey, survey.score)
    return _html(
        page.message_page(shop, "您已经评价过了", f"您的评价：{label}。感谢您的反馈！", mark="✓"),
        status,
    )


def _expired(shop: str) -> HTMLResponse:
    return _html(
        page.message_page(shop, "评价已过期", "这次服务的评价时间已经结束，感谢您的关注。"), 410
    )


@public_router.get("/rate/{token}", response_class=HTMLResponse)
async def rating_page(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The survey as a form; ``?score=N`` (the e-mail's buttons) chooses a score."""
    survey, shop = await _survey_and_shop(runtime, token)
    if survey is None:
        return _html(page.message_page("", *UNKNOWN), 404)
    now = utcnow()
    state = service.state_of(survey, now)
    if state == "answered":
        return _done(shop, survey, 200)
    if state == "expired":
        return _expired(shop)
    given = request.query_params.get("score", "")
    score = int(given) if given.isascii() and given.isdigit() and len(given) <= 2 else None
    return _html(
        page.form_page(shop=shop, survey=survey, action=f"/rate/{token}", now=now, score=score)
    )


@public_router.post("/rate/{token}", response_class=HTMLResponse)
async def rate_by_link(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The form's answer: a thank-you page, or the form again with the reason (422), or
    already rated (409), expired (410), unknown (404)."""
    survey, shop = await _survey_and_shop(runtime, token)
    if survey is None:
        return _html(page.message_page("", *UNKNOWN), 404)
    body = await request.body()
    if len(body) > MAX_FORM:
        return _html(page.message_page(shop, "内容太长", "请缩短您的意见后重新提交。"), 413)
    try:
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        form = []
    given = next((v for k, v in form if k == "score"), "").strip()
    score = int(given) if given.isascii() and given.isdigit() and len(given) <= 2 else None
    tags = [v for k, v in form if score is not None and k == f"tags_{score}"]
    comment = next((v for k, v in form if k == "comment"), "").strip()
    now = utcnow()

    def again(error: str) -> HTMLResponse:
        return _html(
            page.form_page(
                shop=shop,
                survey=survey,
                action=f"/rate/{token}",
                now=now,
                score=score,
                tags=tags,
                comment=comment,
                error=error,
            ),
            422,
        )

    if score is None:
        return again("请先选择一个评分。")
    try:
        await actions.answer_by_token(
            runtime.db,
            runtime.bus,
            token=token,
            score=score,
            tags=tags,
            comment=comment or None,
        )
    except Conflict:  # already_rated
        refreshed, _ = await _survey_and_shop(runtime, token)
        return _done(shop, refreshed or survey)
    except actions.SurveyExpired:
        return _expired(shop)
    except InvalidInput as exc:
        field = exc.extra.get("field")
        reason = {
            "score": "请选择页面上的一个评分。",
            "tags": "请只选择页面上列出的原因。",
            "comment": (
                f"意见最多 {MAX_COMMENT} 字。"
                if len(comment) > MAX_COMMENT
                else "这次评价不需要填写意见。"
            ),
        }.get(str(field), exc.detail)
        return again(reason)
    except AppError:  # the survey vanished (NotFound)
        return _html(page.message_page("", *UNKNOWN), 404)
    return _html(
        page.message_page(shop, "感谢您的评价！", "您的反馈会帮助我们做得更好。", mark="✓")
    )


router = APIRouter()
router.include_router(api)
router.include_router(public_router)
