"""Offer rules, invoice projection, agreements and installments.

Revision ID: negotiation_0002
Revises: negotiation_0001
Create Date: 2026-11-23 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "negotiation_0002"
down_revision = "negotiation_0001"
branch_labels = None
depends_on = None

S = "negotiation"


def upgrade() -> None:
    op.create_table(
        "offer_rules",
        sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("rules", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "invoices",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("amount_due_cents", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("agreement_id", UUID(as_uuid=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("invoices_tenant_id_debtor_id_idx", "invoices", ["tenant_id", "debtor_id"], schema=S)
    op.create_table(
        "agreements",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("invoice_ids", JSONB(), nullable=False),
        sa.Column("original_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("monthly_rate", sa.String(16), nullable=False),
        sa.Column("tolerance_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_index(
        "agreements_tenant_id_debtor_id_seq_idx", "agreements", ["tenant_id", "debtor_id", "seq"], schema=S
    )
    op.create_table(
        "installments",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("agreement_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_index("installments_agreement_id_idx", "installments", ["agreement_id"], schema=S)
    op.create_table(
        "agreement_invoices",
        sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("invoice_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("agreement_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        schema=S,
    )
    op.create_index(
        "agreement_invoices_active_key",
        "agreement_invoices",
        ["tenant_id", "invoice_id"],
        unique=True,
        postgresql_where=sa.text("active"),
        schema=S,
    )


def downgrade() -> None:
    for table in ("agreement_invoices", "installments", "agreements", "invoices", "offer_rules"):
        op.drop_table(table, schema=S)
