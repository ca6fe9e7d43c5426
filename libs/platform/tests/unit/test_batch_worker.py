"""The worker loop every background job runs on."""

from __future__ import annotations

import asyncio

import pytest

from regua_platform import aio
from regua_platform.aio import batch_worker
from regua_platform.metrics import WORKER_PASSES


async def test_full_batches_go_again_at_once_and_every_pass_is_counted() -> None:
    stop = asyncio.Event()
    backlog = [3, 3, 1]  # two full batches of 3, then a partial one
    calls = 0

    async def one_pass() -> bool:
        nonlocal calls
        calls += 1
        done = backlog.pop(0)
        if not backlog:
            stop.set()  # shutdown: the sleep after this pass ends at once
        return done == 3

    counter = WORKER_PASSES.labels("test-service", "test-worker")
    before = counter._value.get()
    # An hour between idle passes: reaching the third pass within seconds
    # proves the loop did not sleep after the full batches.
    worker = batch_worker(one_pass, service="test-service", worker="test-worker", stop=stop, interval=3600)
    await asyncio.wait_for(worker, timeout=5)
    assert calls == 3
    assert counter._value.get() - before == 3


async def test_idle_passes_pause_longer_up_to_idle_max_and_work_resets_the_pause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop = asyncio.Event()
    pauses: list[float] = []

    async def record_pause(_stop: asyncio.Event, _wake: asyncio.Event | None, seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(aio, "wait_for_work", record_pause)
    # None: found nothing; False: did some, no more; True: a full batch.
    outcomes: list[bool | None] = [None, None, None, None, False, None, True, None]

    async def one_pass() -> bool | None:
        outcome = outcomes.pop(0)
        if not outcomes:
            stop.set()
        return outcome

    await asyncio.wait_for(
        aio.batch_worker(one_pass, service="t", worker="t", stop=stop, interval=1.0, idle_max=5.0), timeout=5
    )
    # 1, 2, 4, then capped at 5; work found: back to 1; idle again: 1; a full
    # batch goes again with no pause; idle: 1.
    assert pauses == [1.0, 2.0, 4.0, 5.0, 1.0, 1.0, 1.0]
