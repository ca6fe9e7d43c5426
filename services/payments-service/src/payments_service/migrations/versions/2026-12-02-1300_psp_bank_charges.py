"""Charges through the tenant's PSP (cobv) and bank (registered boleto): PSP and
bank accounts, the debtors and invoices the charges are built from, the charge's
gateway state; barcodes unique whatever the tenant; no service-wide Pix key.

Charges made before (static codes with a 32-character txid on a service-wide
key, unregistered boletos) are marked ``removed``: payments that still arrive
for them are matched as before, but none is offered again. Of boletos that
share a barcode (two tenants, same amount and date) only the oldest keeps it.

Revision ID: payments_0003
Revises: payments_0002
Create Date: 2026-12-02 13:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "payments_0003"
down_revision = "payments_0002"
branch_labels = None
depends_on = None

S = "payments"


def upgrade() -> None:
    op.alter_column("pix_settings", "pix_key", nullable=True, schema=S)
    op.alter_column("pix_settings", "merchant_name", nullable=True, schema=S)
    op.alter_column("pix_settings", "merchant_city", nullable=True, schema=S)
    op.add_column(
        "pix_settings",
        sa.Column("static_codes", sa.Boolean(), nullable=False, server_default="false"),
        schema=S,
    )
    op.create_table(
        "psp_accounts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("base_url", sa.String(300), nullable=False),
        sa.Column("token_url", sa.String(300)),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("client_secret_last4", sa.String(4), nullable=False),
        sa.Column("pix_key", sa.String(77), nullable=False),
        sa.Column("client_cert_path", sa.String(500)),
        sa.Column("client_key_path", sa.String(500)),
        sa.Column("ca_bundle_path", sa.String(500)),
        sa.Column("days_valid_after_due", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("swept_until", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", name="psp_accounts_pkey"),
        schema=S,
    )
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("base_url", sa.String(300), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("client_secret_last4", sa.String(4), nullable=False),
        sa.Column("bank_code", sa.String(3), nullable=False),
        sa.Column("agency", sa.String(10), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("agreement", sa.String(20), nullable=False),
        sa.Column("wallet", sa.String(5), nullable=False),
        sa.Column("beneficiary_name", sa.String(100), nullable=False),
        sa.Column("beneficiary_document", sa.String(14), nullable=False),
        sa.Column("days_valid_after_due", sa.Integer(), nullable=False),
        sa.Column("last_nosso_numero", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="bank_accounts_pkey"),
        sa.UniqueConstraint(
            "bank_code",
            "agency",
            "account",
            "agreement",
            name="bank_accounts_bank_code_agency_account_agreement_key",
        ),
        schema=S,
    )
    op.create_index(
        "bank_accounts_tenant_current_idx",
        "bank_accounts",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("current"),
        schema=S,
    )
    op.create_table(
        "debtors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("debtor_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.String(14), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "debtor_id", name="debtors_pkey"),
        schema=S,
    )
    op.create_table(
        "invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("debtor_id", sa.Uuid(), nullable=False),
        sa.Column("principal_cents", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("effective_due_date", sa.Date(), nullable=False),
        sa.Column("fine_bps", sa.Integer(), nullable=False),
        sa.Column("monthly_interest_bps", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payments", JSONB(), nullable=False, server_default="[]"),
        sa.Column("methods", JSONB(), nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("tenant_id", "invoice_id", name="invoices_pkey"),
        schema=S,
    )

    def add(column: sa.Column) -> None:  # type: ignore[type-arg]
        op.add_column("charges", column, schema=S)

    add(sa.Column("kind", sa.String(10), nullable=False, server_default="static"))
    add(sa.Column("status", sa.String(20), nullable=False, server_default="removed"))
    add(sa.Column("status_reason", sa.String(300)))
    add(sa.Column("fine_bps", sa.Integer(), nullable=False, server_default="0"))
    add(sa.Column("monthly_interest_bps", sa.Integer(), nullable=False, server_default="0"))
    add(sa.Column("days_valid_after_due", sa.Integer(), nullable=False, server_default="0"))
    add(sa.Column("location", sa.String(200)))
    add(sa.Column("bank_account_id", sa.Uuid()))
    add(sa.Column("action", sa.String(10)))
    add(sa.Column("action_seq", sa.Integer(), nullable=False, server_default="0"))
    add(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    add(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    add(sa.Column("last_error", sa.String(300)))
    add(sa.Column("announced", sa.Boolean(), nullable=False, server_default="false"))
    add(sa.Column("superseded", sa.Boolean(), nullable=False, server_default="false"))
    add(sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.execute(
        """
        update payments.charges set
            kind = case method when 'pix' then 'static' else method end,
            status = 'removed',
            status_reason = 'made before charges went through the PSP and the bank',
            announced = true,
            superseded = true,
            updated_at = created_at
        """
    )
    op.execute(
        """
        update payments.charges c set barcode = null, digitable_line = null
        where c.barcode is not null and exists (
            select 1 from payments.charges d
            where d.barcode = c.barcode and (d.created_at, d.id) < (c.created_at, c.id)
        )
        """
    )
    op.alter_column("charges", "kind", server_default=None, schema=S)
    op.alter_column("charges", "status", server_default=None, schema=S)
    op.alter_column("charges", "updated_at", nullable=False, schema=S)
    # A downgrade does not restore it (replaced charges stay): drop it only if present.
    op.execute("alter table payments.charges drop constraint if exists charges_tenant_invoice_method_key")
    op.drop_constraint("charges_tenant_barcode_key", "charges", schema=S)
    op.create_unique_constraint("charges_barcode_key", "charges", ["barcode"], schema=S)
    op.create_unique_constraint(
        "charges_bank_account_id_nosso_numero_key", "charges", ["bank_account_id", "nosso_numero"], schema=S
    )
    op.create_foreign_key(
        "charges_bank_account_id_fkey",
        "charges",
        "bank_accounts",
        ["bank_account_id"],
        ["id"],
        source_schema=S,
        referent_schema=S,
    )
    op.create_check_constraint(
        "charges_kind_check", "charges", "kind in ('cobv', 'static', 'boleto', 'card')", schema=S
    )
    op.create_check_constraint(
        "charges_status_check",
        "charges",
        "status in ('pending', 'active', 'not_configured', 'failed', 'removed')",
        schema=S,
    )
    op.create_check_constraint(
        "charges_action_check",
        "charges",
        "action is null or action in ('create', 'revise', 'remove')",
        schema=S,
    )
    # Old static codes (32-character txids) are all removed; a new one has at most 25.
    op.create_check_constraint(
        "charges_static_txid_length_check",
        "charges",
        "kind <> 'static' or status = 'removed' or length(txid) <= 25",
        schema=S,
    )
    op.create_index(
        "charges_tenant_invoice_method_current_idx",
        "charges",
        ["tenant_id", "invoice_id", "method"],
        unique=True,
        postgresql_where=sa.text("not superseded"),
        schema=S,
    )
    op.create_index(
        "charges_due_action_idx",
        "charges",
        ["next_attempt_at"],
        postgresql_where=sa.text("action is not null"),
        schema=S,
    )
    op.drop_table("boleto_sequences", schema=S)


def downgrade() -> None:
    """Back to one table of charges without gateway state. Replaced charges
    are kept (payments may refer to them), so the one-charge-per-method
    constraint of payments_0002 is not restored."""
    op.create_table(
        "boleto_sequences",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="boleto_sequences_pkey"),
        schema=S,
    )
    op.drop_index("charges_due_action_idx", "charges", schema=S)
    op.drop_index("charges_tenant_invoice_method_current_idx", "charges", schema=S)
    for name in (
        "charges_static_txid_length_check",
        "charges_action_check",
        "charges_status_check",
        "charges_kind_check",
    ):
        op.drop_constraint(name, "charges", type_="check", schema=S)
    op.drop_constraint("charges_bank_account_id_fkey", "charges", type_="foreignkey", schema=S)
    op.drop_constraint("charges_bank_account_id_nosso_numero_key", "charges", schema=S)
    op.drop_constraint("charges_barcode_key", "charges", schema=S)
    op.create_unique_constraint("charges_tenant_barcode_key", "charges", ["tenant_id", "barcode"], schema=S)
    for column in (
        "updated_at",
        "superseded",
        "announced",
        "last_error",
        "next_attempt_at",
        "attempts",
        "action_seq",
        "action",
        "bank_account_id",
        "location",
        "days_valid_after_due",
        "monthly_interest_bps",
        "fine_bps",
        "status_reason",
        "status",
        "kind",
    ):
        op.drop_column("charges", column, schema=S)
    op.drop_table("invoices", schema=S)
    op.drop_table("debtors", schema=S)
    op.drop_index("bank_accounts_tenant_current_idx", "bank_accounts", schema=S)
    op.drop_table("bank_accounts", schema=S)
    op.drop_table("psp_accounts", schema=S)
    op.drop_column("pix_settings", "static_codes", schema=S)
