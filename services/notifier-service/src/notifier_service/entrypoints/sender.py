"""The sender worker: prepares due deliveries, sends them outside any
transaction, records the outcomes (see :mod:`notifier_service.service_layer.sender`)."""

from __future__ import annotations

import asyncio
import logging

from notifier_service.adapters.providers.base import ProviderError, ProviderReceipt
from notifier_service.adapters.providers.registry import RateLimitedProviders, build_providers
from notifier_service.service_layer.sender import PreparedSend, Sender
from notifier_service.service_layer.unit_of_work import NotifierUnitOfWork
from notifier_service.settings import Settings
from regua_br.tokens import LINK_INFO, Keyring
from regua_platform.aio import batch_worker
from regua_platform.app import Runtime

log = logging.getLogger("notifier.sender")


def link_keys(settings: Settings) -> Keyring:
    if settings.auth.jwt_secret is None:
        raise RuntimeError("portal links need auth.jwt_secret (the link key is derived from it)")
    return Keyring.derived(settings.auth.jwt_secret.get_secret_value(), LINK_INFO)


async def send_deliveries(runtime: Runtime[Settings, NotifierUnitOfWork], stop: asyncio.Event) -> None:
    settings = runtime.settings
    providers = build_providers(settings, runtime.clock)
    sender = Sender(settings, link_keys(settings), providers.has)
    try:
        await batch_worker(
            lambda: _one_pass(runtime, sender, providers),
            service=runtime.definition.name,
            worker="sender",
            stop=stop,
            interval=settings.sender.poll_interval_ms / 1000,
        )
    finally:
        await providers.close()


async def _one_pass(
    runtime: Runtime[Settings, NotifierUnitOfWork], sender: Sender, providers: RateLimitedProviders
) -> bool:
    """Prepare, send and record one batch; True when something was due (there may be more)."""
    async with runtime.uow() as uow:
        prepared = await sender.prepare(uow, runtime.clock.now())
        await uow.commit()
    if not prepared:
        return False
    outcomes = await asyncio.gather(*(_send(runtime, sender, providers, p) for p in prepared))
    for done in outcomes:
        if done is None:
            continue
        send, outcome = done
        async with runtime.uow() as uow:
            await sender.record(uow, send, outcome, runtime.clock.now())
            await uow.commit()
    return True


async def _send(
    runtime: Runtime[Settings, NotifierUnitOfWork],
    sender: Sender,
    providers: RateLimitedProviders,
    prepared: PreparedSend,
) -> tuple[PreparedSend, ProviderReceipt | ProviderError] | None:
    """Wait for the channel's rate limit, re-check what is known right before
    the call (a payment consumed meanwhile suppresses it), then call: None
    when there was no call."""
    await providers.acquire(prepared.message.channel)
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
