"""quality review: checklists, review batches and their items, reviews, their change log,
and quality settings

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import huiliu.db.base

revision: str = "0017"
down_revision: str | None = "0016"
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
        "quality_settings",
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("settings", JSON, nullable=False),
        _at("updated_at", nullable=False),
        _fk("quality_settings", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_quality_settings")),
    )
    op.create_table(
        "quality_checklists",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", BIG, nullable=True),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _fk("quality_checklists", "created_by_id", "accounts"),
        _fk("quality_checklists", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_checklists")),
    )
    with op.batch_alter_table("quality_checklists", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_checklists_tenant", ["tenant_id", "archived"], unique=False
        )
        batch_op.create_index(
            "uq_quality_checklists_default",
            ["tenant_id"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )
    op.create_table(
        "quality_batches",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("checklist_id", BIG, nullable=False),
        sa.Column(
            "mode", _enum("samplemode", "random", "low_score", "long", "by_agent"), nullable=False
        ),
        sa.Column("params", JSON, nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("assignee_id", BIG, nullable=False),
        sa.Column("created_by_id", BIG, nullable=False),
        _at("created_at", nullable=False),
        _fk("quality_batches", "assignee_id", "accounts"),
        _fk("quality_batches", "checklist_id", "quality_checklists"),
        _fk("quality_batches", "created_by_id", "accounts"),
        _fk("quality_batches", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_batches")),
    )
    with op.batch_alter_table("quality_batches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_batches_assignee", ["tenant_id", "assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_quality_batches_tenant", ["tenant_id", "created_at"], unique=False
        )
    op.create_table(
        "quality_batch_items",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("batch_id", BIG, nullable=False),
        sa.Column("conversation_id", BIG, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("agent_id", BIG, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        _at("closed_at", nullable=False),
        sa.Column("rating_score", sa.Integer(), nullable=True),
        sa.Column("rating_scale", sa.Integer(), nullable=True),
        sa.Column("handling_s", sa.Double(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=True),
        _fk("quality_batch_items", "agent_id", "accounts"),
        _fk("quality_batch_items", "batch_id", "quality_batches"),
        _fk("quality_batch_items", "conversation_id", "conversations"),
        _fk("quality_batch_items", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_batch_items")),
        sa.UniqueConstraint(
            "batch_id",
            "conversation_id",
            name=op.f("uq_quality_batch_items_batch_id_conversation_id"),
        ),
    )
    with op.batch_alter_table("quality_batch_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_batch_items_conversation", ["tenant_id", "conversation_id"], unique=False
        )
    op.create_table(
        "quality_reviews",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("batch_id", BIG, nullable=False),
        sa.Column("conversation_id", BIG, nullable=False),
        sa.Column("agent_id", BIG, nullable=False),
        sa.Column("reviewer_id", BIG, nullable=False),
        sa.Column("checklist_id", BIG, nullable=False),
        sa.Column("checklist_version", sa.Integer(), nullable=False),
        sa.Column("checklist_name", sa.String(length=100), nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("scores", JSON, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "status", _enum("reviewstatus", "draft", "submitted", "disputed"), nullable=False
        ),
        sa.Column("total_score", sa.Double(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        _at("created_at", nullable=False),
        _at("updated_at", nullable=False),
        _at("submitted_at"),
        _at("published_at"),
        _at("agent_read_at"),
        sa.Column("dispute_comment", sa.Text(), nullable=True),
        _at("disputed_at"),
        sa.Column("dispute_outcome", sa.String(length=16), nullable=True),
        sa.Column("dispute_resolution", sa.Text(), nullable=True),
        _at("dispute_resolved_at"),
        sa.Column("dispute_resolved_by_id", BIG, nullable=True),
        _fk("quality_reviews", "agent_id", "accounts"),
        _fk("quality_reviews", "batch_id", "quality_batches"),
        _fk("quality_reviews", "checklist_id", "quality_checklists"),
        _fk("quality_reviews", "conversation_id", "conversations"),
        _fk("quality_reviews", "dispute_resolved_by_id", "accounts"),
        _fk("quality_reviews", "reviewer_id", "accounts"),
        _fk("quality_reviews", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_reviews")),
        sa.UniqueConstraint(
            "batch_id", "conversation_id", name=op.f("uq_quality_reviews_batch_id_conversation_id")
        ),
    )
    with op.batch_alter_table("quality_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_reviews_agent", ["tenant_id", "agent_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_quality_reviews_tenant", ["tenant_id", "status", "updated_at"], unique=False
        )
    op.create_table(
        "quality_review_changes",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("review_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("data", JSON, nullable=False),
        _at("created_at", nullable=False),
        _fk("quality_review_changes", "review_id", "quality_reviews"),
        _fk("quality_review_changes", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_review_changes")),
    )
    with op.batch_alter_table("quality_review_changes", schema=None) as batch_op:
        batch_op.create_index("ix_quality_review_changes_review", ["review_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_review_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_review_changes_review")
    op.drop_table("quality_review_changes")
    with op.batch_alter_table("quality_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_reviews_tenant")
        batch_op.drop_index("ix_quality_reviews_agent")
    op.drop_table("quality_reviews")
    with op.batch_alter_table("quality_batch_items", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_batch_items_conversation")
    op.drop_table("quality_batch_items")
    with op.batch_alter_table("quality_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_batches_tenant")
        batch_op.drop_index("ix_quality_batches_assignee")
    op.drop_table("quality_batches")
    with op.batch_alter_table("quality_checklists", schema=None) as batch_op:
        batch_op.drop_index("uq_quality_checklists_default")
        batch_op.drop_index("ix_quality_checklists_tenant")
    op.drop_table("quality_checklists")
    op.drop_table("quality_settings")
