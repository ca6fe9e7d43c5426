"""Resuming the steps a renegotiation paused, once the agreement breaks."""

from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler_service.domain.planning import resume_steps, resumes_dunning
from scheduler_service.domain.windows import DEFAULT_WINDOW

SP = ZoneInfo("America/Sao_Paulo")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SP)


# The built-in policy for an invoice due Thursday 2026-12-10, as planned.
PAUSED = [
    (0, at(2026, 12, 7)),
    (1, at(2026, 12, 10)),
    (2, at(2026, 12, 13)),
    (3, at(2026, 12, 20)),
    (4, at(2026, 12, 30)),
]


def test_only_the_latest_missed_step_fires_now_and_future_ones_keep_their_times() -> None:
    now = at(2026, 12, 15, 10)  # Tuesday, inside the window
    resumed = resume_steps(PAUSED, tz=SP, window=DEFAULT_WINDOW, now=now)
    assert [(r.index, r.status) for r in resumed] == [
        (0, "skipped"),
        (1, "skipped"),
        (2, "scheduled"),
        (3, "scheduled"),
        (4, "scheduled"),
    ]
    assert resumed[2].due_at == now
    assert resumed[3].due_at == at(2026, 12, 21, 8)  # Sunday's step waits for Monday 08:00
    assert resumed[4].due_at == at(2026, 12, 30, 8)


def test_resumed_outside_the_window_the_caught_up_step_waits_for_it() -> None:
    resumed = resume_steps(PAUSED, tz=SP, window=DEFAULT_WINDOW, now=at(2026, 12, 12, 22))  # Saturday
    # Saturday night: the missed due_today step would fire when the window opens
    # on Monday 08:00, the same instant as the (Sunday) +3 days step, which wins.
    assert [r.status for r in resumed] == ["skipped", "skipped", "scheduled", "scheduled", "scheduled"]
    assert resumed[1].due_at == resumed[2].due_at == at(2026, 12, 14, 8)


def test_nothing_missed_and_nothing_paused() -> None:
    resumed = resume_steps(PAUSED[3:], tz=SP, window=None, now=at(2026, 12, 15, 10))
    assert [(r.status, r.due_at) for r in resumed] == [
        ("scheduled", at(2026, 12, 20)),
        ("scheduled", at(2026, 12, 30)),
    ]
    assert resume_steps([], tz=SP, window=None, now=at(2026, 12, 15)) == []


def test_only_leaving_renegotiated_for_collection_resumes() -> None:
    assert resumes_dunning("renegotiated", "overdue")
    assert resumes_dunning("renegotiated", "partially_paid")
    assert resumes_dunning("renegotiated", "open")
    assert not resumes_dunning("renegotiated", "paid")
    assert not resumes_dunning("renegotiated", "cancelled")
    assert not resumes_dunning("open", "overdue")
