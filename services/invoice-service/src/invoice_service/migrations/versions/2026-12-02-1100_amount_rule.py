"""One amount rule: effective due date frozen per invoice, payment days, tenant
holidays, debtor segment.

Revision ID: invoice_0004
Revises: invoice_0003
Create Date: 2026-12-02 11:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from regua_br.calendar import DEFAULT_TIMEZONE, next_business_day

revision = "invoice_0004"
down_revision = "invoice_0003"
branch_labels = None
depends_on = None

S = "invoice"


def upgrade() -> None:
    op.add_column(
        "tenant_settings",
        sa.Column("holidays", ARRAY(sa.Date()), nullable=False, server_default=sa.text("'{}'::date[]")),
        schema=S,
    )
    op.add_column("debtors", sa.Column("segment", sa.String(64)), schema=S)

    op.add_column("invoices", sa.Column("effective_due_date", sa.Date()), schema=S)
    bind = op.get_bind()
    # Existing invoices: national holidays only (tenants had no holidays of their own yet).
    for (due,) in bind.execute(sa.text(f"select distinct due_date from {S}.invoices")).all():  # noqa: S608
        bind.execute(
            sa.text(f"update {S}.invoices set effective_due_date = :eff where due_date = :due"),  # noqa: S608
            {"eff": next_business_day(due), "due": due},
        )
    op.alter_column("invoices", "effective_due_date", nullable=False, schema=S)
    op.create_check_constraint(
        op.f("invoices_effective_not_before_due_check"),
        "invoices",
        "effective_due_date >= due_date",
        schema=S,
    )
    op.drop_index("invoices_overdue_scan_idx", table_name="invoices", schema=S)
    op.create_index(
        "invoices_overdue_scan_idx",
        "invoices",
        ["effective_due_date"],
        schema=S,
        postgresql_where=sa.text("overdue_since IS NULL AND status IN ('open', 'partially_paid')"),
    )

    op.add_column("payments", sa.Column("paid_on", sa.Date()), schema=S)
    op.execute(
        f"update {S}.payments p set paid_on = (p.paid_at at time zone coalesce("  # noqa: S608
        f"(select t.timezone from {S}.tenant_settings t where t.tenant_id = p.tenant_id), "
        f"'{DEFAULT_TIMEZONE}'))::date"
    )
    op.alter_column("payments", "paid_on", nullable=False, schema=S)


def downgrade() -> None:
    op.drop_column("payments", "paid_on", schema=S)
    op.drop_index("invoices_overdue_scan_idx", table_name="invoices", schema=S)
    op.create_index(
        "invoices_overdue_scan_idx",
        "invoices",
        ["due_date"],
        schema=S,
        postgresql_where=sa.text("overdue_since IS NULL AND status IN ('open', 'partially_paid')"),
    )
    op.drop_constraint(op.f("invoices_effective_not_before_due_check"), "invoices", type_="check", schema=S)
    op.drop_column("invoices", "effective_due_date", schema=S)
    op.drop_column("debtors", "segment", schema=S)
    op.drop_column("tenant_settings", "holidays", schema=S)
