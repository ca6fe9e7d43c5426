"""Tables of invoice-service, all in the ``invoice`` schema."""

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
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "invoice"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)

#: One row per tenant that changed its settings; tenants without one use the defaults.
tenant_settings = Table(
    "tenant_settings",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("late_fine_bps", Integer, nullable=False),
    Column("monthly_interest_bps", Integer, nullable=False),
    # The tenant's own holidays (state, municipal): due dates on them move to the next business day.
    Column("holidays", ARRAY(Date), nullable=False, server_default=text("'{}'::date[]")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

debtors = Table(
    "debtors",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # Insertion order, for stable cursor pagination.
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("document", String(14), nullable=False),
    Column("email", String(254)),
    Column("phone", String(16)),
    Column("whatsapp", String(16)),
    Column("preferred_channels", JSONB, nullable=False),
    Column("consents", JSONB, nullable=False),
    # The tenant's segment for the debtor (offer rules and strategies per segment).
    Column("segment", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "external_id", name="debtors_tenant_id_external_id_key"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("debtor_id", UUID(as_uuid=True), ForeignKey("debtors.id"), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default="BRL"),
    Column("due_date", Date, nullable=False),
    # The due date moved to the next business day (national and tenant holidays
    # as they were at issue), frozen: a later holiday change never rewrites a debt.
    Column("effective_due_date", Date, nullable=False),
    Column("description", String(500)),
    Column("status", String(20), nullable=False),
    # The tenant's rates when the invoice was issued: later changes do not rewrite debts.
    Column("late_fine_bps", Integer, nullable=False),
    Column("monthly_interest_bps", Integer, nullable=False),
    Column("amount_paid_cents", BigInteger, nullable=False, server_default="0"),
    # Set once, in the transaction that publishes invoice.overdue.
    Column("overdue_since", Date),
    # Tenant-local date of the payment that settled it: the amount due is frozen there.
    Column("settled_on", Date),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Set on an installment invoice: the agreement it is an installment of.
    Column("agreement_id", UUID(as_uuid=True)),
    # Set on an original invoice when an agreement renegotiates it: only that
    # agreement's broken/completed events may move it out of ``renegotiated``.
    Column("renegotiated_in", UUID(as_uuid=True)),
    UniqueConstraint("tenant_id", "external_id", name="invoices_tenant_id_external_id_key"),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
    CheckConstraint("amount_paid_cents >= 0", name="paid_not_negative"),
    CheckConstraint("effective_due_date >= due_date", name="effective_not_before_due"),
)
Index("invoices_tenant_id_status_idx", invoices.c.tenant_id, invoices.c.status)
Index("invoices_debtor_id_idx", invoices.c.debtor_id)
Index(
    "invoices_agreement_id_idx", invoices.c.agreement_id, postgresql_where=invoices.c.agreement_id.isnot(None)
)
# What the overdue worker scans: collectable invoices not flagged yet.
Index(
    "invoices_overdue_scan_idx",
    invoices.c.effective_due_date,
    postgresql_where=invoices.c.overdue_since.is_(None) & invoices.c.status.in_(["open", "partially_paid"]),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("invoice_id", UUID(as_uuid=True), ForeignKey("invoices.id"), nullable=False),
    Column("method", String(20), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reversed_cents", BigInteger, nullable=False, server_default="0"),
    Column("gateway_reference", String(100), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    # The tenant-local day of paid_at, fixed when applied: what CC art. 354 imputation reads.
    Column("paid_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
Index("payments_invoice_id_idx", payments.c.invoice_id)

payment_reversals = Table(
    "payment_reversals",
    metadata,
    Column("reversal_id", UUID(as_uuid=True), primary_key=True),
    Column("payment_id", UUID(as_uuid=True), ForeignKey("payments.payment_id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    # What was actually subtracted: never more than what is left of the payment.
    Column("applied_cents", BigInteger, nullable=False),
    Column("reversed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

#: Payment events that matched no invoice of their tenant, kept for reconciliation.
unmatched_payment_events = Table(
    "unmatched_payment_events",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("invoice_id", UUID(as_uuid=True), nullable=False),
    Column("payment_id", UUID(as_uuid=True), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

#: Agreement events that could not be applied (an original invoice unknown to
#: the tenant, of another debtor, or no longer collectable), one row per
#: offending invoice, kept for reconciliation instead of being retried.
rejected_agreement_events = Table(
    "rejected_agreement_events",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("invoice_id", UUID(as_uuid=True), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("agreement_id", UUID(as_uuid=True), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

#: Every change of a debtor's consent per channel (LGPD): who (the debtor in the
#: portal, or the API token's subject), when, and the legal basis an API change
#: cited to re-enable a channel the debtor had opted out of.
consent_changes = Table(
    "consent_changes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("debtor_id", UUID(as_uuid=True), ForeignKey("debtors.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("consent", Boolean, nullable=False),
    Column("source", String(10), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("basis_kind", String(40)),
    Column("basis_reference", String(500)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("source in ('debtor', 'api')", name="source"),
    CheckConstraint("(basis_kind is null) = (basis_reference is null)", name="basis_complete"),
)
Index(
    "consent_changes_debtor_idx",
    consent_changes.c.tenant_id,
    consent_changes.c.debtor_id,
    consent_changes.c.channel,
    consent_changes.c.seq,
)
