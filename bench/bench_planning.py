"""Benchmark: invoices imported and fully planned per second.

On a fresh database and Kafka namespace, invoice-service, scheduler-service and
payments-service run as their own processes (role ``all``: API, consumers,
relay, workers, as ``make run`` starts them), with the PSP sandbox (API Pix
cobv) served by this process. One tenant, a four-step policy, 100 debtors, a
PSP account. Then N invoices (default 5,000) go through the real API in one
``POST /v1/invoices:batch`` and the bench reads each service's tables until
every invoice is planned: its four steps scheduled (scheduler) and its Pix cobv
created at the PSP and ``active`` (payments). Prints the import time, when each
side finished, and invoices fully planned per second (N over the time from the
request to the last of the two). Notifier and negotiation are not started:
planning does not involve them. Usage: python bench/bench_planning.py [N]
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from payments_service.adapters.db.tables import charges
from payments_service.adapters.db.tables import debtors as payment_debtors
from regua_devtools.devstack.infra import Infra, ensure_infra
from regua_devtools.devstack.services import StackSecrets, script_path, service_env, service_named
from regua_devtools.sandboxes.psp import running_psp_sandbox
from regua_devtools.testing import admin_token, drop_namespace, free_port, fresh_database, fresh_namespace
from regua_platform.db import create_engine
from regua_platform.settings import DatabaseSettings
from scheduler_service.adapters.db.tables import steps

KEYS = StackSecrets.generate()
SECRET = KEYS.jwt
NAMES = ("invoice-service", "scheduler-service", "payments-service")
DEBTORS = 100
STEPS = 4


class Proc:
    """One service as a process of its own, on a free port."""

    def __init__(self, name: str, infra: Infra, database_url: str, namespace: str, logs: Path) -> None:
        self.service = service_named(name)
        self.port = free_port()
        stack = Infra(bootstrap_servers=infra.bootstrap_servers, database_url=database_url)
        prefix = self.service.env_prefix
        self.env = {**os.environ, **service_env(self.service, stack, KEYS, self.port)}
        self.env[f"{prefix}KAFKA__TOPIC_NAMESPACE"] = namespace
        self.log = logs / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> None:
        subprocess.run([str(script_path(self.service)), "migrate"], env=self.env, check=True, timeout=300)  # noqa: S603

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [str(script_path(self.service)), "all"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def until(check: Callable[[], Awaitable[bool]], *, timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.perf_counter() + timeout
    while not await check():
        if time.perf_counter() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


async def count(conn: AsyncConnection, query: Any) -> int:
    return int((await conn.execute(query)).scalar_one())


async def main(n: int) -> None:
    infra = ensure_infra()
    namespace = await fresh_namespace(infra.bootstrap_servers, "bench")
    logs = Path(tempfile.mkdtemp(prefix="bench-planning-"))
    tenant = uuid4()
    async with fresh_database(infra) as database_url, running_psp_sandbox() as psp:
        procs = {name: Proc(name, infra, database_url, namespace, logs) for name in NAMES}
        engine = create_engine(DatabaseSettings(url=database_url), application_name="bench-planning")
        try:
            for p in procs.values():  # one at a time: concurrent migrations race on shared objects
                await asyncio.to_thread(p.migrate)
            for p in procs.values():
                p.start()
            headers = {"Authorization": f"Bearer {admin_token(SECRET, tenant)}"}
            async with httpx.AsyncClient(headers=headers, timeout=300) as http:

                async def ready() -> bool:
                    try:
                        answers = [await http.get(f"{p.url}/readyz") for p in procs.values()]
                    except httpx.TransportError:
                        return False
                    return all(a.status_code == 200 for a in answers)

                await until(ready, timeout=120, what=f"services ready (logs in {logs})")
                inv, sch, pay = (procs[name].url for name in NAMES)
                pix_key, client_secret = "pix@bench.example", secrets.token_urlsafe(16)
                psp.store.add_receiver(client_id="bench", client_secret=client_secret, pix_key=pix_key)
                psp_account = {"base_url": psp.url, "client_id": "bench", "client_secret": client_secret}
                r = await http.put(f"{pay}/v1/settings/psp", json={**psp_account, "pix_key": pix_key})
                r.raise_for_status()
                step = {"channels": ["email"], "template": "reminder", "tone": "friendly"}
                offsets = ("-P3D", "-P1D", "P1D", "P5D")
                policy = {
                    "name": "bench",
                    "default": True,
                    "send_window": None,
                    "steps": [{**step, "name": f"s{i}", "offset": o} for i, o in enumerate(offsets)],
                }
                (await http.post(f"{sch}/v1/policies", json=policy)).raise_for_status()
                debtor_ids = []
                for i in range(DEBTORS):
                    body = {
                        "external_id": f"d{i}",
                        "name": "Maria Souza",
                        "document": "529.982.247-25",
                        "email": f"d{i}@example.com",
                        "preferred_channels": ["email"],
                    }
                    r = await http.post(f"{inv}/v1/debtors", json=body)
                    r.raise_for_status()
                    debtor_ids.append(r.json()["id"])

                async def debtors_known() -> bool:
                    async with engine.connect() as conn:
                        return await count(conn, select(func.count()).select_from(payment_debtors)) >= DEBTORS

                await until(debtors_known, timeout=60, what="debtors reached payments-service")

                due = date.today() + timedelta(days=20)  # noqa: DTZ011 - every step in the future
                body = "\n".join(
                    json.dumps(
                        {
                            "external_id": f"i{i}",
                            "debtor_id": debtor_ids[i % DEBTORS],
                            "amount_cents": 10_000 + i,
                            "due_date": due.isoformat(),
                        }
                    )
                    for i in range(n)
                )
                began = time.perf_counter()
                r = await http.post(
                    f"{inv}/v1/invoices:batch",
                    content=body,
                    headers={"content-type": "application/x-ndjson"},
                )
                imported_s = time.perf_counter() - began
                r.raise_for_status()
                created = len(r.json()["created"])
                done: dict[str, float] = {}
                steps_q = select(func.count()).select_from(steps).where(steps.c.tenant_id == tenant)
                charges_q = (
                    select(func.count())
                    .select_from(charges)
                    .where(charges.c.tenant_id == tenant, charges.c.status == "active")
                )

                async def planned() -> bool:
                    async with engine.connect() as conn:
                        if "steps" not in done and await count(conn, steps_q) >= STEPS * created:
                            done["steps"] = time.perf_counter() - began
                        if "charges" not in done and await count(conn, charges_q) >= created:
                            done["charges"] = time.perf_counter() - began
                    return len(done) == 2

                await until(planned, timeout=1_800, what="every invoice planned")
        finally:
            for p in procs.values():
                p.stop()
            await engine.dispose()
            await drop_namespace(infra.bootstrap_servers, namespace)
            infra.stop()
    total = max(done.values())
    rows = [
        ("import request (POST /v1/invoices:batch)", imported_s),
        ("steps scheduled (scheduler)", done["steps"]),
        ("cobv active at the PSP (payments)", done["charges"]),
        ("imported and fully planned", total),
    ]
    print(f"invoices: {n} ({created} created), {STEPS} steps and a Pix cobv each; 3 services, a process each")
    for label, seconds in rows:
        print(f"{label:42} {seconds:7.2f} s {created / seconds:9,.0f} invoices/s")
    print("aim: 2,000 invoices/s imported and fully planned")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000))
