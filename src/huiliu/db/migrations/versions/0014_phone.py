"""phone: calls (one row per call a phone channel account saw)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huiliu.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("channel_account_id", BIG, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("contact_id", BIG, nullable=False),
        sa.Column("conversation_id", BIG, nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("callee", sa.String(length=64), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "ringing",
                "answered",
                "transferred",
                "ended",
                "missed",
                name="callstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ringing_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("wait_s", sa.Integer(), nullable=True),
        sa.Column("talk_s", sa.Integer(), nullable=True),
        sa.Column("ivr_keys", sa.String(length=64), nullable=True),
        sa.Column("recording_url", sa.String(length=2000), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.Column("agent_id", BIG, nullable=True),
        sa.Column("created_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_calls_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["channel_account_id"],
            ["channel_accounts.id"],
            name=op.f("fk_calls_channel_account_id_channel_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_calls_contact_id_contacts")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["accounts.id"], name=op.f("fk_calls_agent_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint(
            "channel_account_id", "call_id", name=op.f("uq_calls_channel_account_id_call_id")
        ),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_conversation", ["conversation_id"], unique=False)
        batch_op.create_index("ix_calls_tenant_contact", ["tenant_id", "contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_tenant_contact")
        batch_op.drop_index("ix_calls_conversation")
    op.drop_table("calls")
