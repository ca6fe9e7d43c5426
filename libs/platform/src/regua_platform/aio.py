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
    one_pass: Callable[[], Awaitable[bool]],
    *,
    service: str,
    worker: str,
    stop: asyncio.Event,
    interval: float,
) -> None:
    """Run ``one_pass`` until ``stop``: again at once while it says there may
    be more (it filled a batch), else after ``interval`` seconds.

    Each completed pass counts in ``regua_worker_passes_total{service,
    worker}``: a loop that stopped turning shows in the metrics, and a test
    waits for passes instead of sleeping.
    """
    passes = WORKER_PASSES.labels(service, worker)
    while not stop.is_set():
        more = await one_pass()
        passes.inc()
        if not more:
            await sleep_unless(stop, interval)
