"""The demo tenant `make run` loads: a creditor, a PSP account and a bank
account at the dev stack's sandboxes, a fast régua, a few dozen debtors and
invoices, and a few Pix payments made at the PSP sandbox (which calls the
signed webhook). Everything goes through the public APIs.

Loaded once per tenant (idempotent external ids; a marker in .local/demo.env).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from validate_docbr import CPF

from regua_devtools.sandboxes.setup import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PIX_KEY

TZ = ZoneInfo("America/Sao_Paulo")
#: The dev stack's PSP and bank sandboxes (``regua sandbox``), with their demo clients.
PSP_SANDBOX_URL = "http://127.0.0.1:8026"
BANK_SANDBOX_URL = "http://127.0.0.1:8027"

FIRST = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Heitor",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Patrícia",
    "Rafael",
    "Sofia",
    "Tiago",
]
LAST = [
    "Almeida",
    "Barbosa",
    "Cardoso",
    "Costa",
    "Ferreira",
    "Gomes",
    "Lima",
    "Martins",
    "Oliveira",
    "Pereira",
    "Ribeiro",
    "Santos",
    "Silva",
    "Souza",
]
CHANNEL_MIXES = [["email"], ["whatsapp", "email"], ["sms", "email"], ["email", "sms"]]

#: A fast régua for the demo: offsets count from the due date at 00:00 local
#: time, and a plan that starts late fires only its latest missed step, so every
#: invoice gets one message within seconds and the next ones on later days.
DEMO_POLICY: dict[str, Any] = {
    "name": "Demonstração (rápida)",
    "default": True,
    "send_window": None,
    "steps": [
        {
            "name": "lembrete",
            "offset": "-P2D",
            "channels": ["email", "whatsapp", "sms"],
            "template": "reminder",
            "tone": "friendly",
            "action": "message",
        },
        {
            "name": "vencimento",
            "offset": "P0D",
            "channels": ["email", "whatsapp", "sms"],
            "template": "due_today",
            "tone": "friendly",
            "action": "message",
        },
        {
            "name": "atraso",
            "offset": "P2D",
            "channels": ["whatsapp", "email", "sms"],
            "template": "overdue",
            "tone": "firm",
            "action": "message",
        },
        {
            "name": "aviso final",
            "offset": "P10D",
            "channels": ["email", "sms"],
            "template": "final_notice",
            "tone": "final",
            "action": "message",
        },
    ],
}


@dataclass(frozen=True)
class Urls:
    invoice: str
    scheduler: str
    notifier: str
    payments: str
    negotiation: str


def sign(secret: str, body: bytes, t: int, *, tenant_id: str, path: str) -> str:
    """The gateway side of payments-service's webhook signature:
    ``t=<unix>,v2=<hex HMAC-SHA256 of "<t>.<tenant_id>.<path>.<body>">``."""
    message = f"{t}.{tenant_id}.{path}.".encode() + body
    mac = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={t},v2={mac}"


def load(
    urls: Urls,
    *,
    tenant_id: str,
    token: str,
    webhook_secret: str,
    echo: Callable[[str], None] = print,
    debtors: int = 30,
    paid: int = 4,
) -> None:
    rng = random.Random(tenant_id)  # noqa: S311 - demo data, not secrets
    today = datetime.now(TZ).date()
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=auth, timeout=15) as http:
        _ok(
            http.put(
                f"{urls.notifier}/v1/settings/creditor",
                json={
                    "name": "Escola Aurora Ltda",
                    "document": "11222333000181",
                    "address": "Rua das Flores, 100, Centro, São Paulo - SP, 01001-000",
                    "portal_base_url": "http://127.0.0.1:8004",
                },
            )
        )
        # The portal names the creditor on every page (CDC art. 42-A).
        _ok(
            http.put(
                f"{urls.negotiation}/v1/portal/settings",
                json={
                    "creditor_name": "Escola Aurora Ltda",
                    "creditor_document": "11222333000181",
                    "creditor_address": "Rua das Flores, 100, Centro, São Paulo - SP, 01001-000",
                    "contact_email": "financeiro@escola-aurora.com.br",
                    "contact_phone": "(11) 3333-4444",
                },
            )
        )
        _ok(http.put(f"{urls.payments}/v1/settings/pix", json={"webhook_secret": webhook_secret}))
        _configure_psp_and_bank(http, urls, tenant_id, webhook_secret)
        _ok(http.post(f"{urls.scheduler}/v1/policies", json=DEMO_POLICY))
        invoice_ids: list[tuple[str, date]] = []
        cpf = CPF()
        for n in range(debtors):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            slug = name.lower().replace(" ", ".").encode("ascii", "ignore").decode()
            debtor = _ok(
                http.post(
                    f"{urls.invoice}/v1/debtors",
                    json={
                        "external_id": f"demo-cliente-{n:03d}",
                        "name": name,
                        "document": _stable_cpf(cpf, rng),
                        "email": f"{slug}@exemplo.com.br",
                        "phone": f"+55119{rng.randrange(10_000_000, 99_999_999)}",
                        "whatsapp": f"+55119{rng.randrange(10_000_000, 99_999_999)}",
                        "preferred_channels": rng.choice(CHANNEL_MIXES),
                    },
                )
            )
            for k in range(rng.choice([1, 1, 2])):
                due = today + timedelta(days=rng.randrange(-15, 4))
                invoice = _ok(
                    http.post(
                        f"{urls.invoice}/v1/invoices",
                        json={
                            "external_id": f"demo-mensalidade-{n:03d}-{k}",
                            "debtor_id": debtor["id"],
                            "amount_cents": rng.randrange(89_90, 1_890_00, 10),
                            "due_date": due.isoformat(),
                            "description": f"Mensalidade escolar {due:%m/%Y}",
                        },
                    )
                )
                invoice_ids.append((invoice["id"], due))
        echo(f"Demo: {debtors} debtors and {len(invoice_ids)} invoices loaded.")
        chosen = rng.sample(invoice_ids, k=min(paid + 1, len(invoice_ids)))
        for invoice_id, _due in chosen[:paid]:
            _pay_by_pix(http, urls, tenant_id, invoice_id, webhook_secret)
        echo(f"Demo: {paid} invoices paid by signed Pix webhooks.")
        if len(chosen) > paid:
            _renegotiate(http, urls, chosen[paid][0])
            echo("Demo: one invoice renegotiated into 3 installments.")


def _stable_cpf(cpf: CPF, rng: random.Random) -> str:
    # validate-docbr draws from the global RNG; seed it from ours so re-runs match.
    random.seed(rng.random())
    return str(cpf.generate())


def _configure_psp_and_bank(http: httpx.Client, urls: Urls, tenant_id: str, webhook_secret: str) -> None:
    """The demo tenant's PSP account and beneficiary account, both at the dev
    stack's sandboxes (their default demo clients), and the PSP's webhook
    pointed at payments-service, signed with the tenant's webhook secret."""
    _ok(
        http.put(
            f"{urls.payments}/v1/settings/psp",
            json={
                "base_url": PSP_SANDBOX_URL,
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "pix_key": DEMO_PIX_KEY,
                "days_valid_after_due": 60,
            },
        )
    )
    with httpx.Client(base_url=PSP_SANDBOX_URL, timeout=15) as psp:
        token = _ok(
            psp.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            )
        )["access_token"]
        response = psp.put(
            f"/v2/webhook/{DEMO_PIX_KEY}",
            json={"webhookUrl": f"{urls.payments}/v1/webhooks/pix/{tenant_id}"},
            # The sandbox's own header: it signs callbacks the way payments-service checks them.
            headers={"Authorization": f"Bearer {token}", "X-Sandbox-Webhook-Secret": webhook_secret},
        )
        if response.status_code >= 400:
            raise RuntimeError(f"PSP sandbox webhook -> {response.status_code}: {response.text[:300]}")
    _ok(
        http.put(
            f"{urls.payments}/v1/settings/bank",
            json={
                "base_url": BANK_SANDBOX_URL,
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "bank_code": "001",
                "agency": "1234",
                "account": "567890",
                # One convênio per demo tenant: the nosso número is unique per account.
                "agreement": str(int(tenant_id.replace("-", "")[:8], 16) % 10_000_000).zfill(7),
                "wallet": "17",
                "beneficiary_name": "Escola Aurora Ltda",
                "beneficiary_document": "11222333000181",
                "days_valid_after_due": 60,
            },
        )
    )


def _pay_by_pix(http: httpx.Client, urls: Urls, tenant_id: str, invoice_id: str, secret: str) -> None:
    """The debtor pays the cobv at the PSP sandbox: it prices the day and calls
    payments-service's webhook, signed."""
    charge = _wait_for_pix_charge(http, urls, invoice_id)
    with httpx.Client(base_url=PSP_SANDBOX_URL, timeout=15) as psp:
        paid = _ok(psp.post(f"/sandbox/cobv/{charge['txid']}/simulate-payment"))
    if paid.get("webhook_status") != 200:
        # The reconciliation sweep (GET /v2/pix) records it within minutes anyway.
        print(f"Demo: the PSP sandbox's callback answered {paid.get('webhook_status')}")


def _renegotiate(http: httpx.Client, urls: Urls, invoice_id: str) -> None:
    debtor_id = _ok(http.get(f"{urls.invoice}/v1/invoices/{invoice_id}"))["debtor_id"]
    body = {"debtor_id": debtor_id, "invoice_ids": [invoice_id]}
    deadline = time.monotonic() + 60
    while True:  # negotiation-service learns of the invoice through events
        response = http.post(f"{urls.negotiation}/v1/offers:simulate", json=body)
        if (response.status_code == 200 and response.json()["offers"]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    kinds = [o["kind"] for o in _ok(response)["offers"]]
    kind = "installments_3" if "installments_3" in kinds else kinds[0]
    _ok(http.post(f"{urls.negotiation}/v1/agreements", json={**body, "kind": kind}))


def _wait_for_pix_charge(http: httpx.Client, urls: Urls, invoice_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = _ok(http.get(f"{urls.payments}/v1/charges", params={"invoice_id": invoice_id}))
        for charge in page["items"]:
            if charge.get("method") == "pix" and charge.get("status") == "active":
                return dict(charge)
        time.sleep(0.5)
    raise RuntimeError(f"no Pix charge appeared for invoice {invoice_id} within 60 s")


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} -> {response.status_code}: "
            f"{response.text[:500]}"
        )
    return response.json()
