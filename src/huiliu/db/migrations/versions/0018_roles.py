"""roles for larger departments: the merchant's roles with their permissions and scope,
service centres holding groups, and an account's role and centre

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import huiliu.db.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# The built-in roles every existing merchant gets (roles/permissions.py BUILTIN).
SUPERVISOR = [
    "conversations.monitor",
    "reports.view",
    "quality.review",
    "kb.edit",
    "replies.manage",
    "tickets.manage",
]
ADMIN = [
    "conversations.monitor",
    "reports.view",
    "quality.review",
    "kb.edit",
    "replies.manage",
    "tickets.manage",
    "agents.manage",
    "routing.manage",
    "channels.manage",
    "settings.manage",
    "org.manage",
]
BUILTINS = [
    ("agent", "客服", [], "groups"),
    ("supervisor", "主管", SUPERVISOR, "tenant"),
    ("admin", "管理员", ADMIN, "tenant"),
]


def upgrade() -> None:
    op.create_table(
        "centres",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_centres_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centres")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_centres_tenant_id_name")),
    )
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_centres_tenant_id"), ["tenant_id"], unique=False)

    roles = op.create_table(
        "roles",
        sa.Column("id", BIG, nullable=False),
        sa.Column("tenant_id", BIG, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "base",
            sa.Enum("agent", "supervisor", "admin", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("permissions", JSON, nullable=False),
        sa.Column(
            "scope",
            sa.Enum("tenant", "centre", "groups", name="scope", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", huiliu.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_roles_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_roles_tenant_id_name")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roles_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("centre_id", BIG, nullable=True))
        batch_op.create_index(batch_op.f("ix_groups_centre_id"), ["centre_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_groups_centre_id_centres"),
            "centres",
            ["centre_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_id", BIG, nullable=True))
        batch_op.add_column(sa.Column("centre_id", BIG, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_accounts_role_id_roles"),
            "roles",
            ["role_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_accounts_centre_id_centres"),
            "centres",
            ["centre_id"],
            ["id"],
            ondelete="SET NULL",
        )

    tenants = sa.table("tenants", sa.column("id", BIG))
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = [
        {
            "tenant_id": tenant_id,
            "name": name,
            "base": base,
            "builtin": True,
            "permissions": permissions,
            "scope": scope,
            "created_at": now,
        }
        for (tenant_id,) in conn.execute(sa.select(tenants.c.id))
        for base, name, permissions, scope in BUILTINS
    ]
    if rows:
        op.bulk_insert(roles, rows)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_accounts_centre_id_centres"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_accounts_role_id_roles"), type_="foreignkey")
        batch_op.drop_column("centre_id")
        batch_op.drop_column("role_id")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_groups_centre_id_centres"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_groups_centre_id"))
        batch_op.drop_column("centre_id")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roles_tenant_id"))
    op.drop_table("roles")
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centres_tenant_id"))
    op.drop_table("centres")
