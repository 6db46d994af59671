"""satisfaction and reports: surveys and their settings; report facts, rollups and settings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 00:51:36.029734
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import huiliu.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "report_buckets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("hour", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("group_key", sa.Integer(), nullable=False),
        sa.Column("agent_key", sa.Integer(), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("handed_over", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("bot_resolved", sa.Integer(), nullable=False),
        sa.Column("bot_served", sa.Integer(), nullable=False),
        sa.Column("bot_handed_over", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("response_s", sa.Double(), nullable=False),
        sa.Column("response_within_60", sa.Integer(), nullable=False),
        sa.Column("response_bh_s", sa.Double(), nullable=False),
        sa.Column("response_bh_within_60", sa.Integer(), nullable=False),
        sa.Column("waited", sa.Integer(), nullable=False),
        sa.Column("wait_s", sa.Double(), nullable=False),
        sa.Column("wait_bh_s", sa.Double(), nullable=False),
        sa.Column(
            "wait_hist",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "wait_bh_hist",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("handling_s", sa.Double(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("messages_customer", sa.Integer(), nullable=False),
        sa.Column("messages_agent", sa.Integer(), nullable=False),
        sa.Column("surveyed", sa.Integer(), nullable=False),
        sa.Column("rated", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Double(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_buckets_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_buckets")),
        sa.UniqueConstraint(
            "tenant_id",
            "hour",
            "channel",
            "group_key",
            "agent_key",
            name=op.f("uq_report_buckets_tenant_id_hour_channel_group_key_agent_key"),
        ),
    )
    with op.batch_alter_table("report_buckets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_buckets_agent", ["tenant_id", "agent_key", "hour"], unique=False
        )

    op.create_table(
        "report_settings",
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_settings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_report_settings")),
    )
    op.create_table(
        "report_term_days",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("term", sa.String(length=32), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_term_days_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_term_days")),
        sa.UniqueConstraint(
            "tenant_id", "day", "term", name=op.f("uq_report_term_days_tenant_id_day_term")
        ),
    )
    with op.batch_alter_table("report_term_days", schema=None) as batch_op:
        batch_op.create_index("ix_report_term_days_day", ["tenant_id", "day"], unique=False)

    op.create_table(
        "satisfaction_settings",
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_satisfaction_settings_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_satisfaction_settings")),
    )
    op.create_table(
        "report_agent_hours",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hour", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("online_s", sa.Double(), nullable=False),
        sa.Column("away_s", sa.Double(), nullable=False),
        sa.Column("load_s", sa.Double(), nullable=False),
        sa.Column("capacity_s", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["accounts.id"], name=op.f("fk_report_agent_hours_agent_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_agent_hours_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_agent_hours")),
        sa.UniqueConstraint(
            "tenant_id",
            "agent_id",
            "hour",
            name=op.f("uq_report_agent_hours_tenant_id_agent_id_hour"),
        ),
    )
    op.create_table(
        "report_agent_status",
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("since", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("counted_to", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["accounts.id"], name=op.f("fk_report_agent_status_agent_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_agent_status_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_report_agent_status")),
    )
    op.create_table(
        "report_conversations",
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("queued_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=16), nullable=True),
        sa.Column("handed_over", sa.Boolean(), nullable=False),
        sa.Column("bot_served", sa.Boolean(), nullable=False),
        sa.Column("wait_s", sa.Double(), nullable=True),
        sa.Column("wait_bh_s", sa.Double(), nullable=True),
        sa.Column("first_response_s", sa.Double(), nullable=True),
        sa.Column("first_response_bh_s", sa.Double(), nullable=True),
        sa.Column("handling_s", sa.Double(), nullable=True),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("messages_customer", sa.Integer(), nullable=False),
        sa.Column("messages_agent", sa.Integer(), nullable=False),
        sa.Column("messages_bot", sa.Integer(), nullable=False),
        sa.Column("surveyed", sa.Boolean(), nullable=False),
        sa.Column("rating_score", sa.Integer(), nullable=True),
        sa.Column("rating_scale", sa.Integer(), nullable=True),
        sa.Column("updated_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_report_conversations_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_report_conversations_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_conversations_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_report_conversations")),
    )
    with op.batch_alter_table("report_conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_conversations_agent", ["tenant_id", "agent_id", "opened_at"], unique=False
        )
        batch_op.create_index(
            "ix_report_conversations_group", ["tenant_id", "group_id", "opened_at"], unique=False
        )
        batch_op.create_index(
            "ix_report_conversations_opened", ["tenant_id", "opened_at"], unique=False
        )

    op.create_table(
        "report_terms",
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("term", sa.String(length=32), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_report_terms_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_report_terms_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("conversation_id", "term", name=op.f("pk_report_terms")),
    )
    with op.batch_alter_table("report_terms", schema=None) as batch_op:
        batch_op.create_index("ix_report_terms_term", ["tenant_id", "term", "day"], unique=False)
        batch_op.create_index("ix_report_terms_day", ["tenant_id", "day"], unique=False)

    op.create_table(
        "satisfaction_surveys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("agent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("asked_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "offer",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("answered_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["accounts.id"], name=op.f("fk_satisfaction_surveys_agent_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_satisfaction_surveys_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_satisfaction_surveys_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_surveys")),
        sa.UniqueConstraint(
            "conversation_id", name=op.f("uq_satisfaction_surveys_conversation_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_satisfaction_surveys_token")),
    )
    with op.batch_alter_table("satisfaction_surveys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_satisfaction_surveys_agent", ["tenant_id", "agent_id", "asked_at"], unique=False
        )
        batch_op.create_index(
            "ix_satisfaction_surveys_asked", ["tenant_id", "asked_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("satisfaction_surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_satisfaction_surveys_asked")
        batch_op.drop_index("ix_satisfaction_surveys_agent")

    op.drop_table("satisfaction_surveys")
    with op.batch_alter_table("report_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_report_terms_day")
        batch_op.drop_index("ix_report_terms_term")

    op.drop_table("report_terms")
    with op.batch_alter_table("report_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_report_conversations_opened")
        batch_op.drop_index("ix_report_conversations_group")
        batch_op.drop_index("ix_report_conversations_agent")

    op.drop_table("report_conversations")
    op.drop_table("report_agent_status")
    op.drop_table("report_agent_hours")
    op.drop_table("satisfaction_settings")
    with op.batch_alter_table("report_term_days", schema=None) as batch_op:
        batch_op.drop_index("ix_report_term_days_day")

    op.drop_table("report_term_days")
    op.drop_table("report_settings")
    with op.batch_alter_table("report_buckets", schema=None) as batch_op:
        batch_op.drop_index("ix_report_buckets_agent")

    op.drop_table("report_buckets")
