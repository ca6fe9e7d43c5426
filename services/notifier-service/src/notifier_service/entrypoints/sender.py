"""The sender worker: a router that decides which channel each due delivery
goes out on, and one loop per channel that sends, so a slow channel never
holds another's messages (see :mod:`notifier_service.service_layer.sender`).

Each channel's loop claims only the deliveries queued for its channel, as many
as it has free send slots (``sender.concurrency_per_channel``), and runs each
send (rate limit, re-check, provider call, record) as a task of its own: the
provider's latency overlaps up to that bound, the channel's token bucket caps
the rate.

Metrics: ``regua_worker_passes_total{worker="sender"}`` counts the router's
passes, ``{worker="sender.<channel>"}`` each channel loop's claims.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from notifier_service.adapters.providers.base import ProviderError, ProviderReceipt
from notifier_service.adapters.providers.registry import RateLimitedProviders, build_providers
from notifier_service.domain.channels import Channel
from notifier_service.metrics import MESSAGES
from notifier_service.service_layer.sender import DELIVERIES_READY, PreparedSend, Sender
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_br.tokens import LINK_INFO, Keyring
from regua_platform.aio import batch_worker
from regua_platform.app import Runtime
from regua_platform.metrics import WORKER_PASSES

log = logging.getLogger("notifier.sender")

NotifierRuntime = Runtime[Settings, NotifierUnitOfWork]


def link_keys(settings: Settings) -> Keyring:
    """The portal link keys: one per ``portal_keys`` secret, the first signs."""
    return Keyring.from_secrets([k.get_secret_value() for k in settings.portal_keys], LINK_INFO)


async def send_deliveries(runtime: NotifierRuntime, stop: asyncio.Event) -> None:
    settings = runtime.settings
    providers = build_providers(settings, runtime.clock)
    sender = Sender(settings, link_keys(settings), providers.has)
    loops: dict[Channel, ChannelLoop] = {}
    for channel in providers.channels:
        loops[channel] = ChannelLoop(runtime, sender, providers, channel, loops)

    async def route() -> bool | None:
        """One router pass; True when something was due (there may be more),
        None when nothing was (the pause grows)."""
        await runtime.urgency.calm()
        async with runtime.uow() as uow:
            done = await sender.route(uow, runtime.clock.now())
            await uow.commit()
        for channel in done.routed:
            loops[channel].wake()
        return True if done.claimed else None

    try:
        # One failing loop stops the others: the supervisor restarts them all.
        async with asyncio.TaskGroup() as group:
            group.create_task(
                batch_worker(
                    route,
                    service=runtime.definition.name,
                    worker="sender",
                    stop=stop,
                    interval=settings.sender.poll_interval_ms / 1000,
                    idle_max=settings.sender.idle_max_ms / 1000,
                    wake=runtime.listener.event(DELIVERIES_READY) if runtime.listener else None,
                )
            )
            for loop in loops.values():
                group.create_task(loop.run(stop))
    finally:
        await providers.close()


class ChannelLoop:
    """The sends of one channel."""

    def __init__(
        self,
        runtime: NotifierRuntime,
        sender: Sender,
        providers: RateLimitedProviders,
        channel: Channel,
        loops: dict[Channel, ChannelLoop],
    ) -> None:
        self._runtime = runtime
        self._sender = sender
        self._providers = providers
        self._channel = channel
        self._loops = loops
        self._woken = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._passes = WORKER_PASSES.labels(runtime.definition.name, f"sender.{channel}")

    def wake(self) -> None:
        """Deliveries were queued for this channel: look now."""
        self._woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        s = self._runtime.settings.sender
        pause = first_pause = s.poll_interval_ms / 1000
        try:
            while not stop.is_set():
                free = s.concurrency_per_channel - len(self._in_flight)
                if free == 0:
                    await self._wait(stop, self._in_flight)  # for a free slot
                    continue
                limit = min(free, s.batch_size)
                await self._runtime.urgency.calm()
                self._woken.clear()
                claimed = await self._claim(limit)
                self._passes.inc()
                if claimed < limit:  # nothing more due now
                    await self._wait(stop, (), idle=pause)
                # Idle, the pause doubles up to idle_max; a wake-up or any work resets it.
                idle = claimed == 0 and not self._woken.is_set()
                pause = min(pause * 2, s.idle_max_ms / 1000) if idle else first_pause
            # Sends under way record their outcome before the worker stops.
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        finally:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _claim(self, limit: int) -> int:
        """Claim and prepare up to ``limit`` sends and start them; how many
        deliveries were claimed."""
        async with self._runtime.uow() as uow:
            done = await self._sender.prepare_pass(
                uow, self._runtime.clock.now(), channel=self._channel, limit=limit
            )
            await uow.commit()
        for channel in done.routed:
            self._loops[channel].wake()
        for prepared in done.sends:
            task = asyncio.create_task(self._deliver(prepared))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return done.claimed

    async def _wait(
        self,
        stop: asyncio.Event,
        tasks: set[asyncio.Task[None]] | tuple[()],
        *,
        idle: float | None = None,
    ) -> None:
        """Until stop or one of ``tasks`` ends; ``idle``: or a wake-up, or
        that many seconds."""
        waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
        if idle is not None:
            waiters.append(asyncio.create_task(self._woken.wait()))
        try:
            await asyncio.wait([*waiters, *tasks], timeout=idle, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _deliver(self, prepared: PreparedSend) -> None:
        """Send one message and record the outcome. Whatever fails here leaves
        the delivery under its lease: it is tried again when the lease runs
        out, under the same idempotency key."""
        runtime = self._runtime
        try:
            done = await _send(runtime, self._sender, self._providers, prepared)
            if done is None:
                MESSAGES.labels(prepared.message.channel, "suppressed").inc()
                return
            send, outcome = done
            await runtime.urgency.calm()
            async with runtime.uow() as uow:
                await self._sender.record(uow, send, outcome, runtime.clock.now())
                await uow.commit()
            sent = isinstance(outcome, ProviderReceipt)
            MESSAGES.labels(send.message.channel, "sent" if sent else "provider_error").inc()
        except Exception:
            log.exception(
                "notifier.send.crashed", extra={"step_id": str(prepared.step_id), "channel": self._channel}
            )


async def _send(
    runtime: NotifierRuntime,
    sender: Sender,
    providers: RateLimitedProviders,
    prepared: PreparedSend,
) -> tuple[PreparedSend, ProviderReceipt | ProviderError] | None:
    """Wait for the channel's rate limit, re-check what is known right before
    the call (a payment consumed meanwhile suppresses it), then call: None
    when there was no call."""
    await providers.acquire(prepared.message.channel)
    # A payment being consumed in this process goes first: the re-check then sees it.
    await runtime.urgency.calm()
    async with runtime.uow() as uow:
        send = await sender.recheck(uow, prepared, runtime.clock.now())
        await uow.commit()
    if send is None:
        return None
    try:
        return send, await providers.call(send.message)
    except ProviderError as exc:
        return send, exc
    except Exception as exc:
        log.exception("notifier.provider.crashed", extra={"step_id": str(send.step_id)})
        return send, ProviderError(type(exc).__name__, retryable=True)
