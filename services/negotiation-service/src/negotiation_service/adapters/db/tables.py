"""Tables of negotiation-service, all in the ``negotiation`` schema."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Table,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "negotiation"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)

#: A tenant's offer rules (JSON of the API body); tenants without a row use the defaults.
offer_rules = Table(
    "offer_rules",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("rules", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Projection of invoice-service's invoices from regua.invoice.events: the
#: inputs of ``regua_br.amount_due`` (principal, due dates, frozen rates, applied
#: payments), so the amount due is computed for the day it is seen.
invoices = Table(
    "invoices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("debtor_id", UUID(as_uuid=True), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    #: The last amount due invoice-service reported: used only for invoices
    #: whose issued event predates the rates (they cannot be priced here).
    Column("amount_due_cents", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("effective_due_date", Date),
    Column("fine_bps", Integer),
    Column("monthly_interest_bps", Integer),
    #: ``[{"payment_id", "paid_on", "amount_cents"}]`` of the latest invoice.balance-changed.
    Column("payments", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("payments_changed_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("agreement_id", UUID(as_uuid=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("invoices_tenant_id_debtor_id_idx", "tenant_id", "debtor_id"),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("debtor_id", UUID(as_uuid=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("invoice_ids", JSONB, nullable=False),
    Column("original_cents", BigInteger, nullable=False),
    Column("discount_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("monthly_rate", String(16), nullable=False),
    Column("tolerance_days", Integer, nullable=False),
    #: The tenant-local day the offer was priced on (None before 2026-12: the day of created_at).
    Column("start_date", Date),
    Column("reason", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Index("agreements_tenant_id_debtor_id_seq_idx", "tenant_id", "debtor_id", "seq"),
)

installments = Table(
    "installments",
    metadata,
    #: Also the id of the installment invoice invoice-service creates.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("agreement_id", UUID(as_uuid=True), nullable=False),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("number", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("paid_at", DateTime(timezone=True)),
    #: The installment that pays the rest early (CDC art. 52 §2).
    Column("payoff", Boolean, nullable=False, server_default=false()),
    #: Unpaid when a payoff replaced it: it is no longer owed.
    Column("replaced_at", DateTime(timezone=True)),
    Index("installments_agreement_id_idx", "agreement_id"),
)

#: Which invoices an agreement renegotiates. The partial unique index makes one
#: invoice belong to at most one active agreement: racing acceptances get one winner.
agreement_invoices = Table(
    "agreement_invoices",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("invoice_id", UUID(as_uuid=True), primary_key=True),
    Column("agreement_id", UUID(as_uuid=True), primary_key=True),
    Column("active", Boolean, nullable=False),
    Index(
        "agreement_invoices_active_key",
        "tenant_id",
        "invoice_id",
        unique=True,
        postgresql_where=text("active"),
    ),
)

#: Ways to pay an invoice (Pix, boleto) from payments-service's charge-created.
charges = Table(
    "charges",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("invoice_id", UUID(as_uuid=True), nullable=False),
    Column("method", String(20), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("txid", String(35)),
    Column("pix_copy_paste", String(512)),
    Column("digitable_line", String(47)),
    Column("barcode", String(44)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    #: From payment.charge-removed: never shown again.
    Column("removed_at", DateTime(timezone=True)),
    Index("charges_tenant_id_invoice_id_idx", "tenant_id", "invoice_id"),
)

#: Just enough of the debtor for the portal: a name to greet, the consents
#: shown on the preferences page and the keyed hash of the first-device
#: challenge's answer (no document, no contacts).
debtors = Table(
    "debtors",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(200), nullable=False),
    Column("consents", JSONB, nullable=False),
    Column("segment", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    #: HMAC (a portal key) of the first 3 characters of the CPF/CNPJ, bound to the debtor.
    Column("challenge_digest", String(64)),
)

#: Wrong answers to the first-device challenge, per link (a digest of its claims).
portal_link_attempts = Table(
    "portal_link_attempts",
    metadata,
    Column("link_id", String(64), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("debtor_id", UUID(as_uuid=True), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Links, sessions and devices of the debtor issued up to ``revoked_before`` are void.
portal_revocations = Table(
    "portal_revocations",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("debtor_id", UUID(as_uuid=True), primary_key=True),
    Column("revoked_before", DateTime(timezone=True), nullable=False),
)

#: Who is collecting (CDC art. 42-A), shown on every portal page of the tenant.
portal_settings = Table(
    "portal_settings",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("creditor_name", String(200), nullable=False),
    Column("creditor_document", String(14), nullable=False),
    Column("creditor_address", String(300), nullable=False),
    Column("contact_email", String(254)),
    Column("contact_phone", String(20)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("contact_email IS NOT NULL OR contact_phone IS NOT NULL", name="contact"),
)
