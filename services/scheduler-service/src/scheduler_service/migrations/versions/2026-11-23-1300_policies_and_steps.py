"""Policies, invoice plans and their steps.

Revision ID: scheduler_0002
Revises: scheduler_0001
Create Date: 2026-11-23 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "scheduler_0002"
down_revision = "scheduler_0001"
branch_labels = None
depends_on = None

SCHEMA = "scheduler"


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("send_window", JSONB(), nullable=True),
        sa.Column("steps", JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="policies_pkey"),
        schema=SCHEMA,
    )
    op.create_index(
        "policies_tenant_created_idx", "policies", ["tenant_id", "created_at", "id"], schema=SCHEMA
    )
    op.create_index(
        "policies_one_default_per_tenant",
        "policies",
        ["tenant_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "invoice_plans",
        sa.Column("invoice_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("policy_id", UUID(as_uuid=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("send_window", JSONB(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name="invoice_plans_pkey"),
        sa.ForeignKeyConstraint(
            ["policy_id"], [f"{SCHEMA}.policies.id"], name="invoice_plans_policy_id_fkey"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "steps",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("invoice_id", UUID(as_uuid=True), nullable=False),
        sa.Column("debtor_id", UUID(as_uuid=True), nullable=False),
        sa.Column("policy_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("offset", sa.String(40), nullable=False),
        sa.Column("channels", JSONB(), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("tone", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("planned_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="steps_pkey"),
        sa.ForeignKeyConstraint(
            ["invoice_id"], [f"{SCHEMA}.invoice_plans.invoice_id"], name="steps_invoice_id_fkey"
        ),
        sa.UniqueConstraint("invoice_id", "step_index", name="steps_invoice_id_step_index_key"),
        sa.CheckConstraint(
            "status in ('scheduled', 'due', 'sent', 'failed', 'cancelled', 'skipped')",
            name="steps_status_check",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "steps_scheduled_due_idx",
        "steps",
        ["due_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'scheduled'"),
    )


def downgrade() -> None:
    op.drop_index("steps_scheduled_due_idx", table_name="steps", schema=SCHEMA)
    op.drop_table("steps", schema=SCHEMA)
    op.drop_table("invoice_plans", schema=SCHEMA)
    op.drop_index("policies_one_default_per_tenant", table_name="policies", schema=SCHEMA)
    op.drop_index("policies_tenant_created_idx", table_name="policies", schema=SCHEMA)
    op.drop_table("policies", schema=SCHEMA)
