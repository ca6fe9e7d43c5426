"""Outbox and inbox.

Revision ID: invoice_0001
Revises:
Create Date: 2026-11-23 12:00
"""

from regua_platform.migrations import create_messaging_tables, drop_messaging_tables

revision = "invoice_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables("invoice")


def downgrade() -> None:
    drop_messaging_tables("invoice")
