from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler_service.domain.planning import CATCH_UP, SUPERSEDED, decide_fire, plan_steps
from scheduler_service.domain.policy import BUILTIN_POLICY, PolicyDefinition, StepDefinition
from scheduler_service.domain.windows import DEFAULT_WINDOW

SP = ZoneInfo("America/Sao_Paulo")
STEPS = BUILTIN_POLICY.steps


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SP)


def steps(*offsets: str) -> list[StepDefinition]:
    body: dict[str, Any] = {
        "steps": [
            {"name": f"s{i}", "offset": o, "channels": ["email"], "template": "reminder", "tone": "firm"}
            for i, o in enumerate(offsets)
        ]
    }
    return PolicyDefinition.model_validate(body).steps


def test_plan_on_time_applies_offsets_and_the_window() -> None:
    # Due Thursday 2026-12-10, planned a week before.
    plan = plan_steps(
        STEPS, due_date=date(2026, 12, 10), tz=SP, window=DEFAULT_WINDOW, now=at(2026, 12, 1, 10)
    )
    assert [p.planned_for for p in plan] == [
        at(2026, 12, 7),
        at(2026, 12, 10),
        at(2026, 12, 13),
        at(2026, 12, 20),
        at(2026, 12, 30),
    ]
    assert [p.due_at for p in plan] == [
        at(2026, 12, 7, 8),  # Monday
        at(2026, 12, 10, 8),  # Thursday
        at(2026, 12, 14, 8),  # Sunday -> Monday 08:00
        at(2026, 12, 21, 8),  # Sunday -> Monday
        at(2026, 12, 30, 8),  # Wednesday
    ]
    assert all(p.status == "scheduled" and p.reason is None for p in plan)
    assert [p.index for p in plan] == [0, 1, 2, 3, 4]
    assert all(p.due_at.utcoffset() == timedelta(hours=-3) for p in plan)


def test_holidays_push_steps() -> None:
    # Due on Christmas 2026 (Friday): the due-date step goes to Saturday 09:00;
    # +P7D is New Year's Day (Friday): Saturday 2027-01-02 09:00.
    plan = plan_steps(
        steps("P0D", "P7D"), due_date=date(2026, 12, 25), tz=SP, window=DEFAULT_WINDOW, now=at(2026, 12, 1)
    )
    assert [p.due_at for p in plan] == [at(2026, 12, 26, 9), at(2027, 1, 2, 9)]


def test_no_window_fires_at_the_planned_time() -> None:
    plan = plan_steps(
        steps("-PT2H", "PT30S"), due_date=date(2026, 12, 13), tz=SP, window=None, now=at(2026, 12, 1)
    )
    assert [p.due_at for p in plan] == [at(2026, 12, 12, 22), at(2026, 12, 13) + timedelta(seconds=30)]


def test_catch_up_fires_only_the_latest_missed_step_now() -> None:
    # Due 2026-12-10, loaded on Friday 2026-12-18 at 10:00: reminder, due-date and
    # +3 days are all in the past; only +3 days fires, now.
    now = at(2026, 12, 18, 10)
    plan = plan_steps(STEPS, due_date=date(2026, 12, 10), tz=SP, window=DEFAULT_WINDOW, now=now)
    assert [(p.status, p.reason) for p in plan] == [
        ("skipped", CATCH_UP),
        ("skipped", CATCH_UP),
        ("scheduled", None),
        ("scheduled", None),
        ("scheduled", None),
    ]
    assert plan[2].due_at == now
    assert plan[2].planned_for == at(2026, 12, 13)
    assert plan[3].due_at == at(2026, 12, 21, 8)


def test_catch_up_outside_the_window_fires_when_it_opens() -> None:
    # Loaded on Sunday 2026-12-13 at 15:00, due 2026-12-10: fires Monday 08:00.
    now = at(2026, 12, 13, 15)
    plan = plan_steps(STEPS, due_date=date(2026, 12, 10), tz=SP, window=DEFAULT_WINDOW, now=now)
    assert [p.status for p in plan] == ["skipped", "skipped", "scheduled", "scheduled", "scheduled"]
    # +P3D is Sunday 00:00 itself, already past: caught up to Monday 08:00.
    assert plan[2].due_at == at(2026, 12, 14, 8)


def test_a_step_whose_window_opens_later_is_not_missed() -> None:
    # Planned Sunday 00:00, now Sunday 10:00: it fires Monday 08:00 as planned,
    # and the earlier (missed) step is skipped, not fired too.
    plan = plan_steps(
        steps("P0D", "P3D"),
        due_date=date(2026, 12, 10),
        tz=SP,
        window=DEFAULT_WINDOW,
        now=at(2026, 12, 13, 10),
    )
    assert [(p.status, p.reason) for p in plan] == [("skipped", CATCH_UP), ("scheduled", None)]
    assert plan[1].due_at == at(2026, 12, 14, 8)


def test_a_single_missed_step_fires_now() -> None:
    now = at(2026, 12, 10, 9)
    plan = plan_steps(steps("P0D", "P5D"), due_date=date(2026, 12, 10), tz=SP, window=DEFAULT_WINDOW, now=now)
    assert [p.status for p in plan] == ["scheduled", "scheduled"]
    assert plan[0].due_at == now


def test_every_step_missed_fires_only_the_last() -> None:
    now = at(2027, 3, 1, 9)
    plan = plan_steps(STEPS, due_date=date(2026, 12, 10), tz=SP, window=DEFAULT_WINDOW, now=now)
    assert [p.status for p in plan] == ["skipped"] * 4 + ["scheduled"]
    assert plan[-1].due_at == now


def test_steps_pushed_into_the_same_opening_do_not_burst() -> None:
    # Saturday 14:00 and Sunday 10:00 both land on Monday 08:00: only the later goes.
    plan = plan_steps(
        steps("P2DT14H", "P3DT10H"),
        due_date=date(2026, 12, 10),
        tz=SP,
        window=DEFAULT_WINDOW,
        now=at(2026, 12, 1),
    )
    assert [(p.status, p.reason) for p in plan] == [("skipped", SUPERSEDED), ("scheduled", None)]


def test_decide_fire() -> None:
    assert decide_fire(at(2026, 12, 10, 9), DEFAULT_WINDOW, SP).fire
    decision = decide_fire(at(2026, 12, 13, 9), DEFAULT_WINDOW, SP)
    assert not decision.fire and decision.reschedule_to == at(2026, 12, 14, 8)
    assert decide_fire(at(2026, 12, 13, 9), None, SP).fire
