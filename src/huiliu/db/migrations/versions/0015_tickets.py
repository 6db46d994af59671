"""tickets: tickets, their comments, history and transcripts, and ticket settings

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import huiliu.db.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, huiliu.db.base.UTCDateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "ticket_settings",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        _at("updated_at", nullable=False),
        _fk("ticket_settings", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_ticket_settings_tenant_id")),
    )
    op.create_table(
        "tickets",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column(
            "priority", _enum("ticketpriority", "low", "normal", "high", "urgent"), nullable=False
        ),
        sa.Column(
            "status", _enum("ticketstatus", "open", "pending", "solved", "closed"), nullable=False
        ),
        sa.Column("assignee_id", BIG, nullable=True),
        sa.Column("group_id", BIG, nullable=True),
        sa.Column("contact_id", BIG, nullable=True),
        sa.Column("conversation_id", BIG, nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("channel_account_id", BIG, nullable=True),
        sa.Column(
            "source",
            _enum("ticketsource", "conversation", "left_message", "email", "manual", "api"),
            nullable=False,
        ),
        sa.Column("custom_fields", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("created_by_id", BIG, nullable=True),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _at("first_response_at"),
        _at("solved_at"),
        _at("closed_at"),
        _at("first_response_due_at"),
        _at("first_response_warn_at"),
        _at("resolution_due_at"),
        _at("resolution_warn_at"),
        _at("paused_at"),
        sa.Column("paused_s", sa.Integer(), nullable=False),
        sa.Column("first_response_warned", sa.Boolean(), nullable=False),
        sa.Column("first_response_breached", sa.Boolean(), nullable=False),
        sa.Column("resolution_warned", sa.Boolean(), nullable=False),
        sa.Column("resolution_breached", sa.Boolean(), nullable=False),
        _fk("tickets", "assignee_id", "accounts"),
        _fk("tickets", "channel_account_id", "channel_accounts"),
        _fk("tickets", "contact_id", "contacts"),
        _fk("tickets", "conversation_id", "conversations"),
        _fk("tickets", "created_by_id", "accounts"),
        _fk("tickets", "group_id", "groups"),
        _fk("tickets", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_tickets_tenant_id_number")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tickets_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_tenant_assignee", ["tenant_id", "assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_tenant_contact", ["tenant_id", "contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_tenant_status", ["tenant_id", "status", "created_at"], unique=False
        )
    op.create_table(
        "ticket_comments",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("ticket_id", BIG, nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=True),
        sa.Column("conversation_id", BIG, nullable=True),
        sa.Column("message_id", BIG, nullable=True),
        _at("created_at", nullable=False),
        _fk("ticket_comments", "tenant_id", "tenants"),
        _fk("ticket_comments", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_comments")),
    )
    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_comments_ticket", ["ticket_id", "id"], unique=False)
    op.create_table(
        "ticket_history",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("ticket_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old", JSON, nullable=True),
        sa.Column("new", JSON, nullable=True),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        _at("created_at", nullable=False),
        _fk("ticket_history", "tenant_id", "tenants"),
        _fk("ticket_history", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_history")),
    )
    with op.batch_alter_table("ticket_history", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_history_ticket", ["ticket_id", "id"], unique=False)
    op.create_table(
        "ticket_transcripts",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("ticket_id", BIG, nullable=False),
        sa.Column("conversation_id", BIG, nullable=False),
        sa.Column("messages", JSON, nullable=False),
        _at("created_at", nullable=False),
        _fk("ticket_transcripts", "conversation_id", "conversations"),
        _fk("ticket_transcripts", "tenant_id", "tenants"),
        _fk("ticket_transcripts", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_transcripts")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_ticket_transcripts_ticket_id")),
    )


def downgrade() -> None:
    op.drop_table("ticket_transcripts")
    with op.batch_alter_table("ticket_history", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_history_ticket")
    op.drop_table("ticket_history")
    with op.batch_alter_table("ticket_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_comments_ticket")
    op.drop_table("ticket_comments")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tenant_status")
        batch_op.drop_index("ix_tickets_tenant_contact")
        batch_op.drop_index("ix_tickets_tenant_assignee")
        batch_op.drop_index(batch_op.f("ix_tickets_conversation_id"))
    op.drop_table("tickets")
    op.drop_table("ticket_settings")
