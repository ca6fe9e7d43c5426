"""docker-compose.yml on a real Docker engine (``make test-compose``).

The images are the ones ``make images`` builds (Régua's, and where no registry
answers, the Kafka and PostgreSQL stand-ins under the official names). The
stack runs under its own project name with free host ports; the module's
fixture waits for every health check, and tears it all down (volumes too)
whatever happens. testcontainers' Docker client finds the containers and
kills one.

1. The dunning story: invoice -> e-mail in the channel sandbox (amount and
   Pix code) -> the debtor pays at the PSP sandbox, which calls the signed
   webhook -> the invoice is paid -> the next step, due a minute later, is
   cancelled and nothing more is sent.
   The collector of the observability profile (its stand-in offline) got
   spans of at least three services under the trace id of the invoice's
   POST, and no personal data.
2. Prometheus (observability profile) scrapes every api and worker
   container, evaluates the generated alerts and answers every dashboard
   query; the story's e-mail and Pix show in the business metrics.
3. ``notifier-worker`` scaled to 2 replicas, one SIGKILLed in the middle of
   a run of 24 reminders: every invoice gets its reminder, one message each
   (one Idempotency-Key / Message-ID per address at the SMTP sandbox, one
   ``sent`` record at the notifier, one fired step at the scheduler).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import shutil
import subprocess
import tarfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import docker.errors
import httpx
import pytest
from testcontainers.core.docker_client import DockerClient

from regua_br.calendar import is_business_day
from regua_devtools.sandboxes.setup import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PIX_KEY
from regua_devtools.testing import admin_token, free_port, wait_for

pytestmark = [pytest.mark.compose]

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("America/Sao_Paulo")
PORTS = ("INVOICE", "SCHEDULER", "NOTIFIER", "NEGOTIATION", "PAYMENTS", "SANDBOX", "PSP", "BANK")
HEALTH_TIMEOUT = 240.0


def compose_command() -> list[str]:
    """The Compose v2 plugin when the docker CLI has it, else the v1
    ``docker-compose`` (Debian's 1.29); both read the same file."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode == 0:
        return ["docker", "compose"]
    v1 = shutil.which("docker-compose")
    if v1 is None:
        pytest.fail("neither `docker compose` nor `docker-compose` is installed: run `make test-compose`")
    return [v1]


@dataclass
class Compose:
    project: str
    env: dict[str, str]
    ports: dict[str, int]
    jwt_secret: str
    docker: DockerClient

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def run(self, *args: str, timeout: float = 600) -> str:
        files = [
            "-f",
            str(ROOT / "docker-compose.yml"),
            "-f",
            str(ROOT / "tests/compose/docker-compose.test.yml"),
        ]
        result = subprocess.run(
            [*compose_command(), "-p", self.project, *files, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, (
            f"compose {' '.join(args)}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
        return result.stdout

    def containers(self, service: str | None = None) -> list[Any]:
        labels = [f"com.docker.compose.project={self.project}"]
        if service:
            labels.append(f"com.docker.compose.service={service}")
        return list(self.docker.client.containers.list(all=True, filters={"label": labels}))

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT) -> None:
        """Every long-running container healthy; the one-shot setup exited 0."""
        deadline = time.monotonic() + timeout
        while True:
            pending = []
            for c in self.containers():
                c.reload()
                service = c.labels["com.docker.compose.service"]
                state = c.attrs["State"]
                if service == "setup":
                    if state["Status"] == "exited":
                        assert state["ExitCode"] == 0, c.logs(tail=50).decode()
                        continue
                    pending.append(service)
                elif state["Status"] == "exited":
                    raise AssertionError(f"{service} exited:\n{c.logs(tail=50).decode()}")
                elif "Health" not in state:  # no health check (the collector): running is all
                    if state["Status"] != "running":
                        pending.append(service)
                elif state["Health"]["Status"] != "healthy":
                    pending.append(service)
            if not pending:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not healthy after {timeout:.0f}s: {sorted(pending)}")
            time.sleep(1)

    def spans(self) -> list[tuple[str, str, str]]:
        """``(trace id, service name, span name)`` of every span the collector
        wrote to its file exporter's path (OTLP JSON lines), copied out of the
        container as ``docker cp`` does (the official image has no shell)."""
        (collector,) = self.containers("otel-collector")
        try:
            stream, _ = collector.get_archive("/tmp/traces.jsonl")  # noqa: S108 - the container's
        except docker.errors.NotFound:
            return []
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.extractfile("traces.jsonl")
            assert member is not None
            lines = member.read().decode().splitlines()
        found = []
        for line in lines:
            for resource in json.loads(line).get("resourceSpans", []):
                attributes = {
                    a["key"]: a["value"].get("stringValue") for a in resource["resource"]["attributes"]
                }
                for scope in resource.get("scopeSpans", []):
                    for span in scope.get("spans", []):
                        found.append((span["traceId"], attributes.get("service.name", "?"), span["name"]))
        self.last_export = "\n".join(lines)
        return found

    last_export: str = ""

    def logs(self) -> str:
        return "\n".join(
            f"--- {c.name}\n{c.logs(tail=40).decode(errors='replace')}" for c in self.containers()
        )


@pytest.fixture(scope="module")
def compose() -> Iterator[Compose]:
    ports = {name: free_port() for name in PORTS}
    jwt_secret = secrets.token_urlsafe(48)
    env = {
        **os.environ,
        "REGUA_JWT_SECRET": jwt_secret,
        "REGUA_PORTAL_KEYS": f'["{secrets.token_urlsafe(48)}"]',
        **{f"REGUA_PORT_{name}": str(port) for name, port in ports.items()},
        # The services export their spans to the observability profile's collector.
        "REGUA_OTLP_ENDPOINT": "http://otel-collector:4318/v1/traces",
        "REGUA_PORT_OTLP": str(free_port()),
        "REGUA_PORT_PROMETHEUS": str(ports.setdefault("PROMETHEUS", free_port())),
    }
    stack = Compose(f"regua-test-{os.getpid()}", env, ports, jwt_secret, DockerClient())
    began = time.monotonic()
    try:
        # The collector and Prometheus of the observability profile (naming a
        # service starts it; Grafana's image has no offline stand-in).
        stack.run("up", "-d", "otel-collector", "prometheus")
        stack.run("up", "-d")
        stack.wait_healthy()
        print(f"compose stack healthy in {time.monotonic() - began:.0f} s")
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.run("down", "-v", "--remove-orphans", "-t", "10")


@dataclass
class Tenant:
    compose: Compose
    http: httpx.AsyncClient
    id: str

    async def call(self, method: str, service: str, path: str, *, status: int = 200, **kw: Any) -> Any:
        r = await self.http.request(method, f"{self.compose.url(service)}{path}", **kw)
        assert r.status_code == status, f"{method} {path} -> {r.status_code}: {r.text}"
        return r.json() if r.content else None

    async def debtor_with_invoice(
        self, email: str, amount_cents: int, due: date, *, traceparent: str | None = None
    ) -> str:
        debtor = await self.call(
            "POST",
            "INVOICE",
            "/v1/debtors",
            status=201,
            json={
                "external_id": f"d-{uuid4().hex[:10]}",
                "name": "Maria da Silva",
                "document": "52998224725",
                "email": email,
                "preferred_channels": ["email"],
            },
        )
        invoice = await self.call(
            "POST",
            "INVOICE",
            "/v1/invoices",
            status=201,
            headers={"traceparent": traceparent} if traceparent else {},
            json={
                "external_id": f"i-{uuid4().hex[:10]}",
                "debtor_id": debtor["id"],
                "amount_cents": amount_cents,
                "due_date": due.isoformat(),
            },
        )
        return str(invoice["id"])

    async def emails_to(self, address: str) -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.compose.url('SANDBOX')}/api/messages", params={"channel": "email"})
        assert r.status_code == 200, r.text
        return [m for m in r.json() if m["to"] == address]


@pytest.fixture
async def tenant(compose: Compose) -> AsyncIterator[Tenant]:
    """A fresh tenant whose PSP and bank accounts are the sandbox's demo clients,
    reached by payments-service at ``sandbox`` inside the compose network,
    with the PSP's webhook pointed at ``payments-api``."""
    tenant_id = str(uuid4())
    secret = secrets.token_urlsafe(24)
    token = admin_token(compose.jwt_secret, tenant_id)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=20) as http:
        t = Tenant(compose, http, tenant_id)
        await t.call("PUT", "PAYMENTS", "/v1/settings/pix", json={"webhook_secret": secret})
        await t.call(
            "PUT",
            "PAYMENTS",
            "/v1/settings/psp",
            json={
                "base_url": "http://sandbox:8026",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "pix_key": DEMO_PIX_KEY,
                "days_valid_after_due": 60,
            },
        )
        await t.call(
            "PUT",
            "PAYMENTS",
            "/v1/settings/bank",
            json={
                "base_url": "http://sandbox:8027",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "bank_code": "001",
                "agency": "1234",
                "account": "567890",
                # One convênio per tenant: the nosso número is unique per account.
                "agreement": str(uuid4().int)[:7],
                "wallet": "17",
                "beneficiary_name": "Escola Aurora Ltda",
                "beneficiary_document": "11222333000181",
            },
        )
        async with httpx.AsyncClient(base_url=compose.url("PSP"), timeout=20) as psp:
            r = await psp.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            )
            assert r.status_code == 200, r.text
            r = await psp.put(
                f"/v2/webhook/{DEMO_PIX_KEY}",
                json={"webhookUrl": f"http://payments-api:8000/v1/webhooks/pix/{tenant_id}"},
                headers={
                    "Authorization": f"Bearer {r.json()['access_token']}",
                    "X-Sandbox-Webhook-Secret": secret,
                },
            )
            assert r.status_code < 300, r.text
        await t.call(
            "PUT",
            "NOTIFIER",
            "/v1/settings/creditor",
            json={
                "name": "Escola Aurora Ltda",
                "document": "11222333000181",
                "address": "Rua das Flores, 100, São Paulo - SP",
                "portal_base_url": compose.url("NEGOTIATION"),
            },
        )
        yield t


def business_day_from(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def brl(cents: int) -> str:
    return f"R$ {cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"


async def test_the_dunning_story_on_compose(compose: Compose, tenant: Tenant) -> None:
    now = datetime.now(UTC)
    due = business_day_from(now.astimezone(TZ).date() + timedelta(days=5))
    due_start = datetime.combine(due, datetime.min.time(), tzinfo=TZ)
    # The second step falls 60 s from now: before it, the invoice is paid.
    second = now + timedelta(seconds=60)
    await tenant.call(
        "POST",
        "SCHEDULER",
        "/v1/policies",
        status=201,
        json={
            "name": "compose",
            "default": True,
            "send_window": None,
            "steps": [
                # Already past: fires at once (the latest missed step).
                {
                    "name": "lembrete",
                    "offset": "-P20D",
                    "channels": ["email"],
                    "template": "reminder",
                    "tone": "friendly",
                },
                {
                    "name": "segundo",
                    "offset": f"-PT{int((due_start - second).total_seconds())}S",
                    "channels": ["email"],
                    "template": "reminder",
                    "tone": "friendly",
                },
            ],
        },
    )
    email = f"story-{uuid4().hex[:8]}@exemplo.com.br"
    # W3C trace context on the request: the trace the services continue.
    trace_id = secrets.token_hex(16)
    invoice_id = await tenant.debtor_with_invoice(
        email, 123_45, due, traceparent=f"00-{trace_id}-{secrets.token_hex(8)}-01"
    )

    async def reminded() -> bool:
        return len(await tenant.emails_to(email)) == 1

    await wait_for(reminded, timeout=90)
    (message,) = await tenant.emails_to(email)
    assert brl(123_45) in message["body"], message["body"]
    charges = (await tenant.call("GET", "PAYMENTS", "/v1/charges", params={"invoice_id": invoice_id}))[
        "items"
    ]
    pix = next(c for c in charges if c["method"] == "pix" and c["status"] == "active")
    assert pix["pix_copy_paste"] in message["body"]

    # The debtor pays at the PSP, which calls payments-api's webhook, signed.
    async with httpx.AsyncClient(base_url=compose.url("PSP"), timeout=20) as psp:
        r = await psp.post(f"/sandbox/cobv/{pix['txid']}/simulate-payment", json={})
        assert r.status_code == 200, r.text

    async def paid() -> bool:
        return (await tenant.call("GET", "INVOICE", f"/v1/invoices/{invoice_id}"))["status"] == "paid"

    await wait_for(paid, timeout=60)

    async def second_cancelled() -> bool:
        timeline = await tenant.call("GET", "SCHEDULER", f"/v1/invoices/{invoice_id}/timeline")
        return {s["name"]: s["status"] for s in timeline["steps"]}["segundo"] == "cancelled"

    await wait_for(second_cancelled, timeout=60)
    # Past the second step's time (and a margin for the timer): still one e-mail.
    await asyncio.sleep(max((second - datetime.now(UTC)).total_seconds(), 0) + 10)
    assert len(await tenant.emails_to(email)) == 1

    # One trace from the invoice API through Kafka: the collector has spans of
    # at least three services under the trace id the request carried, and no
    # personal data of the debtor anywhere in what was exported.
    def traced() -> set[str]:
        return {service for tid, service, _ in compose.spans() if tid == trace_id}

    async def three_services() -> bool:
        return len(await asyncio.to_thread(traced)) >= 3

    await wait_for(three_services, timeout=30, interval=1)
    services = traced()
    assert "invoice-service" in services, services
    print(f"trace {trace_id}: spans of {', '.join(sorted(services))}")
    for personal in (email, "52998224725", "Maria da Silva"):
        assert personal not in compose.last_export


async def test_prometheus_scrapes_every_container_runs_the_alerts_and_the_dashboard(compose: Compose) -> None:
    """The observability profile's Prometheus (Debian's 2.42 as the stand-in)
    finds every api and worker container by DNS and scrapes it, loads the
    generated alerts and evaluates them without error, and answers every
    query of the Grafana dashboard; after the story, the business metrics
    show the reminder sent and the Pix received."""
    from regua_devtools import dashboard
    from regua_devtools.k8s import ALERTS

    roles = {c.labels["com.docker.compose.service"] for c in compose.containers()} & {
        f"{s}-{r}"
        for s in ("invoice", "scheduler", "notifier", "negotiation", "payments")
        for r in ("api", "worker")
    }
    assert len(roles) == 10
    async with httpx.AsyncClient(base_url=compose.url("PROMETHEUS"), timeout=20) as prom:

        async def query(expr: str) -> list[dict[str, Any]]:
            r = await prom.get("/api/v1/query", params={"query": expr})
            assert r.status_code == 200 and r.json()["status"] == "success", (expr, r.text)
            return list(r.json()["data"]["result"])

        async def all_up() -> bool:
            targets = (await prom.get("/api/v1/targets")).json()["data"]["activeTargets"]
            up = {t["labels"]["container_role"] for t in targets if t["health"] == "up"}
            return up >= roles

        await wait_for(all_up, timeout=90, interval=1)

        async def rules_evaluated() -> bool:
            groups = (await prom.get("/api/v1/rules")).json()["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            return [r["name"] for r in rules] == [a.name for a in ALERTS] and all(
                r["health"] == "ok" for r in rules
            )

        await wait_for(rules_evaluated, timeout=60, interval=1)
        for expr in dashboard.expressions():
            await query(expr)

        async def business_seen() -> bool:
            sent = await query('sum(regua_messages_total{channel="email", outcome="sent"})')
            pix = await query('sum(regua_payments_received_cents_total{method="pix"})')
            return (
                bool(sent and pix) and float(sent[0]["value"][1]) >= 1 and float(pix[0]["value"][1]) >= 12345
            )

        await wait_for(business_seen, timeout=60, interval=1)


async def test_a_worker_killed_mid_run_loses_and_repeats_no_step(compose: Compose, tenant: Tenant) -> None:
    compose.run("up", "-d", "--no-recreate", "--scale", "notifier-worker=2", "notifier-worker")
    await asyncio.to_thread(compose.wait_healthy)
    workers = compose.containers("notifier-worker")
    assert len(workers) == 2
    due = business_day_from(datetime.now(TZ).date() + timedelta(days=3))
    reminder = {
        "name": "lembrete",
        "offset": "-P20D",
        "channels": ["email"],
        "template": "reminder",
        "tone": "friendly",
    }
    policy = {"name": "compose", "default": True, "send_window": None, "steps": [reminder]}
    await tenant.call("POST", "SCHEDULER", "/v1/policies", status=201, json=policy)
    batch = uuid4().hex[:6]
    addresses = [f"run-{batch}-{n:02d}@exemplo.com.br" for n in range(24)]
    invoices = [await tenant.debtor_with_invoice(a, 200_00 + n, due) for n, a in enumerate(addresses)]

    async def received() -> set[str]:
        r = await tenant.http.get(f"{compose.url('SANDBOX')}/api/messages", params={"channel": "email"})
        return {m["to"] for m in r.json() if m["to"].startswith(f"run-{batch}-")}

    # Each worker sends 4 e-mails a second: kill one as soon as the run has begun.
    async def begun() -> bool:
        return len(await received()) >= 2

    await wait_for(begun, timeout=90, interval=0.1)
    at_kill = len(await received())
    victim = workers[0]
    victim.kill()  # SIGKILL: no drain, its claimed sends stay leased
    assert at_kill < len(addresses), "the run ended before the kill: nothing was proved"

    async def all_sent() -> bool:
        return len(await received()) == len(addresses)

    await wait_for(all_sent, timeout=120, interval=0.5)
    r = await tenant.http.get(f"{compose.url('SANDBOX')}/api/messages", params={"channel": "email"})
    copies: dict[str, set[str]] = {}
    arrived = 0
    for m in r.json():
        if m["to"].startswith(f"run-{batch}-"):
            copies.setdefault(m["to"], set()).add(m["idempotency_key"])
            arrived += 1
    # None lost; and one message each: SMTP servers keep every copy (the
    # sandbox too), so a worker killed between the server's 250 and its record
    # makes the survivor deliver that message again, under the same
    # Idempotency-Key and Message-ID, which receivers dedupe on. Never a
    # second message.
    assert sorted(copies) == sorted(addresses)
    assert all(len(keys) == 1 for keys in copies.values()), copies
    for invoice_id in invoices:
        sent = await tenant.call("GET", "NOTIFIER", "/v1/messages", params={"invoice_id": invoice_id})
        assert [m["status"] for m in sent["items"]] == ["sent"], sent
        timeline = await tenant.call("GET", "SCHEDULER", f"/v1/invoices/{invoice_id}/timeline")
        assert [s["status"] for s in timeline["steps"]].count("sent") + [
            s["status"] for s in timeline["steps"]
        ].count("due") == 1, timeline
    print(
        f"killed {victim.name} after {at_kill}/{len(addresses)} e-mails; all {len(addresses)} arrived,"
        f" {arrived - len(addresses)} copy(ies) redelivered under the same Message-ID"
    )
