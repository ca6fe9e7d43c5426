"""Steps end ``suppressed`` when the notifier deliberately did not send them
(the invoice was paid or closed before the provider call, or nothing is due).

Revision ID: scheduler_0003
Revises: scheduler_0002
Create Date: 2026-12-02 12:00
"""

from alembic import op

revision = "scheduler_0003"
down_revision = "scheduler_0002"
branch_labels = None
depends_on = None

SCHEMA = "scheduler"
OLD = "status in ('scheduled', 'due', 'sent', 'failed', 'cancelled', 'skipped')"
NEW = "status in ('scheduled', 'due', 'sent', 'failed', 'cancelled', 'skipped', 'suppressed')"


def _drop_status_check() -> None:
    # Found by its definition: the first revision named it through the
    # naming convention, so its exact name is not relied on.
    op.execute(
        """
        DO $$
        DECLARE c text;
        BEGIN
          FOR c IN SELECT conname FROM pg_constraint
                   WHERE conrelid = 'scheduler.steps'::regclass AND contype = 'c'
                     AND pg_get_constraintdef(oid) LIKE '%status%'
          LOOP
            EXECUTE format('ALTER TABLE scheduler.steps DROP CONSTRAINT %I', c);
          END LOOP;
        END $$;
        """
    )


def upgrade() -> None:
    _drop_status_check()
    op.create_check_constraint(op.f("steps_status_check"), "steps", NEW, schema=SCHEMA)


def downgrade() -> None:
    op.execute("UPDATE scheduler.steps SET status = 'cancelled' WHERE status = 'suppressed'")
    _drop_status_check()
    op.create_check_constraint(op.f("steps_status_check"), "steps", OLD, schema=SCHEMA)
