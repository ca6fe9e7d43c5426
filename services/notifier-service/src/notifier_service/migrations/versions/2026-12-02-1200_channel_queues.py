"""One send queue per channel.

``deliveries.next_channel``: the channel a pending delivery's next send goes
through, set by the sender's router once it has decided; null while nothing is
decided (new, waiting, or its last channel done). Each channel's loop claims
only the rows of its own channel along ``deliveries_channel_due_idx``; the
router claims the undecided ones along ``deliveries_unrouted_idx`` (which
replaces ``deliveries_pending_idx``). Rows pending at upgrade are undecided:
the router takes them.

Revision ID: notifier_0005
Revises: notifier_0004
Create Date: 2026-12-02 12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "notifier_0005"
down_revision = "notifier_0004"
branch_labels = None
depends_on = None

S = "notifier"


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("next_channel", sa.String(20)), schema=S)
    op.drop_index("deliveries_pending_idx", table_name="deliveries", schema=S)
    op.create_index(
        "deliveries_unrouted_idx",
        "deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending' AND next_channel IS NULL"),
    )
    op.create_index(
        "deliveries_channel_due_idx",
        "deliveries",
        ["next_channel", "next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending' AND next_channel IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("deliveries_channel_due_idx", table_name="deliveries", schema=S)
    op.drop_index("deliveries_unrouted_idx", table_name="deliveries", schema=S)
    op.create_index(
        "deliveries_pending_idx",
        "deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_column("deliveries", "next_channel", schema=S)
