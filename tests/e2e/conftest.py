"""The four-plus-one services as separate processes with the channel sandbox,
over the session's Kafka and PostgreSQL, with a clock that can be moved by
restarting them (``Stack.restart(offset_s)``)."""

from __future__ import annotations

import asyncio
import contextlib
import html
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
from regua_devtools.devstack.procs import ServiceProcess, service_process
from regua_devtools.devstack.services import StackSecrets, service_named
from regua_devtools.sandbox import Sandbox, running_sandbox
from regua_devtools.sandboxes.bank import BankSandbox, running_bank_sandbox
from regua_devtools.sandboxes.common import SandboxClock
from regua_devtools.sandboxes.psp import PspSandbox, running_psp_sandbox
from regua_devtools.testing import admin_token, drop_namespace, free_port, fresh_database, fresh_namespace

KEYS = StackSecrets.generate()
SECRET = KEYS.jwt
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
    #: The PSP (API Pix cobv) and bank (boleto registration) sandboxes, on the stack's clock.
    psp: PspSandbox
    bank: BankSandbox
    clock: SandboxClock
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
        self.clock.offset_seconds = self.base_offset_s + offset_s
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
    clock = SandboxClock()
    async with (
        fresh_database(infra) as database_url,
        running_sandbox(smtp_port=free_port(), http_port=free_port()) as sandbox,
        running_psp_sandbox(clock=clock) as psp,
        running_bank_sandbox(clock=clock) as bank,
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
                keys=KEYS,
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
            clock.offset_seconds = base
            for p in procs.values():
                p.start(CLOCK_OFFSET_SECONDS=str(base))
            await asyncio.gather(*(p.wait_ready() for p in procs.values()))
            yield Stack(procs=procs, sandbox=sandbox, psp=psp, bank=bank, clock=clock, base_offset_s=base)
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


#: The document of every debtor ``Tenant.debtor_with_invoice`` creates, and the
#: answer to the portal's first-device challenge (its first 3 digits).
DEBTOR_DOCUMENT = "529.982.247-25"
CHALLENGE_ANSWER = DEBTOR_DOCUMENT[:3]


async def open_portal_link(client: httpx.AsyncClient, link: str) -> httpx.Response:
    """Open a portal link as a debtor on a new device would: the first page is
    the challenge; answer it (the form's CSRF token and action from the page)
    and return the page that follows. ``client`` must follow redirects."""
    page = await client.get(link)
    assert page.status_code == 200, page.text
    assert "Confirme que é você" in page.text, "a new device was not challenged"
    action = re.search(r'<form class="card challenge" method="post" action="([^"]+)"', page.text)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert action and csrf, page.text
    answered = await client.post(
        str(page.url.join(html.unescape(action.group(1)))),
        data={"csrf": html.unescape(csrf.group(1)), "digitos": CHALLENGE_ANSWER},
    )
    assert answered.status_code == 200, answered.text
    return answered


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
    """A fresh tenant on the stack: a creditor, a PSP account (its own receiver
    at the PSP sandbox, webhook registered and signed with the tenant's
    secret), a beneficiary account at the bank sandbox, and an authenticated
    client."""

    stack: Stack
    http: httpx.AsyncClient
    id: UUID
    webhook_secret: str
    pix_key: str = ""

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
                "document": DEBTOR_DOCUMENT,
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

    async def charges(self, invoice_id: str) -> list[dict[str, Any]]:
        """The invoice's charges that can be paid now (``active``)."""
        page = await self.call("GET", "payments-service", "/v1/charges", params={"invoice_id": invoice_id})
        return [c for c in page["items"] if c["status"] == "active"]

    async def psp_value(self, txid: str, on: date) -> int:
        """What the PSP sandbox asks for the cobv on ``on``, in centavos."""
        r = await self.http.get(
            f"{self.stack.psp.url}/sandbox/cobv/{txid}/value", params={"on": on.isoformat()}
        )
        assert r.status_code == 200, r.text
        reais, _, centavos = str(r.json()["valor"]["final"]).partition(".")
        return int(reais) * 100 + int(centavos.ljust(2, "0"))

    async def simulate_pix(self, txid: str) -> dict[str, Any]:
        """The debtor pays the cobv at the PSP sandbox (its value today); the
        sandbox calls payments-service's webhook."""
        r = await self.http.post(f"{self.stack.psp.url}/sandbox/cobv/{txid}/simulate-payment", json={})
        assert r.status_code == 200, r.text
        return dict(r.json())

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
                "X-Regua-Signature": sign(
                    self.webhook_secret, body, t, tenant_id=str(self.id), path=f"/v1/webhooks/pix/{self.id}"
                ),
            },
        )


@contextlib.asynccontextmanager
async def new_tenant(stack: Stack) -> AsyncIterator[Tenant]:
    tenant = uuid4()
    token = admin_token(SECRET, tenant)
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15) as http:
        t = Tenant(stack=stack, http=http, id=tenant, webhook_secret=secrets.token_urlsafe(24))
        await t.call("PUT", "payments-service", "/v1/settings/pix", json={"webhook_secret": t.webhook_secret})
        await _psp_account(t)
        await _bank_account(t)
        await t.call(
            "PUT",
            "negotiation-service",
            "/v1/portal/settings",
            json={
                "creditor_name": "Escola Aurora Ltda",
                "creditor_document": "11222333000181",
                "creditor_address": "Rua das Flores, 100, São Paulo - SP",
                "contact_email": "cobranca@escola-aurora.com.br",
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


async def _psp_account(t: Tenant) -> None:
    """The tenant's own receiver at the PSP sandbox, its PSP account at
    payments-service, and the PSP's webhook pointed at payments-service."""
    client_id, client_secret = f"psp-{uuid4().hex[:12]}", secrets.token_urlsafe(16)
    t.pix_key = f"pix-{uuid4().hex[:8]}@escola-aurora.com.br"
    t.stack.psp.store.add_receiver(client_id=client_id, client_secret=client_secret, pix_key=t.pix_key)
    await t.call(
        "PUT",
        "payments-service",
        "/v1/settings/psp",
        json={
            "base_url": t.stack.psp.url,
            "client_id": client_id,
            "client_secret": client_secret,
            "pix_key": t.pix_key,
            "days_valid_after_due": 60,
        },
    )
    async with httpx.AsyncClient(base_url=t.stack.psp.url, timeout=15) as psp:
        token = await psp.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, client_secret)
        )
        assert token.status_code == 200, token.text
        r = await psp.put(
            f"/v2/webhook/{t.pix_key}",
            json={"webhookUrl": f"{t.stack.url('payments-service')}/v1/webhooks/pix/{t.id}"},
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                # The sandbox's stand-in for mTLS: it signs callbacks with the tenant's secret.
                "X-Sandbox-Webhook-Secret": t.webhook_secret,
            },
        )
        assert r.status_code < 300, r.text


async def _bank_account(t: Tenant) -> None:
    client_id, client_secret = f"bank-{uuid4().hex[:12]}", secrets.token_urlsafe(16)
    t.stack.bank.store.oauth.add(client_id, client_secret)
    await t.call(
        "PUT",
        "payments-service",
        "/v1/settings/bank",
        json={
            "base_url": t.stack.bank.url,
            "client_id": client_id,
            "client_secret": client_secret,
            "bank_code": "001",
            "agency": "1234",
            "account": str(uuid4().int)[:8],
            # One convênio per tenant: the nosso número is unique per account.
            "agreement": str(uuid4().int)[:7],
            "wallet": "17",
            "beneficiary_name": "Escola Aurora Ltda",
            "beneficiary_document": "11222333000181",
            "days_valid_after_due": 60,
        },
    )


def business_day_before(day: date) -> date:
    """``day`` or the business day before it (a past due date that is late for sure)."""
    from regua_br.calendar import is_business_day

    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def business_day_from(day: date) -> date:
    """``day`` or the next business day (no weekend, no national holiday), so a
    story's due date never gets the weekend grace unless it asks for it."""
    from regua_br.calendar import is_business_day

    while not is_business_day(day):
        day += timedelta(days=1)
    return day
