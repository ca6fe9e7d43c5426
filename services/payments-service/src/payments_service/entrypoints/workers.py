"""payments-service's background loops: the gateway worker (charges to and from
the tenants' PSPs and banks) and the Pix reconciliation sweep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from payments_service.adapters.crypto import SecretBox
from payments_service.domain.gateways import GatewayError
from payments_service.metrics import GATEWAY_CALLS, observe_results
from payments_service.service_layer import gateway_sync
from payments_service.service_layer.gateway_sync import Gateways, SyncPolicy
from payments_service.service_layer.reconcile import apply_sweep, sweep_window
from payments_service.service_layer.unit_of_work import GATEWAY_CHANNEL, PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_platform.aio import batch_worker
from regua_platform.app import Runtime, Worker
from regua_platform.metrics import RETENTION_DELETED

log = logging.getLogger("payments.workers")

PaymentsRuntime = Runtime[Settings, PaymentsUnitOfWork]
#: Builds the gateway clients from the settings (tests pass their own).
GatewaysFactory = Callable[[Settings], Gateways]


def http_gateways(settings: Settings) -> Gateways:
    from payments_service.adapters.gateway_clients import HttpGateways

    return HttpGateways(SecretBox(settings.encryption_keys), timeout_s=settings.gateways.timeout_s)


def sync_policy(settings: Settings) -> SyncPolicy:
    g = settings.gateways
    return SyncPolicy(
        batch_size=g.batch_size,
        lease_seconds=g.lease_seconds,
        retry_base_seconds=g.retry_base_seconds,
        retry_max_seconds=g.retry_max_seconds,
        debtor_wait_seconds=g.debtor_wait_seconds,
        concurrency=g.concurrency,
    )


def charge_workers(gateways: GatewaysFactory = http_gateways) -> list[Worker]:
    """The worker loops, with the gateway clients ``gateways`` builds."""

    async def sync_charges(runtime: PaymentsRuntime, stop: asyncio.Event) -> None:
        clients = gateways(runtime.settings)
        policy = sync_policy(runtime.settings)
        g = runtime.settings.gateways
        # Commits that queue gateway work NOTIFY this channel (whichever process
        # made them): an idle worker sleeps up to idle_max and still starts at once.
        wake = runtime.listener.event(GATEWAY_CHANNEL) if runtime.listener else None
        limit = asyncio.Semaphore(policy.concurrency)

        def one_pass() -> Awaitable[bool | None]:
            return _sync_pass(runtime, clients, policy, limit=limit, idle_max=g.idle_max_seconds)

        try:
            # Two loops: one records its batch while the other's calls are in
            # flight (SKIP LOCKED and the lease keep their batches apart); the
            # calls of both share one limit.
            await asyncio.gather(
                *(
                    batch_worker(
                        one_pass,
                        service=runtime.definition.name,
                        worker="charges",
                        stop=stop,
                        interval=g.poll_interval_ms / 1000,
                        idle_max=g.idle_max_seconds,
                        wake=wake,
                    )
                    for _ in range(2)
                )
            )
        finally:
            await clients.close()

    async def reconcile_pix(runtime: PaymentsRuntime, stop: asyncio.Event) -> None:
        clients = gateways(runtime.settings)
        try:
            await batch_worker(
                lambda: _sweep_pass(runtime, clients),
                service=runtime.definition.name,
                worker="reconcile",
                stop=stop,
                interval=runtime.settings.gateways.reconcile_interval_seconds,
            )
        finally:
            await clients.close()

    async def prune_rejections(runtime: PaymentsRuntime, stop: asyncio.Event) -> None:
        await batch_worker(
            lambda: _prune_pass(runtime),
            service=runtime.definition.name,
            worker="webhook_rejections_retention",
            stop=stop,
            interval=runtime.settings.retention.interval_seconds,
        )

    return [sync_charges, reconcile_pix, prune_rejections]


async def _prune_pass(runtime: PaymentsRuntime) -> bool:
    """Delete one batch of webhook rejections older than ``webhook_rejections_days``;
    True when the batch was full (go again at once)."""
    batch = runtime.settings.retention.batch_size
    older_than = runtime.clock.now() - timedelta(days=runtime.settings.webhook_rejections_days)
    async with runtime.uow() as uow:
        deleted = await uow.rejections.prune(older_than, batch)
        await uow.commit()
    if deleted:
        RETENTION_DELETED.labels(runtime.definition.name, "webhook_rejections").inc(deleted)
        log.info("payments.webhook_rejections.pruned", extra={"rows": deleted})
    return deleted >= batch


async def _sync_pass(
    runtime: PaymentsRuntime,
    clients: Gateways,
    policy: SyncPolicy,
    *,
    limit: asyncio.Semaphore | None = None,
    idle_max: float = 5.0,
) -> bool | None:
    """Claim a batch, make its calls concurrently, record it in one transaction.
    True when the batch was full (there may be more), False when it did some
    or something falls due within ``idle_max`` (a retry's backoff), None when
    nothing is due (the worker's pause then grows)."""
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        calls = await gateway_sync.prepare(uow, now, policy)
        next_due = None if calls else await gateway_sync.idle_until(uow)
        await uow.commit()
    if not calls:
        if next_due is None or next_due > now + timedelta(seconds=idle_max):
            return None
        return next_due <= now  # claimed ones were all set aside: look again at once
    outcomes = await gateway_sync.call_all(clients, calls, limit or asyncio.Semaphore(policy.concurrency))
    results = list(zip(calls, outcomes, strict=True))
    for call, outcome in results:
        gateway = "psp" if call.charge.method == "pix" else "bank"
        GATEWAY_CALLS.labels(gateway, "error" if isinstance(outcome, GatewayError) else "ok").inc()
    try:
        async with runtime.uow() as uow:
            await gateway_sync.record_all(uow, results, runtime.clock.now(), policy)
            await uow.commit()
    except Exception as exc:
        # One charge's record must not cost the others theirs: one by one.
        log.warning("payments.gateway.batch_record_failed", extra={"error": type(exc).__name__})
        for call, outcome in results:
            async with runtime.uow() as uow:
                await gateway_sync.record(uow, call, outcome, runtime.clock.now(), policy)
                await uow.commit()
    return len(calls) >= policy.batch_size


async def _sweep_pass(runtime: PaymentsRuntime, clients: Gateways) -> bool:
    """One sweep of every tenant with a PSP account; one tenant's failure stops no other."""
    g = runtime.settings.gateways
    async with runtime.uow() as uow:
        accounts = await uow.psp_accounts.all()
    for account in accounts:
        start, end = sweep_window(
            account,
            runtime.clock.now(),
            overlap=timedelta(seconds=g.reconcile_overlap_seconds),
            first=timedelta(hours=g.reconcile_first_window_hours),
        )
        try:
            received = await clients.pix(account).received_pix(start, end)
        except Exception as exc:
            log.warning(
                "payments.reconcile.failed",
                extra={"tenant_id": str(account.tenant_id), "error": type(exc).__name__},
            )
            continue
        async with runtime.uow() as uow:
            results = await apply_sweep(uow, account, received, end)
            await uow.commit()
        observe_results("pix", results)
    return False
