"""Portal projections: charges (Pix, boleto) and debtors (name, consents).

Revision ID: negotiation_0003
Revises: negotiation_0002
Create Date: 2026-11-23 14:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "negotiation_0003"
down_revision = "negotiation_0002"
branch_labels = None
depends_on = None

S = "negotiation"


def upgrade() -> None:
    op.create_table(
        "charges",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", UUID(as_uuid=True), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("txid", sa.String(35)),
        sa.Column("pix_copy_paste", sa.String(512)),
        sa.Column("digitable_line", sa.String(47)),
        sa.Column("barcode", sa.String(44)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("charges_tenant_id_invoice_id_idx", "charges", ["tenant_id", "invoice_id"], schema=S)
    op.create_table(
        "debtors",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("consents", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("debtors", schema=S)
    op.drop_table("charges", schema=S)
