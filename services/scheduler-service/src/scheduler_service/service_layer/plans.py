"""Use cases on invoice plans and their steps. They never commit: the caller does, once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import cast
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from regua_contracts.dunning.v1 import Channel, StepAction, StepDueV1, Tone
from regua_platform.errors import NotFound
from scheduler_service.adapters.db.repositories import PlanRecord, StepOutcome, StepRecord
from scheduler_service.domain.planning import (
    CATCH_UP,
    PAUSED,
    RESUMED,
    STOPPING_STATUSES,
    FireDecision,
    decide_fire,
    plan_steps,
    resume_steps,
    resumes_dunning,
)
from scheduler_service.service_layer.policies import default_policy
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork

log = logging.getLogger("scheduler.plans")


async def plan_invoice(
    uow: SchedulerUnitOfWork, *, tenant_id: UUID, invoice_id: UUID, debtor_id: UUID, due_date: date
) -> bool:
    """Plan the invoice's steps with the tenant's current default policy, once:
    False when it was already planned."""
    if await uow.plans.get(tenant_id, invoice_id) is not None:
        return False
    policy = await default_policy(uow, tenant_id)
    tz = ZoneInfo(policy.timezone)
    now = uow.clock.now()
    planned = plan_steps(
        policy.definition.steps, due_date=due_date, tz=tz, window=policy.definition.window(), now=now
    )
    plan = PlanRecord(
        invoice_id=invoice_id,
        tenant_id=tenant_id,
        debtor_id=debtor_id,
        policy_id=policy.id,
        due_date=due_date,
        timezone=policy.timezone,
        send_window=policy.definition.send_window,
    )
    records = [
        StepRecord(
            id=uuid4(),
            tenant_id=tenant_id,
            invoice_id=invoice_id,
            debtor_id=debtor_id,
            policy_id=policy.id,
            step_index=p.index,
            name=p.step.name,
            offset=p.step.offset,
            channels=list(p.step.channels),
            template=p.step.template,
            tone=p.step.tone,
            action=p.step.action,
            planned_for=p.planned_for,
            due_at=p.due_at,
            status=p.status,
            reason=p.reason,
            updated_at=now,
        )
        for p in planned
    ]
    created = await uow.plans.add(plan, records, now=now)
    if created:
        log.info(
            "scheduler.plan.created",
            extra={"invoice_id": str(invoice_id), "policy_id": str(policy.id), "steps": len(records)},
        )
    return created


async def stop_dunning(uow: SchedulerUnitOfWork, *, tenant_id: UUID, invoice_id: UUID, status: str) -> int:
    """Cancel the pending steps of an invoice that was paid, cancelled or renegotiated."""
    reason = STOPPING_STATUSES.get(status)
    if reason is None:
        return 0
    cancelled = await uow.plans.cancel_pending(tenant_id, invoice_id, reason=reason, now=uow.clock.now())
    log.info(
        "scheduler.steps.cancelled",
        extra={"invoice_id": str(invoice_id), "status": status, "count": cancelled},
    )
    return cancelled


async def resume_dunning(
    uow: SchedulerUnitOfWork, *, tenant_id: UUID, invoice_id: UUID, previous_status: str, status: str
) -> int:
    """Plan again the steps a renegotiation paused, once its agreement broke
    (the invoice went from ``renegotiated`` back to collectable); returns how
    many are scheduled. A redelivery finds nothing paused and does nothing."""
    if not resumes_dunning(previous_status, status):
        return 0
    plan = await uow.plans.get(tenant_id, invoice_id)
    if plan is None:
        return 0
    paused = await uow.plans.paused_steps(tenant_id, invoice_id, reason=PAUSED)
    now = uow.clock.now()
    resumed = resume_steps(
        [(step.step_index, step.planned_for) for step in paused],
        tz=ZoneInfo(plan.timezone),
        window=plan.send_window.to_window() if plan.send_window else None,
        now=now,
    )
    by_index = {step.step_index: step for step in paused}
    await uow.plans.settle(
        [
            StepOutcome(by_index[d.index].id, status=d.status, reason=RESUMED, due_at=d.due_at)
            for d in resumed
        ],
        now=now,
    )
    scheduled = sum(1 for d in resumed if d.status == "scheduled")
    log.info(
        "scheduler.steps.resumed",
        extra={"invoice_id": str(invoice_id), "scheduled": scheduled, "skipped": len(resumed) - scheduled},
    )
    return scheduled


async def record_sent(uow: SchedulerUnitOfWork, *, tenant_id: UUID, step_id: UUID) -> bool:
    # A later fallback channel may succeed after a failure was reported.
    return await uow.plans.record_outcome(
        tenant_id, step_id, status="sent", reason=None, from_statuses=("due", "failed"), now=uow.clock.now()
    )


async def record_failed(uow: SchedulerUnitOfWork, *, tenant_id: UUID, step_id: UUID, reason: str) -> bool:
    return await uow.plans.record_outcome(
        tenant_id, step_id, status="failed", reason=reason, from_statuses=("due",), now=uow.clock.now()
    )


async def record_suppressed(uow: SchedulerUnitOfWork, *, tenant_id: UUID, step_id: UUID, reason: str) -> bool:
    """The notifier deliberately did not send the step (``suppressed_paid``,
    ``nothing_due``, ...): it ends ``suppressed`` with that reason. Only a
    ``due`` step moves; one already terminal (or a redelivery) is left as it is."""
    return await uow.plans.record_outcome(
        tenant_id, step_id, status="suppressed", reason=reason, from_statuses=("due",), now=uow.clock.now()
    )


@dataclass(frozen=True, slots=True)
class Timeline:
    plan: PlanRecord
    steps: list[StepRecord]


async def timeline(uow: SchedulerUnitOfWork, *, tenant_id: UUID, invoice_id: UUID) -> Timeline:
    plan = await uow.plans.get(tenant_id, invoice_id)
    if plan is None:
        raise NotFound(f"No dunning plan for invoice {invoice_id} in this tenant.")
    return Timeline(plan=plan, steps=await uow.plans.steps_of(tenant_id, invoice_id))


@dataclass(frozen=True, slots=True)
class TimerRound:
    fired: int = 0
    skipped: int = 0
    rescheduled: int = 0
    #: Per fired step, seconds from when it could fire (its time, or when it
    #: was written, if later: a plan made late) to this round.
    lateness_seconds: tuple[float, ...] = ()

    @property
    def claimed(self) -> int:
        return self.fired + self.skipped + self.rescheduled


async def fire_due_steps(uow: SchedulerUnitOfWork, *, limit: int) -> TimerRound:
    """One round of the durable timer, inside the caller's transaction: claim the
    steps whose time has come and, for each, fire it (status ``due`` and a
    ``step-due`` event in the outbox), skip it (a later step of the invoice is due
    too: catch-up after an outage) or move it to when the send window opens.

    Set-based: one statement claims the batch (with the catch-up check), the
    window is decided once per distinct (zone, window) of the batch (``now`` is
    the same for all), one statement writes every status, and the events reach
    the outbox together on commit."""
    now = uow.clock.now()
    claimed = await uow.plans.claim_due(now, limit)
    # Keyed by zone and window instance: claim_due shares one per distinct window.
    decisions: dict[tuple[str, int], FireDecision] = {}
    outcomes: list[StepOutcome] = []
    fired: list[StepRecord] = []
    skipped = rescheduled = 0
    for due in claimed:
        step = due.step
        if due.later_due:
            outcomes.append(StepOutcome(step.id, status="skipped", reason=CATCH_UP, due_at=step.due_at))
            skipped += 1
            continue
        key = (due.timezone, id(due.send_window))
        decision = decisions.get(key)
        if decision is None:
            window = due.send_window.to_window() if due.send_window else None
            decision = decisions[key] = decide_fire(now, window, ZoneInfo(due.timezone))
        if decision.fire:
            outcomes.append(StepOutcome(step.id, status="due", reason=None, due_at=step.due_at))
            fired.append(step)
        else:
            assert decision.reschedule_to is not None
            # Still scheduled, reason kept: only the time moves.
            outcomes.append(
                StepOutcome(step.id, status="scheduled", reason=step.reason, due_at=decision.reschedule_to)
            )
            rescheduled += 1
    await uow.plans.settle(outcomes, now=now)
    for step in fired:
        uow.publish(_step_due(step), tenant_id=step.tenant_id, subject=str(step.invoice_id))
    if fired and log.isEnabledFor(logging.DEBUG):
        for step in fired:
            log.debug(
                "scheduler.step.due", extra={"step_id": str(step.id), "invoice_id": str(step.invoice_id)}
            )
    lateness = tuple(max((now - max(s.due_at, s.updated_at)).total_seconds(), 0.0) for s in fired)
    return TimerRound(fired=len(fired), skipped=skipped, rescheduled=rescheduled, lateness_seconds=lateness)


def _step_due(step: StepRecord) -> StepDueV1:
    return StepDueV1(
        debtor_id=step.debtor_id,
        step_id=step.id,
        invoice_id=step.invoice_id,
        policy_id=step.policy_id,
        step_name=step.name,
        step_index=step.step_index,
        template=step.template,
        tone=cast(Tone, step.tone),
        action=cast(StepAction, step.action),
        channels=[cast(Channel, c) for c in step.channels],
        planned_for=step.planned_for,
        due_at=step.due_at,
    )
