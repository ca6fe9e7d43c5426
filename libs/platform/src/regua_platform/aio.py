"""Small asyncio helpers for the long-running loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from regua_platform.metrics import WORKER_PASSES


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, waking early when ``stop`` is set (shutdown)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def batch_worker(
    one_pass: Callable[[], Awaitable[bool | None]],
    *,
    service: str,
    worker: str,
    stop: asyncio.Event,
    interval: float,
    idle_max: float | None = None,
    wake: asyncio.Event | None = None,
) -> None:
    """Run ``one_pass`` until ``stop``: again at once while it says there may
    be more (it filled a batch), else after ``interval`` seconds.

    With ``idle_max``, the pause doubles after each pass that found nothing
    (``one_pass`` returns None) up to ``idle_max``, and drops back to
    ``interval`` after a pass that found work (False or True): an idle loop
    costs little. ``wake`` (an event a notification sets, see
    :mod:`regua_platform.wakeup`) ends a pause early.

    Each completed pass counts in ``regua_worker_passes_total{service,
    worker}``: a loop that stopped turning shows in the metrics, and a test
    waits for passes instead of sleeping.
    """
    passes = WORKER_PASSES.labels(service, worker)
    pause = interval
    while not stop.is_set():
        if wake is not None:
            wake.clear()
        more = await one_pass()
        passes.inc()
        if more:
            pause = interval
            continue
        await wait_for_work(stop, wake, pause)
        pause = min(pause * 2, idle_max) if more is None and idle_max else interval


async def wait_for_work(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Sleep up to ``seconds``, waking early on ``wake`` (work arrived) or
    ``stop`` (shutdown). The caller clears ``wake`` before it looks for work."""
    if wake is None:
        await sleep_unless(stop, seconds)
        return
    waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())}
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
