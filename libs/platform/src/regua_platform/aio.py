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
        if more is not None or not idle_max:
            pause = interval  # it found work: look again soon
        await wait_for_work(stop, wake, pause)
        if more is None and idle_max:
            pause = min(pause * 2, idle_max)


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


class Urgency:
    """Work that must not wait for CPU behind bulk work: while any urgent
    work is under way (``with urgency:``), loops that defer to it wait
    (``await urgency.calm()``) before their next step.

    asyncio has no priorities: a process busy sending thousands of messages
    runs every ready task in turn, so a payment consumed in that process
    waits for a share of the loop on every round trip of its transaction.
    The notifier's priority lane is urgent (see docs/stop-on-pay.md) and its
    sender calms down before each re-check and each claim."""

    def __init__(self) -> None:
        self._active = 0
        self._calm = asyncio.Event()
        self._calm.set()

    def __enter__(self) -> Urgency:
        self._active += 1
        self._calm.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        self._active -= 1
        if self._active == 0:
            self._calm.set()

    @property
    def busy(self) -> bool:
        return self._active > 0

    async def calm(self) -> None:
        """Return once no urgent work is under way."""
        await self._calm.wait()
