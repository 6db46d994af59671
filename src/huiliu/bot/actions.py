"""The bot in a conversation: greeting and menu the instant it opens, answers from the
knowledge base, "did you mean" buttons, handoff to people, votes on answers — and, once a
person serves, suggested answers for them (agent assist).

It reacts in-process, after commit, to what the message writer stored on this process
(``Bot.on_stored``): each conversation's reactions run one at a time, in order. Every write
locks the conversation and checks the bot still serves it, so an agent who took over a
moment ago is never answered over.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.auth.principal import Principal
from huiliu.bot.flow_runner import FlowRunner
from huiliu.bot.flows import FlowState
from huiliu.bot.knowledge import EntryInfo, Hit, Knowledge
from huiliu.bot.matcher import Band, Thresholds
from huiliu.bot.models import BotSession, BotVote
from huiliu.bot.settings import BotSettings, MenuNode
from huiliu.bot.text import normalize
from huiliu.bus import Bus
from huiliu.bus.events import Suggestion, SuggestionsReady
from huiliu.conversations.actions import append_messages, lock_for_system
from huiliu.conversations.models import Conversation, ConversationStatus, Message, SenderType
from huiliu.conversations.writer import Stored
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import Conflict, InvalidInput, NotFound
from huiliu.kb import service as kb_service
from huiliu.routing.models import Group
from huiliu.routing.passes import snapshot
from huiliu.tenants.models import Tenant
from huiliu.webhooks.triggers import OnlineCheck

log = logging.getLogger(__name__)
bot_sessions: Table = BotSession.__table__  # type: ignore[assignment]
bot_votes: Table = BotVote.__table__  # type: ignore[assignment]
messages: Table = Message.__table__  # type: ignore[assignment]
tenants: Table = Tenant.__table__  # type: ignore[assignment]
groups: Table = Group.__table__  # type: ignore[assignment]

MAX_TURNS = 10
# A text whose button id starts so is a channel's notice, not a question (a new WeChat
# follower: "关注了公众号"): it opens the conversation, the greeting answers it.
NOTICE_PREFIX = "notice:"
# Agent assist runs on every customer message a person serves: the KB revision is checked at
# most this often for it (a new entry reaches suggestions within this many seconds).
ASSIST_REVISION_AGE_S = 2.0
_KEEP: Any = object()  # _say: leave the flow state as it is
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
# Words around a request for a person that do not change it: 我要人工, i want a human.
_FILLER_ZH = re.compile(
    r"^(?:我要|我想|我需要|请|请给我|给我|帮我|麻烦|找|转|要|联系|接)+|(?:吧|呀|啊|呢|谢谢)+$"
)
_FILLER_EN = frozenset(
    [
        "i",
        "want",
        "to",
        "a",
        "an",
        "the",
        "talk",
        "speak",
        "please",
        "with",
        "need",
        "get",
        "me",
        "can",
        "connect",
        "let",
        "chat",
        "real",
    ]
)
_STRONG = ("转人工", "人工客服", "人工服务", "真人客服", "找人工", "接人工", "人工坐席")

Kick = Callable[[int, list[int]], None]


def asks_for_person(text: str, words: list[str]) -> bool:
    """Whether the customer asks for a person: one of the tenant's handoff words, alone or
    with filler around it ("我要人工", "human please"), or a phrase no FAQ question uses."""
    norm = normalize(text)
    bare = _PUNCT.sub("", norm)
    if not bare:
        return False
    if any(strong in bare for strong in _STRONG):
        return True
    targets = {_PUNCT.sub("", normalize(w)) for w in words}
    if bare in targets or _FILLER_ZH.sub("", bare) in targets:
        return True
    english = [w for w in _PUNCT.split(norm) if w and w not in _FILLER_EN]
    joined = " ".join(english)
    return bool(english) and (
        joined in {normalize(w) for w in words} or "".join(english) in targets
    )


def greeting_contents(settings: BotSettings) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "text", "text": settings.greeting.replace("{name}", settings.name)}
    ]
    if settings.menu:
        out.append(menu_content(settings.menu_text, settings.menu))
    return out


def menu_content(text: str | None, nodes: list[MenuNode]) -> dict[str, Any]:
    content: dict[str, Any] = {
        "type": "menu",
        "buttons": [{"id": f"menu:{n.id}", "label": n.label} for n in nodes],
    }
    if text:
        content["text"] = text
    return content


def answer_content(entry: EntryInfo) -> dict[str, Any]:
    return {
        "type": "answer",
        "entry_id": entry.id,
        "question": entry.question,
        "parts": entry.answer,
        "feedback": True,
    }


def summary_of(turns: list[dict[str, Any]], reason: str) -> str:
    lines = [f"转人工原因：{reason}"]
    if turns:
        answered = sum(1 for t in turns if t.get("answered"))
        lines.append(f"机器人接待 {len(turns)} 轮，回答 {answered} 轮：")
        for n, turn in enumerate(turns, start=1):
            lines.append(f"{n}. 客户：{turn['q'][:200]} → 机器人：{turn['a'][:200]}")
    else:
        lines.append("客户尚未向机器人提问。")
    return "\n".join(lines)[:4000]


class Bot:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        knowledge: Knowledge,
        kick: Kick,
        online: OnlineCheck | None = None,
    ) -> None:
        self._db = db
        self._bus = bus
        # Which customers hold a socket: the bot's messages to one who does not are pushed.
        self._online = online
        self.knowledge = knowledge
        self._kick = kick
        self._chains: dict[int, asyncio.Task[None]] = {}
        self.flows = FlowRunner(db, self._say)

    # -- scheduling ----------------------------------------------------------------------

    def on_stored(self, items: list[Stored]) -> None:
        """The writer's after-commit hook: react to customers' messages and new
        conversations the bot serves, and suggest answers where a person serves."""
        for item in items:
            if not item.with_bot and (
                item.conversation.assignee_id is None
                or self.knowledge.known_empty(item.tenant_id, max_age_s=ASSIST_REVISION_AGE_S)
            ):
                continue  # nothing for the bot to do: no bot, and nothing to suggest
            self._run_in_order(item.conversation.id, functools.partial(self._react, item))

    def _run_in_order(self, conversation_id: int, job: Callable[[], Awaitable[None]]) -> None:
        previous = self._chains.get(conversation_id)

        async def run() -> None:
            if previous is not None:
                with contextlib.suppress(BaseException):
                    await previous
            try:
                await job()
            except Exception:
                log.exception("the bot failed on conversation %s", conversation_id)

        task = asyncio.create_task(run(), name=f"bot-{conversation_id}")
        self._chains[conversation_id] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._chains.get(conversation_id) is done:
                del self._chains[conversation_id]

        task.add_done_callback(forget)

    async def settled(self) -> None:
        """Wait for every reaction under way (tests, shutdown)."""
        while self._chains:
            await asyncio.gather(*list(self._chains.values()), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._chains.values()):
            task.cancel()
        await self.settled()
        await self.knowledge.stop()

    # -- reactions -----------------------------------------------------------------------

    async def settings(self, tenant_id: int) -> BotSettings:
        async with self._db.read() as session:
            raw = await session.scalar(select(tenants.c.bot).where(tenants.c.id == tenant_id))
        return BotSettings.model_validate(raw or {})

    async def _react(self, item: Stored) -> None:
        content = item.message.content
        if content.get("type") == "event":
            if content.get("event") == "opened" and item.with_bot:
                settings = await self.settings(item.tenant_id)
                if settings.enabled:
                    await self._say(
                        item.tenant_id, item.conversation.id, greeting_contents(settings)
                    )
            return
        if item.with_bot:
            await self._answer(item)
        else:
            await self._assist(item)

    async def _answer(self, item: Stored) -> None:
        settings = await self.settings(item.tenant_id)
        tenant_id, cid = item.tenant_id, item.conversation.id
        content = item.message.content
        text = content.get("text") if content.get("type") == "text" else None
        button = content.get("button_id") if text is not None else None
        if button is not None and button.startswith(NOTICE_PREFIX):
            return  # a channel's notice (a new WeChat follower): the greeting answered it
        state = await self._flow_of(tenant_id, cid)
        if state is not None and text is not None:
            if button is None or not button.startswith(("menu:", "kb:", "flow:", "handoff")):
                if asks_for_person(text, settings.handoff_words):
                    await self.handoff(tenant_id, cid, reason="客户要求人工服务", question=text)
                else:
                    await self.flows.resume(tenant_id, cid, settings, state, text, button)
                return
            await self._say(tenant_id, cid, [], flow=None)  # another button: the flow ends
        if button is not None and await self._button(tenant_id, cid, settings, button, text or ""):
            return
        if text is None:
            await self._unknown(
                tenant_id,
                cid,
                settings,
                f"[{content.get('type')}]",
                log_it=False,
                reply="我目前只能理解文字消息。请用文字描述您的问题，或回复“人工”联系客服。",
            )
            return
        if asks_for_person(text, settings.handoff_words):
            await self.handoff(tenant_id, cid, reason="客户要求人工服务", question=text)
            return
        hits = await self.knowledge.match(tenant_id, text, k=3)
        thresholds = Thresholds(settings.answer_threshold, settings.suggest_threshold)
        band = thresholds.band(hits[0].candidate.confidence) if hits else Band.unknown
        if band is Band.answer:
            await self._give_answer(tenant_id, cid, hits[0].entry, question=text)
        elif band is Band.suggest:
            await self._suggest(tenant_id, cid, settings, hits, question=text)
        else:
            await self._unknown(tenant_id, cid, settings, text)

    async def _button(
        self, tenant_id: int, cid: int, settings: BotSettings, button: str, label: str
    ) -> bool:
        """Act on a tapped button; False when the id is not the bot's."""
        kind, _, key = button.partition(":")
        if button == "handoff":
            await self.handoff(tenant_id, cid, reason="客户点击了转人工", question=label)
            return True
        if kind == "flow":
            flow_key, _, order_id = key.partition(":")
            preset = {"order_id": order_id} if order_id else {}
            await self.flows.start(tenant_id, cid, settings, flow_key, preset=preset, label=label)
            return True
        if kind == "kb" and key.isdigit():
            entries = await self.knowledge.entries(tenant_id, [int(key)])
            entry = entries.get(int(key))
            if entry is None or not entry.valid_at(utcnow()):
                await self._say(
                    tenant_id, cid, [{"type": "text", "text": "抱歉，这个问题的答案已下线。"}]
                )
                return True
            await self._give_answer(tenant_id, cid, entry, question=label)
            return True
        if kind == "menu":
            node = settings.find_node(key)
            if node is None:
                return False
            if node.action == "submenu":
                await self._say(
                    tenant_id,
                    cid,
                    [menu_content(node.label, node.children)],
                    turn=(label, f"菜单：{node.label}", True),
                )
            elif node.action == "flow" and node.flow:
                await self.flows.start(tenant_id, cid, settings, node.flow, preset={}, label=label)
            elif node.action == "handoff":
                await self.handoff(
                    tenant_id,
                    cid,
                    reason=f"客户选择了“{node.label}”",
                    question=label,
                    group_id=node.group_id,
                )
            elif node.entry_id is not None:
                entry = (await self.knowledge.entries(tenant_id, [node.entry_id])).get(
                    node.entry_id
                )
                if entry is None:
                    await self._say(
                        tenant_id, cid, [{"type": "text", "text": "抱歉，这个问题的答案已下线。"}]
                    )
                else:
                    await self._give_answer(tenant_id, cid, entry, question=label)
            else:
                await self._say(
                    tenant_id,
                    cid,
                    [{"type": "text", "text": node.text or ""}],
                    turn=(label, (node.text or "")[:200], True),
                )
            return True
        return False

    async def _give_answer(
        self, tenant_id: int, cid: int, entry: EntryInfo, *, question: str
    ) -> None:
        said = await self._say(
            tenant_id,
            cid,
            [answer_content(entry)],
            turn=(question, entry.question, True),
            reset_unknown=True,
        )
        if said:
            async with self._db.write() as session:
                await kb_service.count_hit(session, tenant_id=tenant_id, entry_id=entry.id)

    async def _suggest(
        self, tenant_id: int, cid: int, settings: BotSettings, hits: list[Hit], *, question: str
    ) -> None:
        buttons = [{"id": f"kb:{h.entry.id}", "label": h.entry.question[:40]} for h in hits]
        buttons.append({"id": "handoff", "label": "转人工"})
        said = await self._say(
            tenant_id,
            cid,
            [{"type": "menu", "text": settings.suggest_text, "buttons": buttons}],
            turn=(question, "猜您想问：" + "；".join(h.entry.question for h in hits), False),
        )
        if said:
            async with self._db.write() as session:
                await kb_service.log_unanswered(
                    session,
                    tenant_id=tenant_id,
                    text=question,
                    reason="suggested",
                    conversation_id=cid,
                )

    async def _unknown(
        self,
        tenant_id: int,
        cid: int,
        settings: BotSettings,
        question: str,
        *,
        log_it: bool = True,
        reply: str | None = None,
    ) -> None:
        if log_it:
            async with self._db.write() as session:
                await kb_service.log_unanswered(
                    session,
                    tenant_id=tenant_id,
                    text=question,
                    reason="unknown",
                    conversation_id=cid,
                )
        streak = await self._bump_unknown(tenant_id, cid, question)
        if settings.handoff_after_unknown and streak >= settings.handoff_after_unknown:
            await self.handoff(tenant_id, cid, reason=f"机器人连续 {streak} 次未能回答")
            return
        await self._say(tenant_id, cid, [{"type": "text", "text": reply or settings.unknown_text}])

    async def _assist(self, item: Stored) -> None:
        content = item.message.content
        if content.get("type") != "text" or content.get("button_id"):
            return
        index = await self.knowledge.index(item.tenant_id, max_age_s=ASSIST_REVISION_AGE_S)
        if not index.entries:
            return
        hits = index.match(content["text"], k=3)
        if not hits:
            return
        await self._bus.publish(
            [
                SuggestionsReady(
                    tenant_id=item.tenant_id,
                    conversation=item.conversation,
                    message_id=item.message.id,
                    seq=item.message.seq,
                    suggestions=[
                        Suggestion(
                            entry_id=h.entry.id,
                            question=h.entry.question,
                            answer=h.entry.answer,
                            confidence=h.candidate.confidence,
                        )
                        for h in hits
                    ],
                )
            ]
        )

    # -- writes --------------------------------------------------------------------------

    async def _say(
        self,
        tenant_id: int,
        cid: int,
        contents: list[dict[str, Any]],
        *,
        turn: tuple[str, str, bool] | None = None,
        reset_unknown: bool = False,
        flow: FlowState | None = _KEEP,
    ) -> bool:
        """Post the bot's messages while it still serves the conversation; remember the
        turn (question, what the bot did, answered) for a handoff's summary, and the task
        flow's state when ``flow`` is given (None ends it)."""
        now = utcnow()
        async with self._db.write_connection() as conn:
            conv = await lock_for_system(conn, tenant_id, cid)
            if conv is None or conv.status != ConversationStatus.open.value or not conv.with_bot:
                return False
            if turn is not None or reset_unknown:
                await self._remember(conn, tenant_id, cid, turn=turn, reset_unknown=reset_unknown)
            if flow is not _KEEP:
                await self._session(conn, tenant_id, cid)
                await conn.execute(
                    update(bot_sessions)
                    .where(bot_sessions.c.conversation_id == cid)
                    .values(flow=flow.dump() if flow is not None else None)
                )
            if not contents:
                return True
            events = await append_messages(
                conn, conv, [(SenderType.bot, c) for c in contents], now, online=self._online
            )
        await self._bus.publish(events)
        return True

    async def _flow_of(self, tenant_id: int, cid: int) -> FlowState | None:
        async with self._db.read() as session:
            raw = await session.scalar(
                select(bot_sessions.c.flow).where(
                    bot_sessions.c.conversation_id == cid, bot_sessions.c.tenant_id == tenant_id
                )
            )
        return FlowState.load(raw)

    async def _session(self, conn: AsyncConnection, tenant_id: int, cid: int) -> Any:
        row = (
            await conn.execute(select(bot_sessions).where(bot_sessions.c.conversation_id == cid))
        ).first()
        if row is None:
            await conn.execute(
                insert(bot_sessions).values(
                    conversation_id=cid,
                    tenant_id=tenant_id,
                    unknown_streak=0,
                    turns=[],
                    updated_at=utcnow(),
                )
            )
            row = (
                await conn.execute(
                    select(bot_sessions).where(bot_sessions.c.conversation_id == cid)
                )
            ).one()
        return row

    async def _remember(
        self,
        conn: AsyncConnection,
        tenant_id: int,
        cid: int,
        *,
        turn: tuple[str, str, bool] | None,
        reset_unknown: bool = False,
        unknown: bool = False,
    ) -> int:
        session = await self._session(conn, tenant_id, cid)
        turns = list(session.turns or [])
        if turn is not None:
            q, a, answered = turn
            turns = [*turns, {"q": q[:500], "a": a[:500], "answered": answered}][-MAX_TURNS:]
        streak = 0 if reset_unknown else session.unknown_streak + (1 if unknown else 0)
        await conn.execute(
            update(bot_sessions)
            .where(bot_sessions.c.conversation_id == cid)
            .values(turns=turns, unknown_streak=streak, updated_at=utcnow())
        )
        return int(streak)

    async def _bump_unknown(self, tenant_id: int, cid: int, question: str) -> int:
        async with self._db.write_connection() as conn:
            conv = await lock_for_system(conn, tenant_id, cid)
            if conv is None or not conv.with_bot:
                return 0
            return await self._remember(
                conn, tenant_id, cid, turn=(question, "未能回答", False), unknown=True
            )

    async def handoff(
        self,
        tenant_id: int,
        cid: int,
        *,
        reason: str,
        question: str | None = None,
        group_id: int | None = None,
    ) -> bool:
        """Hand the conversation to people: it joins its group's queue with a summary of
        what the bot was asked and answered. False if the bot no longer serves it."""
        settings = await self.settings(tenant_id)
        now = utcnow()
        async with self._db.write_connection() as conn:
            conv = await lock_for_system(conn, tenant_id, cid)
            if conv is None or conv.status != ConversationStatus.open.value or not conv.with_bot:
                return False
            session = await self._session(conn, tenant_id, cid)
            turns = list(session.turns or [])
            if question:
                turns.append({"q": question, "a": "转人工", "answered": False})
            target = await self._group(conn, tenant_id, group_id or settings.handoff_group_id)
            target = target if target is not None else conv.group_id
            event: dict[str, Any] = {
                "type": "event",
                "event": "handoff",
                "reason": reason[:500],
                "summary": summary_of(turns, reason),
            }
            if target is not None:
                event["to_group_id"] = target
            events = await append_messages(
                conn,
                conv,
                [
                    (SenderType.bot, {"type": "text", "text": settings.handoff_text}),
                    (SenderType.system, event),
                ],
                now,
                changes={"with_bot": False, "group_id": target, "queued_at": now},
                online=self._online,
            )
            nobody = await self._nobody_to_take(conn, tenant_id, target)
        await self._bus.publish(events)
        self._kick(tenant_id, [target] if target is not None else [])
        if nobody:
            # With a button: the customer may leave a message (docs/protocol.md, `menu`).
            await self._tell(
                tenant_id,
                cid,
                {
                    "type": "menu",
                    "text": settings.no_agent_text,
                    "buttons": [{"id": "leave_message", "label": "留言"}],
                },
            )
        return True

    async def _group(
        self, conn: AsyncConnection, tenant_id: int, group_id: int | None
    ) -> int | None:
        if group_id is None:
            return None
        found = await conn.scalar(
            select(groups.c.id).where(groups.c.id == group_id, groups.c.tenant_id == tenant_id)
        )
        return int(found) if found is not None else None

    async def _nobody_to_take(
        self, conn: AsyncConnection, tenant_id: int, group_id: int | None
    ) -> bool:
        """No agent online who could take a conversation waiting in ``group_id`` (a group
        outside its working hours tells the customer itself, through routing)."""
        snap = await snapshot(conn, tenant_id)
        if group_id is not None:
            group = snap.groups.get(group_id)
            if group is not None and not group.is_open:
                return False
            return not any(a.online and group_id in a.groups for a in snap.agents)
        return not any(a.online for a in snap.agents)

    async def _tell(self, tenant_id: int, cid: int, content: dict[str, Any]) -> None:
        """A message from the bot after it handed over (the customer is waiting)."""
        async with self._db.write_connection() as conn:
            conv = await lock_for_system(conn, tenant_id, cid)
            if conv is None or conv.status != ConversationStatus.open.value or conv.assignee_id:
                return
            events = await append_messages(
                conn, conv, [(SenderType.bot, content)], utcnow(), online=self._online
            )
        await self._bus.publish(events)

    # -- votes ---------------------------------------------------------------------------

    async def vote(
        self, *, principal: Principal, conversation_id: int, message_id: int, helpful: bool
    ) -> None:
        """The customer's helpful / unhelpful vote on one of the bot's answers (once)."""
        if not principal.is_visitor:
            raise InvalidInput("only the customer votes on the bot's answers")
        tenant_id = principal.tenant_id
        question: str | None = None
        async with self._db.write_connection() as conn:
            conv = await lock_for_system(conn, tenant_id, conversation_id)
            if conv is None or conv.contact_id != principal.id:
                raise NotFound("conversation not found")
            message = (
                await conn.execute(
                    select(messages).where(
                        messages.c.id == message_id, messages.c.conversation_id == conversation_id
                    )
                )
            ).first()
            if message is None or message.content.get("type") != "answer":
                raise NotFound(
                    "no answer of the bot with this id in the conversation", field="message_id"
                )
            entry_id = int(message.content["entry_id"])
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        insert(bot_votes).values(
                            tenant_id=tenant_id,
                            conversation_id=conversation_id,
                            message_id=message_id,
                            entry_id=entry_id,
                            helpful=helpful,
                            created_at=utcnow(),
                        )
                    )
            except IntegrityError:
                raise Conflict(
                    "this answer has been voted on already", code="already_voted"
                ) from None
            if not helpful:
                question = await conn.scalar(
                    select(messages.c.content)
                    .where(
                        messages.c.conversation_id == conversation_id,
                        messages.c.seq < message.seq,
                        messages.c.sender_type == SenderType.contact.value,
                    )
                    .order_by(messages.c.seq.desc())
                    .limit(1)
                )
            with_bot = bool(conv.with_bot)
        async with self._db.write() as session:
            await kb_service.count_feedback(
                session, tenant_id=tenant_id, entry_id=entry_id, helpful=helpful
            )
            if not helpful:
                text = (question or {}).get("text") if isinstance(question, dict) else None
                await kb_service.log_unanswered(
                    session,
                    tenant_id=tenant_id,
                    text=text or message.content.get("question", ""),
                    reason="unhelpful",
                    conversation_id=conversation_id,
                    entry_id=entry_id,
                )
        if helpful or not with_bot:
            return
        settings = await self.settings(tenant_id)
        if settings.handoff_on_unhelpful:
            self._run_in_order(
                conversation_id,
                lambda: self._handoff_job(
                    tenant_id, conversation_id, "客户认为机器人的回答没有帮助"
                ),
            )
        else:
            self._run_in_order(
                conversation_id,
                lambda: self._say_job(tenant_id, conversation_id, settings.unknown_text),
            )

    async def _handoff_job(self, tenant_id: int, cid: int, reason: str) -> None:
        await self.handoff(tenant_id, cid, reason=reason)

    async def _say_job(self, tenant_id: int, cid: int, text: str) -> None:
        await self._say(tenant_id, cid, [{"type": "text", "text": text}])

    async def request_handoff(self, *, principal: Principal, conversation_id: int) -> bool:
        """The customer asks for a person (a button outside the chat, e.g. in the widget)."""
        async with self._db.read() as session:
            conv = await session.get(Conversation, conversation_id)
        if (
            conv is None
            or conv.tenant_id != principal.tenant_id
            or (principal.is_visitor and conv.contact_id != principal.id)
        ):
            raise NotFound("conversation not found")
        return await self.handoff(principal.tenant_id, conversation_id, reason="客户要求人工服务")
