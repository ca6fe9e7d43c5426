"""Tenant settings, debtors, invoices, payments.

Revision ID: invoice_0002
Revises: invoice_0001
Create Date: 2026-11-23 14:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "invoice_0002"
down_revision = "invoice_0001"
branch_labels = None
depends_on = None

S = "invoice"


def upgrade() -> None:
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("late_fine_bps", sa.Integer(), nullable=False),
        sa.Column("monthly_interest_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="tenant_settings_pkey"),
        schema=S,
    )
    op.create_table(
        "debtors",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", sa.String(14), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(16)),
        sa.Column("whatsapp", sa.String(16)),
        sa.Column("preferred_channels", JSONB(), nullable=False),
        sa.Column("consents", JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="debtors_pkey"),
        sa.UniqueConstraint("seq", name="debtors_seq_key"),
        sa.UniqueConstraint("tenant_id", "external_id", name="debtors_tenant_id_external_id_key"),
        schema=S,
    )
    op.create_table(
        "invoices",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="BRL"),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("late_fine_bps", sa.Integer(), nullable=False),
        sa.Column("monthly_interest_bps", sa.Integer(), nullable=False),
        sa.Column("amount_paid_cents", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("overdue_since", sa.Date()),
        sa.Column("settled_on", sa.Date()),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="invoices_pkey"),
        sa.UniqueConstraint("seq", name="invoices_seq_key"),
        sa.UniqueConstraint("tenant_id", "external_id", name="invoices_tenant_id_external_id_key"),
        sa.ForeignKeyConstraint(["debtor_id"], [f"{S}.debtors.id"], name="invoices_debtor_id_fkey"),
        sa.CheckConstraint("amount_cents > 0", name="invoices_amount_positive_check"),
        sa.CheckConstraint("amount_paid_cents >= 0", name="invoices_paid_not_negative_check"),
        schema=S,
    )
    op.create_index("invoices_tenant_id_status_idx", "invoices", ["tenant_id", "status"], schema=S)
    op.create_index("invoices_debtor_id_idx", "invoices", ["debtor_id"], schema=S)
    op.create_index(
        "invoices_overdue_scan_idx",
        "invoices",
        ["due_date"],
        schema=S,
        postgresql_where=sa.text("overdue_since IS NULL AND status IN ('open', 'partially_paid')"),
    )
    op.create_table(
        "payments",
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", UUID(as_uuid=True), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reversed_cents", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("gateway_reference", sa.String(100), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="payments_pkey"),
        sa.ForeignKeyConstraint(["invoice_id"], [f"{S}.invoices.id"], name="payments_invoice_id_fkey"),
        schema=S,
    )
    op.create_index("payments_invoice_id_idx", "payments", ["invoice_id"], schema=S)
    op.create_table(
        "payment_reversals",
        sa.Column("reversal_id", UUID(as_uuid=True), nullable=False),
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("applied_cents", sa.BigInteger(), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reversal_id", name="payment_reversals_pkey"),
        sa.ForeignKeyConstraint(
            ["payment_id"], [f"{S}.payments.payment_id"], name="payment_reversals_payment_id_fkey"
        ),
        schema=S,
    )
    op.create_table(
        "unmatched_payment_events",
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", UUID(as_uuid=True), nullable=False),
        sa.Column("payment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="unmatched_payment_events_pkey"),
        schema=S,
    )


def downgrade() -> None:
    for table in (
        "unmatched_payment_events",
        "payment_reversals",
        "payments",
        "invoices",
        "debtors",
        "tenant_settings",
    ):
        op.drop_table(table, schema=S)
