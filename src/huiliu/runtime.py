"""Everything one process runs, created by the app's lifespan: database, bus, message
writer, socket hub, router, presence, the bot, and (embedded) the outbox worker with the
report presence sampler beside it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from huiliu.analytics import fold as analytics_fold
from huiliu.analytics.presence import Sampler
from huiliu.auth.principal import Principal
from huiliu.bot import text
from huiliu.bot.actions import Bot
from huiliu.bot.knowledge import Knowledge
from huiliu.bus import Bus, create_bus
from huiliu.campaigns.sender import CampaignSender
from huiliu.channels import installed as _installed_channels  # noqa: F401  (registers the adapters)
from huiliu.channels import outbound as channels_outbound
from huiliu.channels.listeners import Listeners
from huiliu.channels.triggers import KIND as CHANNEL_KIND
from huiliu.config import Settings
from huiliu.contacts.rules_sweep import TagRuleSweeper
from huiliu.conversations import service as conversations_service
from huiliu.conversations.rows import message_out
from huiliu.conversations.schemas import MessageOut
from huiliu.conversations.writer import MessageWriter
from huiliu.db import Database
from huiliu.errors import NotFound
from huiliu.outbox.registry import Registry
from huiliu.outbox.worker import Worker
from huiliu.realtime.hub import Hub
from huiliu.realtime.presence import MemoryPresence, Presence, RedisPresence
from huiliu.routing import actions as routing_actions
from huiliu.routing.router import Router
from huiliu.routing.settings import RoutingSettings
from huiliu.tenants import service as tenants_service
from huiliu.tickets.triggers import SlaSweeper
from huiliu.webhooks import delivery as webhooks_delivery
from huiliu.webhooks.triggers import KIND as WEBHOOK_KIND


def outbox_handlers() -> Registry:
    """Every outbox kind and its handler: what workers (in process or ``huiliu worker``)
    know how to run."""
    registry = Registry()
    registry.register(WEBHOOK_KIND, webhooks_delivery.deliver)
    # A conversation's replies reach the customer in the order they were written.
    registry.register(CHANNEL_KIND, channels_outbound.deliver, ordered=True)
    # A conversation's report facts: folds of one conversation never overlap, one fold does
    # every fold queued behind it (each reads the truth when it runs), and a batch's folds
    # share one read and one write transaction.
    registry.register(
        analytics_fold.KIND, analytics_fold.run_job, coalesced=True, batch=analytics_fold.run_jobs
    )
    return registry


@dataclass
class Runtime:
    settings: Settings
    secret_key: str
    db: Database
    bus: Bus
    writer: MessageWriter
    hub: Hub
    router: Router
    presence: Presence
    bot: Bot
    sla_sweeper: SlaSweeper
    tag_rules: TagRuleSweeper  # the tag rules' sweep and backfills
    worker: Worker | None = None  # the outbox's, when HUILIU_WORKER_IN_PROCESS
    sampler: Sampler | None = None  # report presence, beside the worker
    campaigns: CampaignSender | None = None  # sends campaigns, beside the worker
    # The channels' SMTP server, IMAP pollers, PBX sockets (made in start: they need self).
    listeners: Listeners | None = field(default=None, init=False)

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        db = Database(
            settings.resolved_database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            background_checkpoints=True,
        )
        bus = create_bus(settings.redis_url, channel=settings.redis_channel)
        router = Router(db, bus, sweep_s=settings.routing_sweep_s)
        runtime: Runtime
        if settings.redis_url:
            presence: Presence = RedisPresence(
                settings.redis_url,
                settings.redis_channel,
                lambda t, a: runtime.agent_gone(t, a),
                lambda t: runtime.presence_grace(t),
            )
        else:
            presence = MemoryPresence(
                lambda t, a: runtime.agent_gone(t, a), lambda t: runtime.presence_grace(t)
            )
        bot = Bot(
            db,
            bus,
            Knowledge(db, embedding=settings.bot_embedding),
            lambda tenant, groups: router.kick(tenant, groups=groups),
            online=presence.visitors_online,
        )
        runtime = cls(
            settings=settings,
            secret_key=settings.resolved_secret_key,
            db=db,
            bus=bus,
            writer=MessageWriter(
                db,
                bus.publish,
                batch_size=settings.writer_batch_size,
                queue_limit=settings.writer_queue_limit,
                on_opened=lambda tenant, group: router.kick(
                    tenant, groups=[group] if group is not None else []
                ),
                on_stored=bot.on_stored,
                online=presence.visitors_online,
            ),
            hub=Hub(heartbeat_s=settings.heartbeat_s, presence=presence),
            router=router,
            presence=presence,
            bot=bot,
            sla_sweeper=SlaSweeper(db, bus, every_s=settings.ticket_sla_sweep_s),
            tag_rules=TagRuleSweeper(db, every_s=settings.tag_rules_sweep_s),
            worker=(
                Worker(db, outbox_handlers(), settings, bus) if settings.worker_in_process else None
            ),
            sampler=(
                Sampler(db, every_s=settings.report_sample_s)
                if settings.worker_in_process
                else None
            ),
            campaigns=(
                CampaignSender(
                    db, bus, every_s=settings.campaign_send_s, online=presence.visitors_online
                )
                if settings.worker_in_process
                else None
            ),
        )
        return runtime

    async def start(self) -> None:
        self.db.start_checkpointer()
        self.bus.subscribe(self.hub.on_event)
        await self.bus.start()
        await self.writer.start()
        await self.hub.start()
        await self.router.start()
        await self.presence.start()
        await self.sla_sweeper.start()
        await self.tag_rules.start()
        if self.worker is not None:
            await self.worker.start()
        if self.sampler is not None:
            await self.sampler.start()
        if self.campaigns is not None:
            await self.campaigns.start()
        if self.settings.listeners_in_process:
            self.listeners = Listeners(self)
            await self.listeners.start()
        await asyncio.to_thread(text.preload)
        self.bot.knowledge.warm()

    async def stop(self) -> None:
        if self.listeners is not None:
            await self.listeners.stop()
        if self.campaigns is not None:
            await self.campaigns.stop()
        if self.sampler is not None:
            await self.sampler.stop()
        if self.worker is not None:
            await self.worker.stop()
        await self.tag_rules.stop()
        await self.sla_sweeper.stop()
        await self.presence.stop()
        await self.router.stop()
        await self.bot.stop()
        await self.hub.stop()
        await self.writer.stop()
        await self.bus.stop()
        await self.db.dispose()

    async def _routing_settings(self, tenant_id: int) -> RoutingSettings:
        async with self.db.read() as session:
            tenant = await tenants_service.get(session, tenant_id=tenant_id)
        return RoutingSettings.model_validate(tenant.routing or {})

    async def presence_grace(self, tenant_id: int) -> float:
        return float((await self._routing_settings(tenant_id)).presence_grace_s)

    async def agent_gone(self, tenant_id: int, account_id: int) -> None:
        """All of an agent's sockets have been gone for the grace period."""
        settings = await self._routing_settings(tenant_id)
        events, requeued = await routing_actions.agent_gone(
            self.db,
            tenant_id=tenant_id,
            account_id=account_id,
            requeue=settings.offline_policy == "requeue",
        )
        if events:
            await self.bus.publish(events)
        if requeued:
            self.router.kick(tenant_id)

    async def load_messages(
        self, conversation_id: int, after_seq: int, limit: int
    ) -> Sequence[MessageOut]:
        async with self.db.read() as session:
            rows = await conversations_service.list_messages(
                session, conversation_id=conversation_id, after_seq=after_seq, limit=limit
            )
        return [message_out(row) for row in rows]

    async def may_see(self, principal: Principal, conversation_id: int) -> bool:
        async with self.db.read() as session:
            try:
                await conversations_service.get(
                    session, principal=principal, conversation_id=conversation_id
                )
            except NotFound:
                return False
        return True
