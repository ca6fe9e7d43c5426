"""Every query of scheduler-service."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import DateTime, Text, and_, exists, func, insert, or_, select, text, update
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler_service.adapters.db.tables import invoice_plans, policies, steps
from scheduler_service.domain.planning import StepStatus
from scheduler_service.domain.policy import PolicyDefinition, WindowDefinition


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    id: UUID
    tenant_id: UUID
    name: str
    is_default: bool
    builtin: bool
    timezone: str
    definition: PolicyDefinition
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PlanRecord:
    invoice_id: UUID
    tenant_id: UUID
    debtor_id: UUID
    policy_id: UUID
    due_date: date
    timezone: str
    send_window: WindowDefinition | None


@dataclass(frozen=True, slots=True)
class StepRecord:
    id: UUID
    tenant_id: UUID
    invoice_id: UUID
    debtor_id: UUID
    policy_id: UUID
    step_index: int
    name: str
    offset: str
    channels: list[str]
    template: str
    tone: str
    action: str
    planned_for: datetime
    due_at: datetime
    status: StepStatus
    reason: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DueStep:
    """A claimed step with the window and zone of its plan (for the fire-time re-check)."""

    step: StepRecord
    timezone: str
    send_window: WindowDefinition | None
    #: A later step of the same invoice is due too, or already went (catch-up).
    later_due: bool


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """A step's new status, reason and due time (what a timer round or a resume decided)."""

    step_id: UUID
    status: StepStatus
    reason: str | None
    due_at: datetime


def _window(raw: Any) -> WindowDefinition | None:
    return None if raw is None else WindowDefinition.model_validate(raw)


def _policy(row: Any) -> PolicyRecord:
    return PolicyRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        is_default=row.is_default,
        builtin=row.builtin,
        timezone=row.timezone,
        definition=PolicyDefinition.model_validate({"send_window": row.send_window, "steps": row.steps}),
        created_at=row.created_at,
    )


_STEP_COLUMNS = len(StepRecord.__dataclass_fields__)
# ``_step`` reads a row positionally (a timer round builds thousands): the
# record's fields are the table's columns, in order.
assert tuple(StepRecord.__dataclass_fields__) == tuple(steps.c.keys())


def _step(row: Any) -> StepRecord:
    """A step from a row that selects ``steps`` first (its columns in table order)."""
    return StepRecord(*row[:_STEP_COLUMNS])


class PolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_tenant(self, tenant_id: UUID) -> None:
        """Serialise policy writes of one tenant (default switch, lazy built-in)."""
        key = int.from_bytes(
            hashlib.sha256(f"policies:{tenant_id}".encode()).digest()[:8], "big", signed=True
        )
        await self.session.execute(text("select pg_advisory_xact_lock(:k)"), {"k": key})

    async def add(self, record: PolicyRecord) -> None:
        if record.is_default:
            await self.session.execute(
                update(policies)
                .where(policies.c.tenant_id == record.tenant_id, policies.c.is_default)
                .values(is_default=False)
            )
        definition = record.definition
        await self.session.execute(
            insert(policies).values(
                id=record.id,
                tenant_id=record.tenant_id,
                name=record.name,
                is_default=record.is_default,
                builtin=record.builtin,
                timezone=record.timezone,
                send_window=definition.send_window.model_dump(mode="json")
                if definition.send_window
                else None,
                steps=[s.model_dump(mode="json") for s in definition.steps],
                created_at=record.created_at,
            )
        )

    async def get(self, tenant_id: UUID, policy_id: UUID) -> PolicyRecord | None:
        row = (
            await self.session.execute(
                select(policies).where(policies.c.tenant_id == tenant_id, policies.c.id == policy_id)
            )
        ).first()
        return _policy(row) if row else None

    async def get_default(self, tenant_id: UUID) -> PolicyRecord | None:
        row = (
            await self.session.execute(
                select(policies).where(policies.c.tenant_id == tenant_id, policies.c.is_default)
            )
        ).first()
        return _policy(row) if row else None

    async def list(
        self, tenant_id: UUID, *, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[PolicyRecord]:
        query = select(policies).where(policies.c.tenant_id == tenant_id)
        if after is not None:
            created_at, policy_id = after
            query = query.where(
                or_(
                    policies.c.created_at > created_at,
                    and_(policies.c.created_at == created_at, policies.c.id > policy_id),
                )
            )
        query = query.order_by(policies.c.created_at, policies.c.id).limit(limit)
        return [_policy(row) for row in (await self.session.execute(query)).all()]


class PlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: UUID, invoice_id: UUID) -> PlanRecord | None:
        row = (
            await self.session.execute(
                select(invoice_plans).where(
                    invoice_plans.c.tenant_id == tenant_id, invoice_plans.c.invoice_id == invoice_id
                )
            )
        ).first()
        if row is None:
            return None
        return PlanRecord(
            invoice_id=row.invoice_id,
            tenant_id=row.tenant_id,
            debtor_id=row.debtor_id,
            policy_id=row.policy_id,
            due_date=row.due_date,
            timezone=row.timezone,
            send_window=_window(row.send_window),
        )

    async def add(self, plan: PlanRecord, planned: Sequence[StepRecord], *, now: datetime) -> bool:
        """Store a plan and its steps; False (nothing stored) when the invoice already
        has one (a redelivered or concurrent ``issued``/``overdue``)."""
        if not await self._insert_plan(plan, now):
            return False
        if planned:
            # executemany of one cached statement (a multi-row VALUES is compiled anew per shape).
            await self.session.execute(
                insert(steps), [{f: getattr(s, f) for f in StepRecord.__dataclass_fields__} for s in planned]
            )
        return True

    async def _insert_plan(self, plan: PlanRecord, now: datetime) -> bool:
        result = await self.session.execute(
            _INSERT_PLAN,
            {
                "invoice_id": plan.invoice_id,
                "tenant_id": plan.tenant_id,
                "debtor_id": plan.debtor_id,
                "policy_id": plan.policy_id,
                "due_date": plan.due_date,
                "timezone": plan.timezone,
                "send_window": plan.send_window.model_dump_json() if plan.send_window else None,
                "created_at": now,
            },
        )
        return result.first() is not None

    async def steps_of(self, tenant_id: UUID, invoice_id: UUID) -> list[StepRecord]:
        rows = await self.session.execute(
            select(steps)
            .where(steps.c.tenant_id == tenant_id, steps.c.invoice_id == invoice_id)
            .order_by(steps.c.step_index)
        )
        return [_step(row) for row in rows.all()]

    async def cancel_pending(self, tenant_id: UUID, invoice_id: UUID, *, reason: str, now: datetime) -> int:
        result = await self.session.execute(
            update(steps)
            .where(
                steps.c.tenant_id == tenant_id,
                steps.c.invoice_id == invoice_id,
                steps.c.status == "scheduled",
            )
            .values(status="cancelled", reason=reason, updated_at=now)
        )
        return cast(int, result.rowcount)  # type: ignore[attr-defined]

    async def paused_steps(self, tenant_id: UUID, invoice_id: UUID, *, reason: str) -> list[StepRecord]:
        """The steps a pause cancelled (status ``cancelled`` with ``reason``), locked, in step order."""
        rows = await self.session.execute(
            select(steps)
            .where(
                steps.c.tenant_id == tenant_id,
                steps.c.invoice_id == invoice_id,
                steps.c.status == "cancelled",
                steps.c.reason == reason,
            )
            .order_by(steps.c.step_index)
            .with_for_update()
        )
        return [_step(row) for row in rows.all()]

    async def record_outcome(
        self,
        tenant_id: UUID,
        step_id: UUID,
        *,
        status: StepStatus,
        reason: str | None,
        from_statuses: Sequence[StepStatus],
        now: datetime,
    ) -> bool:
        result = await self.session.execute(
            update(steps)
            .where(steps.c.tenant_id == tenant_id, steps.c.id == step_id, steps.c.status.in_(from_statuses))
            .values(status=status, reason=reason, updated_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, limit: int) -> list[DueStep]:
        """Lock up to ``limit`` scheduled steps whose time has come, in one
        statement; rows another transaction (replica) holds are skipped, so each
        step has one owner. Each comes with its plan's zone and window and
        whether a later step of its invoice is due too (or already went)."""
        later = steps.alias("later")
        later_due = (
            exists()
            .where(
                later.c.tenant_id == steps.c.tenant_id,
                later.c.invoice_id == steps.c.invoice_id,
                later.c.step_index > steps.c.step_index,
                later.c.due_at <= now,
                later.c.status.not_in(("cancelled", "skipped")),
            )
            .label("later_due")
        )
        rows = await self.session.execute(
            select(
                steps,
                invoice_plans.c.timezone,
                # As text: a round parses each distinct window once, not once per row.
                cast_(invoice_plans.c.send_window, Text).label("send_window"),
                later_due,
            )
            .join(
                invoice_plans,
                (invoice_plans.c.tenant_id == steps.c.tenant_id)
                & (invoice_plans.c.invoice_id == steps.c.invoice_id),
            )
            .where(steps.c.status == "scheduled", steps.c.due_at <= now)
            # Oldest first, by the partial index alone: a burst shares one due_at
            # (the window's opening), and a tie-break column would sort the whole
            # burst every round. Catch-up does not need an order (``later_due``).
            .order_by(steps.c.due_at)
            .limit(limit)
            .with_for_update(of=steps, skip_locked=True)
        )
        # One instance per distinct window of the batch: the timer decides once per window.
        # JSON null (any time) as stored by the JSONB column, or SQL NULL.
        windows: dict[str | None, WindowDefinition | None] = {None: None, "null": None}
        claimed = []
        for row in rows.all():
            raw = row.send_window
            if raw not in windows:
                windows[raw] = WindowDefinition.model_validate_json(raw)
            claimed.append(
                DueStep(
                    step=_step(row), timezone=row.timezone, send_window=windows[raw], later_due=row.later_due
                )
            )
        return claimed

    async def settle(self, outcomes: Sequence[StepOutcome], *, now: datetime) -> None:
        """Set status, reason and due time of many steps in one statement (a timer
        round's decisions, a resume's new plan)."""
        if not outcomes:
            return
        given = (
            func.unnest(
                cast_([o.step_id for o in outcomes], ARRAY(PG_UUID(as_uuid=True))),
                cast_([o.status for o in outcomes], ARRAY(Text)),
                cast_([o.reason for o in outcomes], ARRAY(Text)),
                cast_([o.due_at for o in outcomes], ARRAY(DateTime(timezone=True))),
            )
            .table_valued("id", "status", "reason", "due_at")
            .render_derived(name="given")
        )
        await self.session.execute(
            update(steps)
            .where(steps.c.id == given.c.id)
            .values(status=given.c.status, reason=given.c.reason, due_at=given.c.due_at, updated_at=now)
        )


# Prepared once: SQLAlchemy 2.0 compiles a postgresql ``insert … on conflict``
# anew on every call (it is not cacheable), and this runs once per invoice.
_INSERT_PLAN = text(
    f"""
    insert into {invoice_plans.fullname}
      (invoice_id, tenant_id, debtor_id, policy_id, due_date, timezone, send_window, created_at)
    values (:invoice_id, :tenant_id, :debtor_id, :policy_id, :due_date, :timezone,
            cast(cast(:send_window as text) as jsonb), :created_at)
    on conflict (tenant_id, invoice_id) do nothing
    returning invoice_id
    """  # noqa: S608 (our own table name)
)
