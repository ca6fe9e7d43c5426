"""Invoice plans keyed by tenant and invoice: another tenant's event carrying
the same invoice id can neither take the plan's place nor touch its steps.

Revision ID: scheduler_0004
Revises: scheduler_0003
Create Date: 2026-12-02 14:00
"""

from alembic import op

revision = "scheduler_0004"
down_revision = "scheduler_0003"
branch_labels = None
depends_on = None

S = "scheduler"


def upgrade() -> None:
    op.drop_constraint("steps_invoice_id_fkey", "steps", schema=S)
    op.drop_constraint("steps_invoice_id_step_index_key", "steps", schema=S)
    op.drop_constraint("invoice_plans_pkey", "invoice_plans", schema=S)
    op.create_primary_key("invoice_plans_pkey", "invoice_plans", ["tenant_id", "invoice_id"], schema=S)
    op.create_unique_constraint(
        "steps_tenant_invoice_step_index_key", "steps", ["tenant_id", "invoice_id", "step_index"], schema=S
    )
    op.create_foreign_key(
        "steps_plan_fkey",
        "steps",
        "invoice_plans",
        ["tenant_id", "invoice_id"],
        ["tenant_id", "invoice_id"],
        source_schema=S,
        referent_schema=S,
    )


def downgrade() -> None:
    op.drop_constraint("steps_plan_fkey", "steps", schema=S)
    op.drop_constraint("steps_tenant_invoice_step_index_key", "steps", schema=S)
    op.drop_constraint("invoice_plans_pkey", "invoice_plans", schema=S)
    op.create_primary_key("invoice_plans_pkey", "invoice_plans", ["invoice_id"], schema=S)
    op.create_unique_constraint(
        "steps_invoice_id_step_index_key", "steps", ["invoice_id", "step_index"], schema=S
    )
    op.create_foreign_key(
        "steps_invoice_id_fkey",
        "steps",
        "invoice_plans",
        ["invoice_id"],
        ["invoice_id"],
        source_schema=S,
        referent_schema=S,
    )
