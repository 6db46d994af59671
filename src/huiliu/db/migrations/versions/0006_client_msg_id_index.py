"""client_msg_id index: conversation and client_msg_id lead, so a resend lookup by both
probes the index instead of scanning the conversation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("uq_messages_client_msg_id")
        batch_op.create_index(
            "uq_messages_client_msg_id",
            ["conversation_id", "client_msg_id", "sender_type", "sender_id"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("uq_messages_client_msg_id")
        batch_op.create_index(
            "uq_messages_client_msg_id",
            ["conversation_id", "sender_type", "sender_id", "client_msg_id"],
            unique=True,
        )
