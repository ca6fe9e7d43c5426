"""The urgency gate: loops that defer to urgent work wait while it runs."""

from __future__ import annotations

import asyncio

from regua_platform.aio import Urgency


async def test_calm_waits_until_every_urgent_batch_is_done() -> None:
    urgency = Urgency()
    await asyncio.wait_for(urgency.calm(), timeout=1)  # nothing urgent: no wait
    order: list[str] = []

    async def deferring() -> None:
        await urgency.calm()
        order.append("bulk")

    with urgency:
        with urgency:  # two urgent lanes at once
            waiter = asyncio.create_task(deferring())
            await asyncio.sleep(0)
            order.append("urgent 1")
        await asyncio.sleep(0)
        assert not waiter.done()
        assert urgency.busy
        order.append("urgent 2")
    await asyncio.wait_for(waiter, timeout=1)
    assert order == ["urgent 1", "urgent 2", "bulk"]
    assert not urgency.busy
