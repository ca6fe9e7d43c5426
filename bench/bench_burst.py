"""Benchmark: the 08:00 burst. N steps fall due at one instant while a random
10 % of their invoices are paid by signed Pix webhooks; no paid debtor may get
a reminder whose provider call starts more than B after the payment was
acknowledged.

The five services run as processes with their default settings (only ports,
database, topic namespace and the channel endpoints are set), over the dev
machine's Kafka and PostgreSQL, with the channel sandbox in this process. The
tenant has no PSP account, so charges are static Pix codes made locally (what
a PSP costs is measured by bench_charges.py).

1. Setup: N debtors (one invoice each, their preferred channel spread over
   e-mail, SMS and WhatsApp) through the API, invoices imported with
   ``POST /v1/invoices:batch``; a policy of two steps, ``D-5`` and ``D+3``,
   due date 20 days ahead; waits until every plan, charge and projection
   exists (the planning figure printed is a by-product).
2. The burst: every ``D-5`` step is made due now, in one UPDATE of the
   scheduler's table: the shape of a send window opening at 08:00.
3. While it drains, 10 % of the invoices (at random) are paid, one signed Pix
   webhook each, spread over the first half of the expected drain time.
4. Measured: step-due/s (Kafka timestamps of the step-due records), messages/s
   (as the sandbox received them, against the sum of the default rate limits),
   payment→notifier-aware and payment→scheduler-cancelled (the ``D+3`` step)
   p50/p99 (polled every 50 ms from the services' tables), and the count of
   messages to a paid debtor received later than the webhook request + B.

"Acknowledged" is taken as the moment the webhook request was sent (before
the payment could be committed) and a message's provider call as the moment
the sandbox received it (after the call started): both err towards counting
a violation. Usage: python bench/bench_burst.py [N] [B seconds]
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from benchstack import BenchStack, bench_stack

from regua_contracts.topics import DUNNING_STEP_DUE, PAYMENT_EVENTS, namespaced
from regua_devtools.demo import sign
from regua_devtools.testing import admin_token

SECRET = secrets.token_urlsafe(48)
NAMES = (
    "invoice-service",
    "scheduler-service",
    "notifier-service",
    "payments-service",
    "negotiation-service",
)
CHANNELS = ("email", "sms", "whatsapp")
#: The notifier's default rate limits (sends per second), summed over the channels used.
RATE_LIMITS = {"email": 20.0, "sms": 10.0, "whatsapp": 20.0}
AMOUNT_CENTS = 150_00
POLL_S = 0.05


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(n: int, bound_s: float) -> None:
    async with bench_stack("burst") as stack:
        print(f"burst: N={n} steps, 10 % paid, B={bound_s} s; service logs in {stack.log_dir}")
        db = await asyncpg.connect(stack.libpq_url)
        try:
            await run(n, bound_s, stack, db)
        finally:
            await db.close()


async def run(n: int, bound_s: float, stack: BenchStack, db: asyncpg.Connection) -> None:
    url = {name: p.base_url for name, p in stack.procs.items()}
    tenant = uuid4()
    webhook_secret = secrets.token_urlsafe(24)
    headers = {"Authorization": f"Bearer {admin_token(stack.secret, tenant)}"}
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as http:
        await _ok(
            http.put(
                f"{url['payments-service']}/v1/settings/pix",
                json={
                    "webhook_secret": webhook_secret,
                    "static_codes": True,
                    "pix_key": "cobranca@escola-aurora.com.br",
                    "merchant_name": "Escola Aurora",
                    "merchant_city": "Sao Paulo",
                },
            )
        )
        due = datetime.now(UTC).date() + timedelta(days=20)
        await _ok(
            http.post(
                f"{url['scheduler-service']}/v1/policies",
                json={
                    "name": "burst",
                    "default": True,
                    "send_window": None,
                    "steps": [
                        _step("lembrete", "-P5D", "reminder", "friendly"),
                        _step("atraso", "P3D", "overdue", "firm"),
                    ],
                },
            )
        )

        began = time.perf_counter()
        addresses, debtor_ids = await _debtors(http, url["invoice-service"], n)
        debtors_s = time.perf_counter() - began
        began = time.perf_counter()
        invoice_of_debtor = await _invoices(http, url["invoice-service"], debtor_ids, due)
        import_s = time.perf_counter() - began
        invoices = [UUID(invoice_of_debtor[d]) for d in debtor_ids]
        await _until(lambda: _planned(db, invoices), within=max(600.0, n / 5))
        planned_s = time.perf_counter() - began
        print(
            f"setup: {n} debtors in {debtors_s:.1f} s; {n} invoices imported in {import_s:.1f} s"
            f" and planned (2 steps each, a Pix charge, notifier and scheduler projections)"
            f" {planned_s:.1f} s after the import began: {n / planned_s:,.0f} invoices/s"
        )

        txids = dict(
            await db.fetch(
                "select invoice_id, txid from payments.charges where method = 'pix' and status = 'active'"
            )
        )
        rng = random.Random(7)  # noqa: S311 (a sample, not a secret)
        paid = rng.sample(invoices, k=max(1, n // 10))
        address_of = {inv: addresses[i] for i, inv in enumerate(invoices)}
        expected_drain_s = n / sum(RATE_LIMITS.values())
        gap_s = expected_drain_s / 2 / len(paid)

        ages_before = await _ages(http, url["notifier-service"])
        t0 = time.time()
        fired = await db.execute(
            "update scheduler.steps set due_at = now() where step_index = 0 and status = 'scheduled'"
        )
        print(f"burst: {fired.split()[-1]} steps made due at one instant")
        acked: dict[UUID, float] = {}
        payer = asyncio.create_task(
            _pay(http, url["payments-service"], tenant, webhook_secret, paid, txids, gap_s, acked)
        )
        aware, cancelled = await _watch(db, paid, payer)
        await _until(lambda: _drained(db, invoices), within=max(900.0, n / 5))
        drained_s = time.time() - t0
        ages_after = await _ages(http, url["notifier-service"])

    bootstrap, namespace = stack.infra.bootstrap_servers, stack.namespace
    step_due_times = [at for at, _ in await _records(bootstrap, namespace, DUNNING_STEP_DUE)]
    on_kafka = {
        UUID(event["data"]["invoice_id"]): at
        for at, event in await _records(bootstrap, namespace, PAYMENT_EVENTS)
        if event["type"] == "br.regua.payment.received.v1"
    }
    on_kafka_s = [on_kafka[i] - acked[i] for i in paid if i in on_kafka]
    messages = list(stack.sandbox.store.messages)
    received = sorted(_ts(m["received_at"]) for m in messages)
    late: list[float] = []
    after_ack = 0
    paid_addresses = {address_of[inv]: inv for inv in paid}
    for m in messages:
        inv = paid_addresses.get(_address(m))
        if inv is None:
            continue
        at = _ts(m["received_at"])
        if at > acked[inv]:
            after_ack += 1
            if at > acked[inv] + bound_s:
                late.append(at - acked[inv])
    aware_s = [aware[i] - acked[i] for i in paid if i in aware]
    cancel_s = [cancelled[i] - acked[i] for i in paid if i in cancelled]
    statuses = dict(
        await db.fetch("select status, count(*) from scheduler.steps where step_index = 0 group by status")
    )

    step_rate = _rate(step_due_times)
    msg_rate = _rate(received)
    limit = sum(RATE_LIMITS.values())
    print(f"drained in {drained_s:.1f} s; step D-5 statuses: {statuses}")
    print(f"step-due published: {len(step_due_times)} at {step_rate:,.0f}/s")
    print(
        f"messages delivered: {len(received)} at {msg_rate:,.1f}/s;"
        f" default rate limits sum {limit:.0f}/s: ratio {msg_rate / limit:.2f}"
    )
    print(
        f"payment -> payment.received on Kafka: p50 {pct(on_kafka_s, 0.5):.3f} s,"
        f" p99 {pct(on_kafka_s, 0.99):.3f} s ({len(on_kafka_s)}/{len(paid)})"
    )
    print(
        f"payment -> notifier aware: p50 {pct(aware_s, 0.5):.3f} s, p99 {pct(aware_s, 0.99):.3f} s,"
        f" max {max(aware_s, default=float('nan')):.3f} s ({len(aware_s)}/{len(paid)})"
    )
    print(
        f"payment -> D+3 step cancelled: p50 {pct(cancel_s, 0.5):.3f} s, p99 {pct(cancel_s, 0.99):.3f} s"
        f" ({len(cancel_s)}/{len(paid)})"
    )
    print(
        f"messages to paid debtors received after the webhook was sent: {after_ack};"
        f" later than B = {bound_s} s after it: {len(late)}" + (f" (up to {max(late):.3f} s)" if late else "")
    )
    for key in sorted(ages_after):
        count = ages_after[key][0] - ages_before.get(key, (0.0, 0.0))[0]
        total = ages_after[key][1] - ages_before.get(key, (0.0, 0.0))[1]
        if count:
            print(f"  notifier {key[0]} {key[1]}: {int(count)} records, mean {total / count:.3f} s")
    verdict = "meets" if not late and pct(aware_s, 0.99) < 1.0 else "MISSES"
    print(f"bar (0 late messages, aware p99 < 1 s): {verdict}")


HISTOGRAMS = (("regua_event_fetch_age_seconds", "fetched"), ("regua_event_age_seconds", "handled"))


async def _ages(http: httpx.AsyncClient, base: str) -> dict[tuple[str, str], tuple[float, float]]:
    """(count, sum) of the notifier's event age histograms, by (histogram, topic)."""
    text = (await http.get(f"{base}/metrics")).text
    found: dict[tuple[str, str], list[float]] = {}
    for line in text.splitlines():
        for name, label in HISTOGRAMS:
            for part, index in (("_count{", 0), ("_sum{", 1)):
                if line.startswith(name + part):
                    topic = line.split('topic="', 1)[1].split('"', 1)[0].rpartition(".")[0].rpartition(".")[2]
                    found.setdefault((label, topic), [0.0, 0.0])[index] += float(line.rsplit(" ", 1)[1])
    return {key: (value[0], value[1]) for key, value in found.items()}


def _step(name: str, offset: str, template: str, tone: str) -> dict[str, Any]:
    return {
        "name": name,
        "offset": offset,
        "channels": list(CHANNELS),
        "template": template,
        "tone": tone,
        "action": "message",
    }


async def _ok(request: Any) -> Any:
    r = await request
    if r.status_code >= 300:
        raise SystemExit(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text[:500]}")
    return r.json()


async def _debtors(http: httpx.AsyncClient, base: str, n: int) -> tuple[list[str], list[str]]:
    """N debtors, concurrently; returns each one's address on its channel and its id."""
    addresses = [""] * n
    ids = [""] * n
    queue = iter(range(n))

    async def worker() -> None:
        for k in queue:
            channel = CHANNELS[k % len(CHANNELS)]
            address = f"devedor{k}@exemplo.com.br" if channel == "email" else f"+5511{900000000 + k}"
            contact = {"email": address} if channel == "email" else {channel: address}
            if channel == "sms":
                contact = {"phone": address}
            body = {
                "external_id": f"burst-{k}",
                "name": f"Devedor {k}",
                "document": "529.982.247-25",
                "preferred_channels": [channel],
                **contact,
            }
            debtor = await _ok(http.post(f"{base}/v1/debtors", json=body))
            addresses[k] = address if channel == "email" else address.lstrip("+")
            ids[k] = debtor["id"]

    await asyncio.gather(*(worker() for _ in range(8)))
    return addresses, ids


async def _invoices(http: httpx.AsyncClient, base: str, debtors: list[str], due: date) -> dict[str, str]:
    rows = [
        orjson.dumps(
            {
                "external_id": f"burst-inv-{k}",
                "debtor_id": d,
                "amount_cents": AMOUNT_CENTS,
                "due_date": due.isoformat(),
            }
        )
        for k, d in enumerate(debtors)
    ]
    r = await http.post(
        f"{base}/v1/invoices:batch",
        content=b"\n".join(rows),
        headers={"Content-Type": "application/x-ndjson"},
    )
    if r.status_code >= 300:
        raise SystemExit(f"import -> {r.status_code}: {r.text[:500]}")
    result = r.json()
    if result["errors"]:
        raise SystemExit(f"import refused rows: {result['errors'][:3]}")
    by_external = {item["external_id"]: item["id"] for item in result["created"] + result["existing"]}
    return {d: by_external[f"burst-inv-{k}"] for k, d in enumerate(debtors)}


async def _planned(db: asyncpg.Connection, invoices: list[UUID]) -> bool:
    counts = await db.fetchrow(
        """
        select
          (select count(*) from scheduler.steps where invoice_id = any($1::uuid[])) as steps,
          (select count(*) from payments.charges
            where invoice_id = any($1::uuid[]) and method = 'pix' and status = 'active') as charges,
          (select count(*) from notifier.invoices where invoice_id = any($1::uuid[])) as known,
          (select count(distinct invoice_id) from notifier.charges
            where invoice_id = any($1::uuid[])) as shown
        """,
        invoices,
    )
    assert counts is not None
    n = len(invoices)
    return bool(counts["steps"] == 2 * n and counts["charges"] == counts["known"] == counts["shown"] == n)


async def _pay(
    http: httpx.AsyncClient,
    base: str,
    tenant: UUID,
    secret: str,
    paid: list[UUID],
    txids: dict[UUID, str],
    gap_s: float,
    acked: dict[UUID, float],
) -> None:
    """One signed Pix webhook per paid invoice, ``gap_s`` apart, from 1 s into the burst."""
    await asyncio.sleep(1.0)
    start = time.perf_counter()
    for k, invoice in enumerate(paid):
        await asyncio.sleep(max(0.0, start + k * gap_s - time.perf_counter()))
        body = orjson.dumps(
            {
                "pix": [
                    {
                        "endToEndId": "E" + uuid4().hex[:31],
                        "txid": txids[invoice],
                        "valor": f"{AMOUNT_CENTS // 100}.{AMOUNT_CENTS % 100:02d}",
                        "horario": datetime.now(UTC).isoformat(timespec="seconds"),
                    }
                ]
            }
        )
        acked[invoice] = time.time()
        r = await http.post(
            f"{base}/v1/webhooks/pix/{tenant}",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Regua-Signature": sign(secret, body, int(time.time())),
            },
        )
        outcome = r.json()["results"][0]["outcome"] if r.status_code == 200 else r.status_code
        if outcome != "recorded":
            raise SystemExit(f"payment of {invoice} not recorded: {r.status_code} {r.text[:300]}")


async def _watch(
    db: asyncpg.Connection, paid: list[UUID], payer: asyncio.Task[None]
) -> tuple[dict[UUID, float], dict[UUID, float]]:
    """When each paid invoice became known to the notifier and had its D+3 step
    stopped by the scheduler, polled every 50 ms until all are, after the last payment."""
    aware: dict[UUID, float] = {}
    cancelled: dict[UUID, float] = {}
    deadline = None
    while len(aware) < len(paid) or len(cancelled) < len(paid):
        now = time.time()
        for (invoice_id,) in await db.fetch(
            # Either way the notifier learns it: payment.received (payments) or the
            # invoice's new status (invoice-service); the sender's re-check reads both.
            "select invoice_id from notifier.invoices"
            " where (payment_seen_at is not null or status in ('paid', 'cancelled', 'renegotiated'))"
            " and invoice_id = any($1::uuid[])",
            [i for i in paid if i not in aware],
        ):
            aware[invoice_id] = now
        for (invoice_id,) in await db.fetch(
            "select invoice_id from scheduler.steps where step_index = 1 and status <> 'scheduled'"
            " and invoice_id = any($1::uuid[])",
            [i for i in paid if i not in cancelled],
        ):
            cancelled[invoice_id] = now
        if payer.done():
            payer.result()
            deadline = deadline or now + 60
            if now > deadline:
                break
        await asyncio.sleep(POLL_S)
    await payer
    return aware, cancelled


async def _drained(db: asyncpg.Connection, invoices: list[UUID]) -> bool:
    open_steps = await db.fetchval(
        "select count(*) from scheduler.steps where step_index = 0 and status in ('scheduled', 'due')"
        " and invoice_id = any($1::uuid[])",
        invoices,
    )
    return bool(open_steps == 0)


async def _until(check: Any, *, within: float) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise SystemExit(f"condition not met within {within:.0f} s")
        await asyncio.sleep(0.25)


async def _records(bootstrap: str, namespace: str, name: str) -> list[tuple[float, dict[str, Any]]]:
    """Every committed record of a topic: (its timestamp, its event)."""
    topic = namespaced(name, namespace)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed")
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[tuple[float, dict[str, Any]]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [(r.timestamp / 1000, orjson.loads(r.value)) for r in records]
        return sorted(found, key=lambda pair: pair[0])
    finally:
        await consumer.stop()


def _rate(times: list[float]) -> float:
    if len(times) < 2 or times[-1] == times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _address(message: dict[str, Any]) -> str:
    """The recipient as the bench wrote it: an e-mail, or a phone's digits."""
    to = str(message["to"]).strip()
    return to.lower() if "@" in to else "".join(c for c in to if c.isdigit())


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
            float(sys.argv[2]) if len(sys.argv) > 2 else 1.0,
        )
    )
