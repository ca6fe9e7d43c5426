"""Projections (debtors, invoices, charges), creditors, deliveries and their attempts.

Revision ID: notifier_0002
Revises: notifier_0001
Create Date: 2026-11-23 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

revision = "notifier_0002"
down_revision = "notifier_0001"
branch_labels = None
depends_on = None

S = "notifier"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "debtors",
        sa.Column("debtor_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(16)),
        sa.Column("whatsapp", sa.String(16)),
        sa.Column("preferred_channels", JSONB, nullable=False),
        sa.Column("consents", JSONB, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("debtor_id", name="debtors_pkey"),
        schema=S,
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("external_id", sa.String(128)),
        sa.Column("amount_cents", sa.BigInteger()),
        sa.Column("due_date", sa.Date()),
        sa.Column("status", sa.String(20)),
        sa.Column("status_changed_at", TS),
        sa.Column("amount_due_cents", sa.BigInteger()),
        sa.Column("payment_seen_at", TS),
        sa.PrimaryKeyConstraint("invoice_id", name="invoices_pkey"),
        schema=S,
    )
    op.create_table(
        "charges",
        sa.Column("charge_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("pix_copy_paste", sa.String(512)),
        sa.Column("digitable_line", sa.String(47)),
        sa.Column("barcode", sa.String(44)),
        sa.Column("payment_url", sa.String(500)),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name="charges_pkey"),
        schema=S,
    )
    op.create_index("charges_invoice_id_idx", "charges", ["invoice_id"], schema=S)
    op.create_table(
        "creditors",
        sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", sa.String(14), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("portal_base_url", sa.String(300), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="creditors_pkey"),
        schema=S,
    )
    op.create_table(
        "deliveries",
        sa.Column("message_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("step_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("tone", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("channels", JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20)),
        sa.Column("provider", sa.String(50)),
        sa.Column("provider_message_id", sa.String(200)),
        sa.Column("reason", sa.String(100)),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.PrimaryKeyConstraint("message_id", name="deliveries_pkey"),
        sa.UniqueConstraint("step_id", name="deliveries_step_id_key"),
        schema=S,
    )
    op.create_index(
        "deliveries_pending_idx",
        "deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "deliveries_tenant_invoice_idx", "deliveries", ["tenant_id", "invoice_id", "created_at"], schema=S
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("step_id", PG_UUID(as_uuid=True), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("step_id", "channel", name="delivery_attempts_pkey"),
        sa.UniqueConstraint("idempotency_key", name="delivery_attempts_idempotency_key_key"),
        schema=S,
    )


def downgrade() -> None:
    for table in ("delivery_attempts", "deliveries", "creditors", "charges", "invoices", "debtors"):
        op.drop_table(table, schema=S)
