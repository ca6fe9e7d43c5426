"""Tables of payments-service, all in the ``payments`` schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "payments"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)

#: A tenant's webhook secret (encrypted) and its static-code option (a plain key).
pix_settings = Table(
    "pix_settings",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("pix_key", String(77)),
    Column("merchant_name", String(100)),
    Column("merchant_city", String(100)),
    Column("static_codes", Boolean, nullable=False, server_default="false"),
    Column("webhook_secret_encrypted", LargeBinary, nullable=False),
    Column("webhook_secret_last4", String(4), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: A tenant's account at its PSP (API Pix): cobv charges and the reconciliation sweep.
psp_accounts = Table(
    "psp_accounts",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("base_url", String(300), nullable=False),
    Column("token_url", String(300)),
    Column("client_id", String(200), nullable=False),
    Column("client_secret_encrypted", LargeBinary, nullable=False),
    Column("client_secret_last4", String(4), nullable=False),
    Column("pix_key", String(77), nullable=False),
    Column("client_cert_path", String(500)),
    Column("client_key_path", String(500)),
    Column("ca_bundle_path", String(500)),
    Column("days_valid_after_due", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("swept_until", DateTime(timezone=True)),
)

#: A tenant's beneficiary account at its bank; ``last_nosso_numero`` numbers its
#: boletos (unique per account). One account per (bank, agency, account,
#: agreement): two tenants cannot share a numbering.
bank_accounts = Table(
    "bank_accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("current", Boolean, nullable=False),
    Column("base_url", String(300), nullable=False),
    Column("client_id", String(200), nullable=False),
    Column("client_secret_encrypted", LargeBinary, nullable=False),
    Column("client_secret_last4", String(4), nullable=False),
    Column("bank_code", String(3), nullable=False),
    Column("agency", String(10), nullable=False),
    Column("account", String(20), nullable=False),
    Column("agreement", String(20), nullable=False),
    Column("wallet", String(5), nullable=False),
    Column("beneficiary_name", String(100), nullable=False),
    Column("beneficiary_document", String(14), nullable=False),
    Column("days_valid_after_due", Integer, nullable=False),
    Column("last_nosso_numero", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "bank_code",
        "agency",
        "account",
        "agreement",
        name="bank_accounts_bank_code_agency_account_agreement_key",
    ),
)
Index(
    "bank_accounts_tenant_current_idx",
    bank_accounts.c.tenant_id,
    unique=True,
    postgresql_where=bank_accounts.c.current,
)

#: What a cobv's devedor and a boleto's pagador need of a debtor (debtor.updated).
debtors = Table(
    "debtors",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("debtor_id", Uuid, primary_key=True),
    Column("document", String(14), nullable=False),
    Column("name", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: The inputs of the amount rule for each invoice (invoice.issued, .balance-changed).
invoices = Table(
    "invoices",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("invoice_id", Uuid, primary_key=True),
    Column("debtor_id", Uuid, nullable=False),
    Column("principal_cents", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("effective_due_date", Date, nullable=False),
    Column("fine_bps", Integer, nullable=False),
    Column("monthly_interest_bps", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    #: ``[[iso date, cents], ...]``: the applied payments, net of reversals.
    Column("payments", JSONB, nullable=False, server_default="[]"),
    #: The methods its charge-created events promise (the notifier waits for them).
    Column("methods", JSONB, nullable=False, server_default="[]"),
)

#: A way to pay one invoice, and the call its gateway still needs (``action``).
charges = Table(
    "charges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("invoice_id", Uuid, nullable=False),
    Column("debtor_id", Uuid, nullable=False),
    Column("method", String(10), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("status_reason", String(300)),
    Column("amount_cents", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("fine_bps", Integer, nullable=False, server_default="0"),
    Column("monthly_interest_bps", Integer, nullable=False, server_default="0"),
    Column("days_valid_after_due", Integer, nullable=False, server_default="0"),
    Column("txid", String(35)),
    Column("pix_copy_paste", String(512)),
    Column("location", String(200)),
    Column("bank_account_id", Uuid, ForeignKey("bank_accounts.id")),
    Column("nosso_numero", BigInteger),
    Column("barcode", String(44)),
    Column("digitable_line", String(47)),
    Column("action", String(10)),
    Column("action_seq", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", String(300)),
    Column("announced", Boolean, nullable=False, server_default="false"),
    Column("superseded", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("method in ('pix', 'boleto', 'card')", name="method"),
    CheckConstraint("kind in ('cobv', 'static', 'boleto', 'card')", name="kind"),
    CheckConstraint("status in ('pending', 'active', 'not_configured', 'failed', 'removed')", name="status"),
    CheckConstraint("action is null or action in ('create', 'revise', 'remove')", name="action"),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
    CheckConstraint(
        "kind <> 'static' or status = 'removed' or length(txid) <= 25", name="static_txid_length"
    ),
    UniqueConstraint("tenant_id", "txid", name="charges_tenant_txid_key"),
    #: Two identical barcodes are impossible, whatever the tenant.
    UniqueConstraint("barcode", name="charges_barcode_key"),
    UniqueConstraint("bank_account_id", "nosso_numero", name="charges_bank_account_id_nosso_numero_key"),
)
Index("charges_tenant_invoice_idx", charges.c.tenant_id, charges.c.invoice_id, charges.c.id)
#: At most one current charge per invoice and method (replaced ones are superseded).
Index(
    "charges_tenant_invoice_method_current_idx",
    charges.c.tenant_id,
    charges.c.invoice_id,
    charges.c.method,
    unique=True,
    postgresql_where=~charges.c.superseded,
)
#: The gateway worker's queue.
Index(
    "charges_due_action_idx",
    charges.c.next_attempt_at,
    postgresql_where=charges.c.action.isnot(None),
)

#: Money received, once per gateway reference (Pix endToEndId, boleto/card event id).
payments = Table(
    "payments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("charge_id", Uuid, ForeignKey("charges.id"), nullable=False),
    Column("invoice_id", Uuid, nullable=False),
    Column("debtor_id", Uuid, nullable=False),
    Column("method", String(10), nullable=False),
    Column("gateway_reference", String(100), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reversed_cents", BigInteger, nullable=False, server_default="0"),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
    CheckConstraint("reversed_cents >= 0 and reversed_cents <= amount_cents", name="reversed_within_paid"),
    UniqueConstraint("tenant_id", "method", "gateway_reference", name="payments_tenant_method_reference_key"),
)
Index("payments_tenant_invoice_idx", payments.c.tenant_id, payments.c.invoice_id)

#: Refunds and chargebacks, once per gateway reference.
reversals = Table(
    "reversals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("payment_id", Uuid, ForeignKey("payments.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("gateway_reference", String(150), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reason", String(200)),
    Column("reversed_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("kind in ('refund', 'chargeback')", name="kind"),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
    UniqueConstraint("tenant_id", "gateway_reference", name="reversals_tenant_reference_key"),
)

#: Webhook deliveries we refused or could not match: ids and reasons only, for
#: reconciliation (never the body: it carries payers' names and documents).
webhook_rejections = Table(
    "webhook_rejections",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("provider", String(10), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("reference", String(150)),
    Column("detail", String(300)),
    Column("body_sha256", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index(
    "webhook_rejections_tenant_received_idx", webhook_rejections.c.tenant_id, webhook_rejections.c.received_at
)
