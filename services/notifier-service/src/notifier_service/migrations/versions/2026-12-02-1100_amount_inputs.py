"""The inputs of the amount due on the day a message is sent, and removed charges.

``invoices``: ``effective_due_date``, ``fine_bps``, ``monthly_interest_bps``
(from ``invoice.issued``) and ``payments`` / ``payments_changed_at`` (the full
list of the latest ``invoice.balance-changed``), ``charge_methods_at`` (the
newest charge-created's ``invoice_methods`` now replaces the methods, so a
revision that removed the cobv stops the wait for a Pix); ``charges``: the face
``amount_cents`` and ``removed_at`` / ``removed_reason`` (``charge-removed``).

Revision ID: notifier_0004
Revises: notifier_0003
Create Date: 2026-12-02 11:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "notifier_0004"
down_revision = "notifier_0003"
branch_labels = None
depends_on = None

S = "notifier"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("invoices", sa.Column("effective_due_date", sa.Date()), schema=S)
    op.add_column("invoices", sa.Column("fine_bps", sa.Integer()), schema=S)
    op.add_column("invoices", sa.Column("monthly_interest_bps", sa.Integer()), schema=S)
    op.add_column(
        "invoices",
        sa.Column("payments", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema=S,
    )
    op.add_column("invoices", sa.Column("payments_changed_at", TS), schema=S)
    op.add_column("invoices", sa.Column("charge_methods_at", TS), schema=S)
    op.add_column("charges", sa.Column("amount_cents", sa.BigInteger()), schema=S)
    op.add_column("charges", sa.Column("removed_at", TS), schema=S)
    op.add_column("charges", sa.Column("removed_reason", sa.String(200)), schema=S)


def downgrade() -> None:
    op.drop_column("charges", "removed_reason", schema=S)
    op.drop_column("charges", "removed_at", schema=S)
    op.drop_column("charges", "amount_cents", schema=S)
    op.drop_column("invoices", "charge_methods_at", schema=S)
    op.drop_column("invoices", "payments_changed_at", schema=S)
    op.drop_column("invoices", "payments", schema=S)
    op.drop_column("invoices", "monthly_interest_bps", schema=S)
    op.drop_column("invoices", "fine_bps", schema=S)
    op.drop_column("invoices", "effective_due_date", schema=S)
