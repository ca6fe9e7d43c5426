"""Benchmark: the scheduler's durable timer against a bare claim loop.

Fills a scheduler schema (built by the real migrations) with 1,000,000
scheduled steps, N of them (default 100,000) due now, and runs the real timer
(``run_timer`` with default settings: claim, window and catch-up re-check,
status update, ``step-due`` rows in the outbox, one transaction per round)
until nothing due is left. Publishing the outbox to Kafka is excluded (the
relay has its own bench). In the same run, on the same PostgreSQL, a bare
``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT batch)
RETURNING id`` loop drains an identical copy of the table: the ratio is the
price of the timer's work. Usage: python bench/bench_timer.py [N] [BATCH_SIZE]
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4

import asyncpg
import orjson

from regua_devtools.devstack.infra import ensure_infra
from regua_devtools.testing import wait_for
from regua_platform import migrations
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import DatabaseSettings
from scheduler_service.adapters.db.tables import messaging
from scheduler_service.domain.policy import default_window
from scheduler_service.main import DEFINITION
from scheduler_service.service_layer.timer import run_timer
from scheduler_service.service_layer.unit_of_work import SchedulerUnitOfWork
from scheduler_service.settings import TimerSettings

TOTAL = 1_000_000
STEPS_PER_PLAN = 4
#: Tuesday 2026-12-01 10:00 in São Paulo: inside the default send window.
NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)

FILL = """
-- A bulk load: foreign keys are known good, their per-row triggers are skipped.
set session_replication_role = replica;
create temporary table bench_plans as
  select g as n, gen_random_uuid() as invoice_id, gen_random_uuid() as debtor_id
  from generate_series(1, $1::int) g;
insert into scheduler.invoice_plans
  select invoice_id, '{tenant}', debtor_id, '{policy}', date '2026-12-01',
         'America/Sao_Paulo', '{window}'::jsonb, '{now}'
  from bench_plans;
-- Step 0 of the first N plans is due a minute ago; every other step is in the
-- future (so each due step fires: no later step of its invoice is due).
insert into scheduler.steps
  select gen_random_uuid(), '{tenant}', p.invoice_id, p.debtor_id, '{policy}', s,
         'step' || s, 'P' || s || 'D', '["email", "whatsapp", "sms"]'::jsonb, 'reminder',
         'friendly', 'message', timestamptz '{now}' + s * interval '1 day',
         case when s = 0 and p.n <= {due} then timestamptz '{now}' - interval '1 minute'
              else timestamptz '{now}' + (s + 1) * interval '1 day' + p.n * interval '1 second' end,
         'scheduled', null, '{now}'
  from bench_plans p cross join generate_series(0, {last_step}) s;
set session_replication_role = origin;
-- The bare loop's copy, with the indexes it uses (primary key, the timer's partial index).
create table scheduler.steps_bare as select * from scheduler.steps;
alter table scheduler.steps_bare add primary key (id);
create index on scheduler.steps_bare (due_at) where status = 'scheduled';
"""

BARE = """
update scheduler.steps_bare set status = 'due'
where id in (
  select id from scheduler.steps_bare
  where status = 'scheduled' and due_at <= $1
  order by due_at limit $2
  for update skip locked
)
returning id
"""


async def bare_loop(conn: asyncpg.Connection, batch: int) -> int:
    claimed = 0
    while True:
        rows = await conn.fetch(BARE, NOW, batch)
        claimed += len(rows)
        if len(rows) < batch:
            return claimed


async def timer_run(url: str, settings: TimerSettings, n: int) -> tuple[float, Any]:
    engine = create_engine(DatabaseSettings(url=url), application_name="bench-timer")
    sessions = create_sessionmaker(engine)
    clock = FixedClock(NOW)

    def uow() -> SchedulerUnitOfWork:
        return SchedulerUnitOfWork(sessions, messaging, source="/regua/scheduler-service", clock=clock)

    runtime = SimpleNamespace(
        uow=uow, settings=SimpleNamespace(timer=settings), definition=SimpleNamespace(name="bench")
    )
    watcher = await asyncpg.connect(url.replace("+asyncpg", ""))
    stop = asyncio.Event()
    began = time.perf_counter()
    task = asyncio.create_task(run_timer(cast(Any, runtime), stop))
    try:

        async def drained() -> bool:
            pending = "select 1 from scheduler.steps where status = 'scheduled' and due_at <= $1"
            return not await watcher.fetchval(f"select exists({pending})", NOW)

        await wait_for(drained, timeout=3600, interval=0.02)
        elapsed = time.perf_counter() - began
    finally:
        stop.set()
        await task
        await engine.dispose()
    outbox = await watcher.fetchval("select count(*) from scheduler.outbox")
    statuses = dict(await watcher.fetch("select status, count(*) from scheduler.steps group by status"))
    sample = orjson.loads(await watcher.fetchval("select value from scheduler.outbox limit 1"))
    await watcher.close()
    assert outbox == n, f"{outbox} step-due rows for {n} due steps"
    assert statuses == {"due": n, "scheduled": TOTAL - n}, statuses
    assert sample["type"] == "br.regua.dunning.step-due.v1", sample
    return elapsed, statuses


async def main(n: int, batch: int | None) -> None:
    plans = TOTAL // STEPS_PER_PLAN
    if not 0 < n <= plans:
        raise SystemExit(f"N must be between 1 and {plans}")
    infra = ensure_infra()
    base_url = infra.database_url
    db = f"regua_bench_{secrets.token_hex(3)}"
    admin = await asyncpg.connect(base_url.replace("+asyncpg", ""))
    await admin.execute(f'create database "{db}"')
    url = base_url.rpartition("/")[0] + "/" + db
    try:
        await asyncio.to_thread(migrations.upgrade, DEFINITION.migrations_dir, url)
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        tenant, policy = uuid4(), uuid4()
        window = orjson.dumps(default_window().model_dump(mode="json")).decode()
        await conn.execute(
            "insert into scheduler.policies values ($1, $2, 'bench', true, false, 'America/Sao_Paulo',"
            " $3::jsonb, '[]'::jsonb, $4)",
            policy,
            tenant,
            window,
            NOW,
        )
        began = time.perf_counter()
        await conn.execute(
            FILL.format(
                tenant=tenant,
                policy=policy,
                window=window,
                now=NOW.isoformat(),
                due=n,
                last_step=STEPS_PER_PLAN - 1,
            ).replace("$1::int", str(plans))
        )
        await conn.execute("vacuum analyze scheduler.steps")
        await conn.execute("vacuum analyze scheduler.steps_bare")
        await conn.execute("vacuum analyze scheduler.invoice_plans")
        fill_s = time.perf_counter() - began

        settings = TimerSettings(**({"batch_size": batch} if batch else {}))
        began = time.perf_counter()
        bare = await bare_loop(conn, settings.batch_size)
        bare_s = time.perf_counter() - began
        await conn.close()
        assert bare == n, f"bare loop claimed {bare} of {n}"

        timer_s, _ = await timer_run(url, settings, n)

        print(f"scheduled steps: {TOTAL:,} ({n:,} due now); filled in {fill_s:.1f} s")
        print(f"timer batch_size={settings.batch_size}, interval_ms={settings.interval_ms}")
        print(f"bare UPDATE … SKIP LOCKED … RETURNING loop: {n / bare_s:,.0f} rows/s ({bare_s:.2f} s)")
        print(f"timer (claim + re-check + status + outbox):  {n / timer_s:,.0f} step-due/s ({timer_s:.2f} s)")
        print(f"timer / bare loop throughput ratio:          {bare_s / timer_s:.2f}")
    finally:
        await admin.execute(f'drop database "{db}" with (force)')
        await admin.close()
        infra.stop()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(args[0] if args else 100_000, args[1] if len(args) > 1 else None))
