"""The worker loop every background job runs on."""

from __future__ import annotations

import asyncio

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
