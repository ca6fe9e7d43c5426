"""Planning an invoice's steps: when each one falls due, and catch-up.

A step's planned time is the due date at 00:00 in the tenant's zone plus its
offset; it fires at the first instant inside the send window from then on. A
plan that starts late never bursts: of the steps whose time has already
passed only the latest fires (now, or when the window next opens) and the
earlier ones are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from regua_br.calendar import national_holiday
from scheduler_service.domain.policy import StepDefinition
from scheduler_service.domain.windows import HolidayCalendar, SendWindow, next_allowed

StepStatus = Literal["scheduled", "due", "sent", "failed", "cancelled", "skipped", "suppressed"]
STEP_STATUSES: tuple[StepStatus, ...] = (
    "scheduled",
    "due",
    "sent",
    "failed",
    "cancelled",
    "skipped",
    "suppressed",
)

CATCH_UP = "catch-up: a later step was already due"
SUPERSEDED = "superseded: a later step falls due at the same time"

#: Invoice statuses that end (or pause) dunning, and the reason the steps show.
STOPPING_STATUSES: dict[str, str] = {
    "paid": "invoice paid",
    "cancelled": "invoice cancelled",
    # Paused rather than ended: an agreement that breaks resumes dunning (issue 4).
    "renegotiated": "invoice renegotiated: dunning paused",
}
PAUSED = STOPPING_STATUSES["renegotiated"]
RESUMED = "dunning resumed: agreement broken"
#: Statuses an invoice returns to from ``renegotiated`` when its agreement breaks.
RESUMING_STATUSES: frozenset[str] = frozenset({"open", "overdue", "partially_paid"})


def resumes_dunning(previous_status: str, status: str) -> bool:
    """Whether a status change takes an invoice out of a paused renegotiation
    back into collection (its agreement broke)."""
    return previous_status == "renegotiated" and status in RESUMING_STATUSES


@dataclass(frozen=True, slots=True)
class PlannedStep:
    index: int
    step: StepDefinition
    #: Due date at 00:00 (tenant zone) plus the offset.
    planned_for: datetime
    #: When the timer fires it: inside the send window, or now for a caught-up step.
    due_at: datetime
    status: Literal["scheduled", "skipped"]
    reason: str | None = None


def planned_time(due_date: date, step: StepDefinition, tz: ZoneInfo) -> datetime:
    """The due date at midnight in ``tz`` moved by the step's offset."""
    return step.parsed_offset.apply(datetime.combine(due_date, time(0), tzinfo=tz), tz)


def plan_steps(
    steps: Sequence[StepDefinition],
    *,
    due_date: date,
    tz: ZoneInfo,
    window: SendWindow | None,
    now: datetime,
    is_holiday: HolidayCalendar = national_holiday,
) -> list[PlannedStep]:
    """Plan ``steps`` (in increasing offset order) for an invoice due on ``due_date``."""
    catch_up_at = next_allowed(now, window, tz, is_holiday)
    drafts: list[tuple[datetime, datetime, bool]] = []
    for step in steps:
        planned = planned_time(due_date, step, tz)
        fires = next_allowed(planned, window, tz, is_holiday)
        missed = fires <= now
        drafts.append((planned, catch_up_at if missed else fires, missed))
    plan: list[PlannedStep] = []
    for index, (step, (planned, fires, missed)) in enumerate(zip(steps, drafts, strict=True)):
        # A later step firing no later than this one makes this one redundant: on
        # catch-up that is every missed step but the last; otherwise two steps
        # pushed into the same opening of the window.
        if any(later_fires <= fires for _, later_fires, _ in drafts[index + 1 :]):
            plan.append(
                PlannedStep(index, step, planned, fires, "skipped", CATCH_UP if missed else SUPERSEDED)
            )
        else:
            plan.append(PlannedStep(index, step, planned, fires, "scheduled"))
    return plan


@dataclass(frozen=True, slots=True)
class FireDecision:
    """What the timer does with a step whose time has come."""

    fire: bool
    #: When not firing now: the instant the window opens next.
    reschedule_to: datetime | None = None


def decide_fire(
    now: datetime,
    window: SendWindow | None,
    tz: ZoneInfo,
    is_holiday: HolidayCalendar = national_holiday,
) -> FireDecision:
    """Fire now if the window is open now (re-checked at fire time: the timer may
    run late, e.g. after an outage overnight); otherwise wait for it to open."""
    opens = next_allowed(now, window, tz, is_holiday)
    if opens == now:
        return FireDecision(fire=True)
    return FireDecision(fire=False, reschedule_to=opens)


@dataclass(frozen=True, slots=True)
class ResumedStep:
    index: int
    due_at: datetime
    status: Literal["scheduled", "skipped"]


def resume_steps(
    paused: Sequence[tuple[int, datetime]],
    *,
    tz: ZoneInfo,
    window: SendWindow | None,
    now: datetime,
    is_holiday: HolidayCalendar = national_holiday,
) -> list[ResumedStep]:
    """Plan again the steps a renegotiation paused, given as (index,
    planned_for) in step order: the same rule as a fresh plan. Those still to
    come fire at their times; of those whose time passed during the pause only
    the latest fires (now, or when the window next opens), the others are
    skipped; a step overtaken by a later one firing no later is skipped too."""
    catch_up_at = next_allowed(now, window, tz, is_holiday)
    drafts: list[tuple[int, datetime]] = []
    for index, planned in paused:
        fires = next_allowed(planned, window, tz, is_holiday)
        drafts.append((index, catch_up_at if fires <= now else fires))
    return [
        ResumedStep(
            index,
            fires,
            "skipped" if any(later <= fires for _, later in drafts[position + 1 :]) else "scheduled",
        )
        for position, (index, fires) in enumerate(drafts)
    ]
