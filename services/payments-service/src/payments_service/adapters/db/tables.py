"""Tables of payments-service, all in the ``payments`` schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
)

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "payments"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)

#: A tenant's Pix receiving account and its webhook secret (encrypted).
pix_settings = Table(
    "pix_settings",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("pix_key", String(77), nullable=False),
    Column("merchant_name", String(100), nullable=False),
    Column("merchant_city", String(100), nullable=False),
    Column("webhook_secret_encrypted", LargeBinary, nullable=False),
    Column("webhook_secret_last4", String(4), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: The per-tenant sequence of boleto "nosso número".
boleto_sequences = Table(
    "boleto_sequences",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)

#: A way to pay one invoice: one Pix and one boleto charge per invoice.
charges = Table(
    "charges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", Uuid, nullable=False),
    Column("invoice_id", Uuid, nullable=False),
    Column("debtor_id", Uuid, nullable=False),
    Column("method", String(10), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("txid", String(35)),
    Column("pix_copy_paste", String(512)),
    Column("nosso_numero", BigInteger),
    Column("barcode", String(44)),
    Column("digitable_line", String(47)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("method in ('pix', 'boleto', 'card')", name="method"),
    CheckConstraint("amount_cents > 0", name="amount_positive"),
    UniqueConstraint("tenant_id", "invoice_id", "method", name="charges_tenant_invoice_method_key"),
    UniqueConstraint("tenant_id", "txid", name="charges_tenant_txid_key"),
    UniqueConstraint("tenant_id", "barcode", name="charges_tenant_barcode_key"),
)
Index("charges_tenant_invoice_idx", charges.c.tenant_id, charges.c.invoice_id, charges.c.id)

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
