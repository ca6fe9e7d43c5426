"""Tables of notifier-service, all in the ``notifier`` schema.

``debtors``, ``invoices`` and ``charges`` are local projections fed by events
(never another service's tables); ``deliveries`` holds one row per dunning
step and ``delivery_attempts`` one per (step, channel), stored before any
provider is called: its ``idempotency_key`` is what providers dedupe on.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "notifier"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)

_TS = sa.DateTime(timezone=True)

debtors = sa.Table(
    "debtors",
    metadata,
    sa.Column("debtor_id", PG_UUID(as_uuid=True), primary_key=True),
    sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(16)),
    sa.Column("whatsapp", sa.String(16)),
    sa.Column("preferred_channels", JSONB, nullable=False),
    sa.Column("consents", JSONB, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("invoice_id", PG_UUID(as_uuid=True), primary_key=True),
    sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
    sa.Column("debtor_id", PG_UUID(as_uuid=True), nullable=False),
    # Null until invoice.issued arrives (other events may come first).
    sa.Column("external_id", sa.String(128)),
    sa.Column("amount_cents", sa.BigInteger()),
    sa.Column("due_date", sa.Date()),
    sa.Column("status", sa.String(20)),
    sa.Column("status_changed_at", _TS),
    sa.Column("amount_due_cents", sa.BigInteger()),
    sa.Column("payment_seen_at", _TS),
    # The charge methods payments-service announced: the newest
    # charge-created's ``invoice_methods`` (as of ``charge_methods_at``; older
    # producers' events add their own method); null until the first one arrives.
    sa.Column("charge_methods", JSONB),
    sa.Column("charge_methods_at", _TS),
    # What the amount due on any day is computed from (invoice.issued of
    # current producers; null in older events): the effective due date, the
    # frozen rates, and the applied payments of the last balance-changed.
    sa.Column("effective_due_date", sa.Date()),
    sa.Column("fine_bps", sa.Integer()),
    sa.Column("monthly_interest_bps", sa.Integer()),
    # [{"payment_id", "paid_on", "amount_cents"}], replaced whole by each newer balance-changed.
    sa.Column("payments", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("payments_changed_at", _TS),
)

charges = sa.Table(
    "charges",
    metadata,
    sa.Column("charge_id", PG_UUID(as_uuid=True), primary_key=True),
    sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
    sa.Column("invoice_id", PG_UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("pix_copy_paste", sa.String(512)),
    sa.Column("digitable_line", sa.String(47)),
    sa.Column("barcode", sa.String(44)),
    sa.Column("payment_url", sa.String(500)),
    sa.Column("created_at", _TS, nullable=False),
    # The face amount (cobv valor.original, boleto amount); null in rows of older events.
    sa.Column("amount_cents", sa.BigInteger()),
    # Set by charge-removed: the charge's codes are never shown again.
    sa.Column("removed_at", _TS),
    sa.Column("removed_reason", sa.String(200)),
)

creditors = sa.Table(
    "creditors",
    metadata,
    sa.Column("tenant_id", PG_UUID(as_uuid=True), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("document", sa.String(14), nullable=False),
    sa.Column("address", sa.String(300), nullable=False),
    sa.Column("portal_base_url", sa.String(300), nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("message_id", PG_UUID(as_uuid=True), primary_key=True),
    sa.Column("tenant_id", PG_UUID(as_uuid=True), nullable=False),
    sa.Column("step_id", PG_UUID(as_uuid=True), nullable=False, unique=True),
    sa.Column("invoice_id", PG_UUID(as_uuid=True), nullable=False),
    sa.Column("debtor_id", PG_UUID(as_uuid=True), nullable=False),
    sa.Column("template", sa.String(100), nullable=False),
    sa.Column("tone", sa.String(20), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("channels", JSONB, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(20)),
    sa.Column("provider", sa.String(50)),
    sa.Column("provider_message_id", sa.String(200)),
    sa.Column("reason", sa.String(100)),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", _TS, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Column("sent_at", _TS),
    # What a pending delivery waits for ("invoice", "debtor", "charges"): an
    # event that brings it wakes the delivery at once.
    sa.Column("waiting_for", sa.String(20)),
    # What the message went out without, its wait for the charges having run out.
    sa.Column("missing_instruments", JSONB),
    # The channel whose loop sends this pending delivery next (the router's
    # decision); null while undecided: new, waiting, or its last channel done.
    sa.Column("next_channel", sa.String(20)),
    sa.Index(
        "deliveries_unrouted_idx",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending' AND next_channel IS NULL"),
    ),
    sa.Index(
        "deliveries_channel_due_idx",
        "next_channel",
        "next_attempt_at",
        postgresql_where=sa.text("status = 'pending' AND next_channel IS NOT NULL"),
    ),
    sa.Index("deliveries_tenant_invoice_idx", "tenant_id", "invoice_id", "created_at"),
    sa.Index(
        "deliveries_waiting_idx",
        "tenant_id",
        "invoice_id",
        postgresql_where=sa.text("status = 'pending' AND waiting_for IS NOT NULL"),
    ),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("step_id", PG_UUID(as_uuid=True), primary_key=True),
    sa.Column("channel", sa.String(20), primary_key=True),
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.String(200)),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)
