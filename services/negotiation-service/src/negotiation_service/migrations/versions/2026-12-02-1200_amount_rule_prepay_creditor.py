"""Amount due computed for the day it is seen, agreement prepayment, the
portal's creditor settings, debtor segments and removed charges.

- invoices: the inputs of ``regua_br.amount_due`` (effective due date, frozen
  rates, applied payments); ``amount_due_cents`` stays only as the fallback of
  invoices whose issued event predates the rates.
- agreements: the day the offer was priced (prepayment discounts from it).
- installments: a payoff installment (early payment, CDC art. 52 §2) and the
  unpaid installments it replaced.
- debtors: the segment (offer rules per segment).
- charges: removed (a cobv removed or a boleto written off is never shown).
- portal_settings: who is collecting, shown on every portal page (CDC art. 42-A).

Revision ID: negotiation_0004
Revises: negotiation_0003
Create Date: 2026-12-02 12:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "negotiation_0004"
down_revision = "negotiation_0003"
branch_labels = None
depends_on = None

S = "negotiation"


def upgrade() -> None:
    op.add_column("invoices", sa.Column("effective_due_date", sa.Date()), schema=S)
    op.add_column("invoices", sa.Column("fine_bps", sa.Integer()), schema=S)
    op.add_column("invoices", sa.Column("monthly_interest_bps", sa.Integer()), schema=S)
    op.add_column(
        "invoices",
        sa.Column("payments", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
        schema=S,
    )
    op.add_column("invoices", sa.Column("payments_changed_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("agreements", sa.Column("start_date", sa.Date()), schema=S)
    op.add_column(
        "installments",
        sa.Column("payoff", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema=S,
    )
    op.add_column("installments", sa.Column("replaced_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("debtors", sa.Column("segment", sa.String(64)), schema=S)
    op.add_column("charges", sa.Column("removed_at", sa.DateTime(timezone=True)), schema=S)
    op.create_table(
        "portal_settings",
        sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("creditor_name", sa.String(200), nullable=False),
        sa.Column("creditor_document", sa.String(14), nullable=False),
        sa.Column("creditor_address", sa.String(300), nullable=False),
        sa.Column("contact_email", sa.String(254)),
        sa.Column("contact_phone", sa.String(20)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "contact_email IS NOT NULL OR contact_phone IS NOT NULL",
            name="portal_settings_contact_check",
        ),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("portal_settings", schema=S)
    op.drop_column("charges", "removed_at", schema=S)
    op.drop_column("debtors", "segment", schema=S)
    op.drop_column("installments", "replaced_at", schema=S)
    op.drop_column("installments", "payoff", schema=S)
    op.drop_column("agreements", "start_date", schema=S)
    for column in (
        "payments_changed_at",
        "payments",
        "monthly_interest_bps",
        "fine_bps",
        "effective_due_date",
    ):
        op.drop_column("invoices", column, schema=S)
