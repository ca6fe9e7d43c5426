"""The four-plus-one services as separate processes with the channel sandbox,
over the session's Kafka and PostgreSQL, with a clock that can be moved by
restarting them (``Stack.restart(offset_s)``)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest

from regua_devtools.demo import sign
from regua_devtools.devstack.infra import Infra
from regua_devtools.devstack.services import service_named
from regua_devtools.sandbox import Sandbox, running_sandbox
from regua_devtools.testing import admin_token, drop_namespace, free_port, fresh_database, fresh_namespace

from .procs import ServiceProcess, service_process

SECRET = secrets.token_urlsafe(48)
TZ = ZoneInfo("America/Sao_Paulo")
DAY = 24 * 3600
NAMES = (
    "invoice-service",
    "scheduler-service",
    "notifier-service",
    "payments-service",
    "negotiation-service",
)


def start_offset_s() -> int:
    """The clock shift that starts the services at 10:00 of today in São
    Paulo: a story never crosses midnight, whatever the hour it runs at."""
    wall = datetime.now(TZ)
    return round((wall.replace(hour=10, minute=0, second=0, microsecond=0) - wall).total_seconds())


@dataclass
class Stack:
    procs: dict[str, ServiceProcess]
    sandbox: Sandbox
    #: The shift every service's clock starts with (see :func:`start_offset_s`).
    base_offset_s: int = 0
    #: How far the story has moved the clock since.
    offset_s: int = 0

    def url(self, name: str) -> str:
        return self.procs[name].base_url

    async def restart(self, offset_s: int) -> None:
        """Stop every service and start it again with its clock ``offset_s`` further on."""
        for p in self.procs.values():
            p.stop(signal.SIGTERM)
        self.offset_s = offset_s
        for p in self.procs.values():
            p.start(CLOCK_OFFSET_SECONDS=str(self.base_offset_s + offset_s))
        await asyncio.gather(*(p.wait_ready() for p in self.procs.values()))

    def now(self) -> datetime:
        """The services' time."""
        return datetime.now(UTC) + timedelta(seconds=self.base_offset_s + self.offset_s)


@pytest.fixture(scope="module")
async def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    namespace = await fresh_namespace(infra.bootstrap_servers, "story")
    log_dir = tmp_path_factory.mktemp("story-logs")
    async with (
        fresh_database(infra) as database_url,
        running_sandbox(smtp_port=free_port(), http_port=free_port()) as sandbox,
    ):
        channel_env = {
            "notifier-service": {
                "SMTP__PORT": str(sandbox.smtp_port),
                "SMS__BASE_URL": sandbox.http_url,
                "WHATSAPP__BASE_URL": f"{sandbox.http_url}/v20.0",
                "SENDER__RETRY_BASE_SECONDS": "0.2",
                "SENDER__POLL_INTERVAL_MS": "100",
            },
            "scheduler-service": {"TIMER__INTERVAL_MS": "200"},
            "invoice-service": {"OVERDUE_SCAN_INTERVAL_SECONDS": "1"},
            "negotiation-service": {"BREAKER_INTERVAL_SECONDS": "1"},
        }
        procs = {
            name: service_process(
                service_named(name),
                infra=infra,
                database_url=database_url,
                namespace=namespace,
                secret=SECRET,
                log_dir=log_dir,
                **channel_env.get(name, {}),
            )
            for name in NAMES
        }
        results = await asyncio.gather(*(asyncio.to_thread(p.migrate) for p in procs.values()))
        for name, result in zip(procs, results, strict=True):
            assert result.returncode == 0, f"{name} migrate failed:\n{result.stderr.decode()}"
        try:
            base = start_offset_s()
            for p in procs.values():
                p.start(CLOCK_OFFSET_SECONDS=str(base))
            await asyncio.gather(*(p.wait_ready() for p in procs.values()))
            yield Stack(procs=procs, sandbox=sandbox, base_offset_s=base)
        finally:
            for p in procs.values():
                p.stop(signal.SIGKILL)
            await drop_namespace(infra.bootstrap_servers, namespace)


def emails_to(sandbox: Sandbox, address: str) -> list[dict[str, Any]]:
    return [m for m in sandbox.store.messages if m["channel"] == "email" and address in m["to"]]


def brl(cents: int) -> str:
    reais = f"{cents // 100:,}".replace(",", ".")
    return f"R$ {reais},{cents % 100:02d}"


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


async def timeline_of(http: httpx.AsyncClient, stack: Stack, invoice_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"{stack.url('scheduler-service')}/v1/invoices/{invoice_id}/timeline")
    assert r.status_code == 200, r.text
    return list(r.json()["steps"])


async def invoice_of(http: httpx.AsyncClient, stack: Stack, invoice_id: str) -> dict[str, Any]:
    r = await http.get(f"{stack.url('invoice-service')}/v1/invoices/{invoice_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def step(name: str, offset: str, template: str, tone: str) -> dict[str, Any]:
    """A policy step that sends an e-mail."""
    return {"name": name, "offset": offset, "channels": ["email"], "template": template, "tone": tone}


@dataclass
class Tenant:
    """A fresh tenant on the stack: a creditor, a Pix account with a webhook
    secret, and an authenticated client."""

    stack: Stack
    http: httpx.AsyncClient
    id: UUID
    webhook_secret: str

    async def call(self, method: str, service: str, path: str, *, status: int = 200, **kw: Any) -> Any:
        r = await self.http.request(method, f"{self.stack.url(service)}{path}", **kw)
        assert r.status_code == status, r.text
        return r.json()

    async def policy(self, *steps: dict[str, Any]) -> None:
        body = {"name": "e2e", "default": True, "send_window": None, "steps": list(steps)}
        await self.call("POST", "scheduler-service", "/v1/policies", status=201, json=body)

    async def debtor_with_invoice(
        self, *, name: str, email: str, amount_cents: int, due: date
    ) -> tuple[str, str]:
        debtor = await self.call(
            "POST",
            "invoice-service",
            "/v1/debtors",
            status=201,
            json={
                "external_id": f"d-{uuid4().hex[:8]}",
                "name": name,
                "document": "529.982.247-25",
                "email": email,
                "preferred_channels": ["email"],
            },
        )
        invoice = await self.call(
            "POST",
            "invoice-service",
            "/v1/invoices",
            status=201,
            json={
                "external_id": f"i-{uuid4().hex[:8]}",
                "debtor_id": debtor["id"],
                "amount_cents": amount_cents,
                "due_date": due.isoformat(),
            },
        )
        return str(debtor["id"]), str(invoice["id"])

    async def pix_charge(self, invoice_id: str) -> dict[str, Any]:
        page = await self.call("GET", "payments-service", "/v1/charges", params={"invoice_id": invoice_id})
        return dict(next(c for c in page["items"] if c["method"] == "pix"))

    async def pay_by_pix(self, txid: str, cents: int, end_to_end_id: str | None = None) -> httpx.Response:
        """Post the gateway's signed Pix webhook, at the stack's (shifted) time."""
        body = orjson.dumps(
            {
                "pix": [
                    {
                        "endToEndId": end_to_end_id or "E" + uuid4().hex[:31],
                        "txid": txid,
                        "valor": f"{cents // 100}.{cents % 100:02d}",
                        "horario": self.stack.now().astimezone(TZ).isoformat(timespec="seconds"),
                    }
                ]
            }
        )
        t = int(self.stack.now().timestamp())
        return await self.http.post(
            f"{self.stack.url('payments-service')}/v1/webhooks/pix/{self.id}",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Regua-Signature": sign(self.webhook_secret, body, t),
            },
        )


@contextlib.asynccontextmanager
async def new_tenant(stack: Stack) -> AsyncIterator[Tenant]:
    tenant = uuid4()
    token = admin_token(SECRET, tenant)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15) as http:
        t = Tenant(stack=stack, http=http, id=tenant, webhook_secret=secrets.token_urlsafe(24))
        await t.call(
            "PUT",
            "payments-service",
            "/v1/settings/pix",
            json={
                "pix_key": "financeiro@escola-aurora.com.br",
                "merchant_name": "ESCOLA AURORA",
                "merchant_city": "SAO PAULO",
                "webhook_secret": t.webhook_secret,
            },
        )
        await t.call(
            "PUT",
            "notifier-service",
            "/v1/settings/creditor",
            json={
                "name": "Escola Aurora Ltda",
                "document": "11222333000181",
                "address": "Rua das Flores, 100, São Paulo - SP",
                "portal_base_url": stack.url("negotiation-service"),
            },
        )
        yield t
