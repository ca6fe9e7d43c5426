"""A step waits until the charges its message promises are known.

``invoices.charge_methods``: the methods payments-service announced for the
invoice (``charge-created.invoice_methods``); ``deliveries.waiting_for``: what a
pending delivery waits for (an arriving event wakes it); and
``deliveries.missing_instruments``: what a message went out without, past the
wait's deadline.

Revision ID: notifier_0003
Revises: notifier_0002
Create Date: 2026-12-02 10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notifier_0003"
down_revision = "notifier_0002"
branch_labels = None
depends_on = None

S = "notifier"


def upgrade() -> None:
    op.add_column("invoices", sa.Column("charge_methods", JSONB), schema=S)
    op.add_column("deliveries", sa.Column("waiting_for", sa.String(20)), schema=S)
    op.add_column("deliveries", sa.Column("missing_instruments", JSONB), schema=S)
    op.create_index(
        "deliveries_waiting_idx",
        "deliveries",
        ["tenant_id", "invoice_id"],
        schema=S,
        postgresql_where=sa.text("status = 'pending' AND waiting_for IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("deliveries_waiting_idx", table_name="deliveries", schema=S)
    op.drop_column("deliveries", "missing_instruments", schema=S)
    op.drop_column("deliveries", "waiting_for", schema=S)
    op.drop_column("invoices", "charge_methods", schema=S)
