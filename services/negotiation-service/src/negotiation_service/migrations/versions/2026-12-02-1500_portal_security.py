"""Portal security: the first-device challenge, link locks and revocation.

- debtors: ``challenge_digest``, a keyed hash (HMAC with a portal key) of the
  first 3 characters of the debtor's CPF/CNPJ; the document is never stored.
- portal_link_attempts: wrong answers per link, and when the link was locked.
- portal_revocations: links, sessions and devices of a debtor issued up to
  ``revoked_before`` are void.

Revision ID: negotiation_0005
Revises: negotiation_0004
Create Date: 2026-12-02 15:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "negotiation_0005"
down_revision = "negotiation_0004"
branch_labels = None
depends_on = None

S = "negotiation"


def upgrade() -> None:
    op.add_column("debtors", sa.Column("challenge_digest", sa.String(64)), schema=S)
    op.create_table(
        "portal_link_attempts",
        sa.Column("link_id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "portal_revocations",
        sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("debtor_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("revoked_before", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("portal_revocations", schema=S)
    op.drop_table("portal_link_attempts", schema=S)
    op.drop_column("debtors", "challenge_digest", schema=S)
