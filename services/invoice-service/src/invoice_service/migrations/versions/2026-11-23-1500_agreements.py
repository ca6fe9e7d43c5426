"""Agreements: installment and renegotiated invoices, rejected agreement events.

Revision ID: invoice_0003
Revises: invoice_0002
Create Date: 2026-11-23 15:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "invoice_0003"
down_revision = "invoice_0002"
branch_labels = None
depends_on = None

S = "invoice"


def upgrade() -> None:
    op.add_column("invoices", sa.Column("agreement_id", UUID(as_uuid=True), nullable=True), schema=S)
    op.add_column("invoices", sa.Column("renegotiated_in", UUID(as_uuid=True), nullable=True), schema=S)
    op.create_index(
        "invoices_agreement_id_idx",
        "invoices",
        ["agreement_id"],
        schema=S,
        postgresql_where=sa.text("agreement_id IS NOT NULL"),
    )
    op.create_table(
        "rejected_agreement_events",
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("invoice_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("agreement_id", UUID(as_uuid=True), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "invoice_id", name="rejected_agreement_events_pkey"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("rejected_agreement_events", schema=S)
    op.drop_index("invoices_agreement_id_idx", table_name="invoices", schema=S)
    op.drop_column("invoices", "renegotiated_in", schema=S)
    op.drop_column("invoices", "agreement_id", schema=S)
