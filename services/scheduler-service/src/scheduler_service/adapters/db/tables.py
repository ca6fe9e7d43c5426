"""Tables of scheduler-service, all in the ``scheduler`` schema."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "scheduler"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)

STATUS_CHECK = "status in ('scheduled', 'due', 'sent', 'failed', 'cancelled', 'skipped', 'suppressed')"

#: A tenant's régua definitions; at most one is the tenant's default.
policies = Table(
    "policies",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(100), nullable=False),
    Column("is_default", Boolean, nullable=False),
    #: Created by the service for a tenant that had none.
    Column("builtin", Boolean, nullable=False),
    Column("timezone", String(64), nullable=False),
    #: ``{"weekdays": {"mon": ["08:00", "20:00"], ...}, "skip_holidays": true}``; null = any time.
    Column("send_window", JSONB, nullable=True),
    Column("steps", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("policies_tenant_created_idx", policies.c.tenant_id, policies.c.created_at, policies.c.id)
Index(
    "policies_one_default_per_tenant",
    policies.c.tenant_id,
    unique=True,
    postgresql_where=policies.c.is_default,
)

#: One per invoice: what it is planned with (a copy, so later policy edits do not move it).
invoice_plans = Table(
    "invoice_plans",
    metadata,
    # Keyed by tenant and invoice: an invoice id is only unique within its tenant's events.
    Column("invoice_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("debtor_id", UUID(as_uuid=True), nullable=False),
    Column("policy_id", UUID(as_uuid=True), ForeignKey(policies.c.id), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("send_window", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: The planned steps of every invoice; the durable timer works off this table.
steps = Table(
    "steps",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("invoice_id", UUID(as_uuid=True), nullable=False),
    Column("debtor_id", UUID(as_uuid=True), nullable=False),
    Column("policy_id", UUID(as_uuid=True), nullable=False),
    Column("step_index", Integer, nullable=False),
    Column("name", String(100), nullable=False),
    Column("offset", String(40), nullable=False),
    Column("channels", JSONB, nullable=False),
    Column("template", String(100), nullable=False),
    Column("tone", String(20), nullable=False),
    Column("action", String(20), nullable=False),
    Column("planned_for", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", String(300), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "invoice_id", "step_index", name="steps_tenant_invoice_step_index_key"),
    ForeignKeyConstraint(
        ["tenant_id", "invoice_id"],
        [invoice_plans.c.tenant_id, invoice_plans.c.invoice_id],
        name="steps_plan_fkey",
    ),
    CheckConstraint(STATUS_CHECK, name="status"),
)
# The timer's scan: only pending steps, by due time.
Index("steps_scheduled_due_idx", steps.c.due_at, postgresql_where=text("status = 'scheduled'"))
