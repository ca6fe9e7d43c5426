"""Consent history: every change of a debtor's consent per channel, with who,
when and the legal basis cited (LGPD).

Revision ID: invoice_0005
Revises: invoice_0004
Create Date: 2026-12-02 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "invoice_0005"
down_revision = "invoice_0004"
branch_labels = None
depends_on = None

S = "invoice"


def upgrade() -> None:
    op.create_table(
        "consent_changes",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("basis_kind", sa.String(40)),
        sa.Column("basis_reference", sa.String(500)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="consent_changes_pkey"),
        sa.UniqueConstraint("seq", name="consent_changes_seq_key"),
        sa.ForeignKeyConstraint(["debtor_id"], [f"{S}.debtors.id"], name="consent_changes_debtor_id_fkey"),
        sa.CheckConstraint("source in ('debtor', 'api')", name="consent_changes_source_check"),
        sa.CheckConstraint(
            "(basis_kind is null) = (basis_reference is null)", name="consent_changes_basis_complete_check"
        ),
        schema=S,
    )
    op.create_index(
        "consent_changes_debtor_idx",
        "consent_changes",
        ["tenant_id", "debtor_id", "channel", "seq"],
        schema=S,
    )


def downgrade() -> None:
    op.drop_index("consent_changes_debtor_idx", table_name="consent_changes", schema=S)
    op.drop_table("consent_changes", schema=S)
