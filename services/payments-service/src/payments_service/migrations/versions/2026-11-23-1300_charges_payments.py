"""Pix settings, charges, payments, reversals and the webhook reconciliation log.

Revision ID: payments_0002
Revises: payments_0001
Create Date: 2026-11-23 13:00
"""

import sqlalchemy as sa
from alembic import op

revision = "payments_0002"
down_revision = "payments_0001"
branch_labels = None
depends_on = None

S = "payments"


def upgrade() -> None:
    op.create_table(
        "pix_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("pix_key", sa.String(77), nullable=False),
        sa.Column("merchant_name", sa.String(100), nullable=False),
        sa.Column("merchant_city", sa.String(100), nullable=False),
        sa.Column("webhook_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("webhook_secret_last4", sa.String(4), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pix_settings_pkey"),
        schema=S,
    )
    op.create_table(
        "boleto_sequences",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="boleto_sequences_pkey"),
        schema=S,
    )
    op.create_table(
        "charges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("debtor_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("txid", sa.String(35)),
        sa.Column("pix_copy_paste", sa.String(512)),
        sa.Column("nosso_numero", sa.BigInteger()),
        sa.Column("barcode", sa.String(44)),
        sa.Column("digitable_line", sa.String(47)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="charges_pkey"),
        sa.CheckConstraint("method in ('pix', 'boleto', 'card')", name="charges_method_check"),
        sa.CheckConstraint("amount_cents > 0", name="charges_amount_positive_check"),
        sa.UniqueConstraint("tenant_id", "invoice_id", "method", name="charges_tenant_invoice_method_key"),
        sa.UniqueConstraint("tenant_id", "txid", name="charges_tenant_txid_key"),
        sa.UniqueConstraint("tenant_id", "barcode", name="charges_tenant_barcode_key"),
        schema=S,
    )
    op.create_index("charges_tenant_invoice_idx", "charges", ["tenant_id", "invoice_id", "id"], schema=S)
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charge_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("debtor_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("gateway_reference", sa.String(100), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reversed_cents", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="payments_pkey"),
        sa.ForeignKeyConstraint(["charge_id"], [f"{S}.charges.id"], name="payments_charge_id_fkey"),
        sa.CheckConstraint("amount_cents > 0", name="payments_amount_positive_check"),
        sa.CheckConstraint(
            "reversed_cents >= 0 and reversed_cents <= amount_cents",
            name="payments_reversed_within_paid_check",
        ),
        sa.UniqueConstraint(
            "tenant_id", "method", "gateway_reference", name="payments_tenant_method_reference_key"
        ),
        schema=S,
    )
    op.create_index("payments_tenant_invoice_idx", "payments", ["tenant_id", "invoice_id"], schema=S)
    op.create_table(
        "reversals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("gateway_reference", sa.String(150), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="reversals_pkey"),
        sa.ForeignKeyConstraint(["payment_id"], [f"{S}.payments.id"], name="reversals_payment_id_fkey"),
        sa.CheckConstraint("kind in ('refund', 'chargeback')", name="reversals_kind_check"),
        sa.CheckConstraint("amount_cents > 0", name="reversals_amount_positive_check"),
        sa.UniqueConstraint("tenant_id", "gateway_reference", name="reversals_tenant_reference_key"),
        schema=S,
    )
    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(150)),
        sa.Column("detail", sa.String(300)),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="webhook_rejections_pkey"),
        schema=S,
    )
    op.create_index(
        "webhook_rejections_tenant_received_idx", "webhook_rejections", ["tenant_id", "received_at"], schema=S
    )


def downgrade() -> None:
    for table in (
        "webhook_rejections",
        "reversals",
        "payments",
        "charges",
        "boleto_sequences",
        "pix_settings",
    ):
        op.drop_table(table, schema=S)
