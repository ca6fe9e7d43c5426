"""Charges through the tenant's PSP and bank, against the real sandboxes:
issued -> cobv ATIVA and boleto registered; paid -> removed and written off;
partial payment -> revised; no PSP -> no Pix promised; the static option;
two tenants never share a txid or a barcode; a lost webhook is recovered by
the sweep; a worker dying mid-call makes one cobv."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from payments_service.adapters.crypto import SecretBox
from payments_service.adapters.db.tables import charges as charges_table
from payments_service.adapters.db.tables import messaging
from payments_service.domain.accounts import PspAccount
from payments_service.domain.debtors import DebtorRecord
from payments_service.domain.gateways import Cobv, CobvOrder, GatewayError
from payments_service.entrypoints.workers import http_gateways, sync_policy
from payments_service.main import charge_policy
from payments_service.service_layer import gateway_sync
from payments_service.service_layer.charges import create_charges_for_invoice
from payments_service.service_layer.gateway_sync import Gateways
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_br.amount_due import Payment, breakdown
from regua_br.brcode import parse_brcode
from regua_contracts.invoice.v1 import (
    AppliedPaymentV1,
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceStatusChangedV1,
)
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1, PaymentReceivedV1
from regua_devtools.testing import truncate, wait_for
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import KafkaSettings

from .conftest import TABLES, WEBHOOK_SECRET, Harness, Sandboxes, current, settings_for, start

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def active(kind: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda cs: any(c["kind"] == kind and c["status"] == "active" for c in cs)


def both_active(items: list[dict[str, Any]]) -> bool:
    return {c["kind"] for c in items if c["status"] == "active"} >= {"cobv", "boleto"}


async def test_issued_paid_lifecycle_cobv_with_the_invoice_rates_and_a_registered_boleto(
    harness: Harness,
) -> None:
    h = harness
    tenant = uuid4()
    key = await h.psp_account(tenant)
    agreement = await h.bank_account(tenant)
    invoice = await h.issue(tenant, amount_cents=150_000)
    items = await h.charges(tenant, invoice.invoice_id, both_active)
    await wait_for(lambda: len(h.of_type("payment.charge-created")) >= 2, timeout=30)

    pix, boleto = current(items, "cobv"), current(items, "boleto")
    assert 26 <= len(pix["txid"]) <= 35 and pix["amount_cents"] == 150_000
    stored = h.sb.psp.store.find(pix["txid"])
    assert stored is not None and stored.status == "ATIVA"
    body = stored.body
    assert body["chave"] == key
    assert body["calendario"]["dataDeVencimento"] == invoice.due_date.isoformat()
    assert body["calendario"]["validadeAposVencimento"] == 30
    assert body["devedor"] == {"cpf": "52998224725", "nome": "Maria da Silva Souza"}
    assert body["valor"]["original"] == "1500.00"
    assert body["valor"]["multa"] == {"modalidade": 2, "valorPerc": "2.00"}
    assert body["valor"]["juros"] == {"modalidade": 3, "valorPerc": "1.00"}
    # A dynamic code: the PSP's location (26-25), txid *** (62-05); the PSP prices the day.
    assert stored.location in pix["pix_copy_paste"] and "0503***" in pix["pix_copy_paste"]

    registered = h.sb.bank.store.boletos[(agreement, boleto["nosso_numero"])]
    assert registered.status == "registered" and registered.barcode == boleto["barcode"]
    assert registered.request["amount"] == "1500.00"
    assert registered.request["beneficiary"]["document"] == "11222333000181"
    assert registered.request["fine"] == {"percent": "2.00"}

    created = {e.payload.method: e.payload for e in h.of_type("payment.charge-created")}  # type: ignore[attr-defined]
    assert isinstance(created["pix"], ChargeCreatedV1)
    assert created["pix"].pix_copy_paste == pix["pix_copy_paste"] and created["pix"].txid == pix["txid"]
    assert created["boleto"].barcode == boleto["barcode"]
    assert all(p.invoice_methods == ["boleto", "pix"] for p in created.values())

    await h.produce(
        InvoiceStatusChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.invoice_id,
            previous_status="open",
            status="paid",
            reason="payment",
            amount_paid_cents=150_000,
            amount_due_cents=0,
            changed_at=h.clock.now(),
        ),
        tenant,
    )
    await wait_for(lambda: len(h.of_type("payment.charge-removed")) >= 2, timeout=30)
    await h.settled()
    assert stored.status == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    assert registered.status == "written_off"
    removed = [e.payload for e in h.of_type("payment.charge-removed")]
    assert all(isinstance(p, ChargeRemovedV1) and p.reason == "invoice paid" for p in removed)
    items = await h.charges(tenant, invoice.invoice_id, lambda cs: all(c["status"] == "removed" for c in cs))
    assert len(items) == 2 and len(h.of_type("payment.charge-created")) == 2


async def test_an_invoice_restored_by_a_broken_agreement_gets_new_charges(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.psp_account(tenant)
    await h.bank_account(tenant)
    invoice = await h.issue(tenant, amount_cents=150_000)
    first = await h.charges(tenant, invoice.invoice_id, both_active)

    def changed(previous: str, status: str) -> InvoiceStatusChangedV1:
        return InvoiceStatusChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.invoice_id,
            previous_status=previous,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            reason="agreement",
            amount_paid_cents=0,
            amount_due_cents=150_000,
            changed_at=h.clock.now(),
        )

    await h.produce(changed("open", "renegotiated"), tenant)
    await wait_for(lambda: len(h.of_type("payment.charge-removed")) >= 2, timeout=30)
    # The agreement breaks: invoice-service restores the original, which needs charges again.
    await h.produce(changed("renegotiated", "open"), tenant)
    await wait_for(lambda: len(h.of_type("payment.charge-created")) >= 4, timeout=30)
    items = await h.charges(tenant, invoice.invoice_id, lambda cs: len(cs) == 4 and both_active(cs))
    await h.settled()
    old_ids = {c["id"] for c in first if c["status"] == "active"}
    fresh = [c for c in items if c["status"] == "active"]
    assert {c["kind"] for c in fresh} == {"cobv", "boleto"} and not old_ids & {c["id"] for c in fresh}
    pix = current(items, "cobv")
    assert h.sb.psp.store.find(pix["txid"]).status == "ATIVA"  # type: ignore[union-attr]
    # Redelivered, the same event creates nothing more.
    await h.produce(changed("renegotiated", "open"), tenant)
    await h.settled()
    assert len(h.of_type("payment.charge-created")) == 4


async def test_a_partial_payment_revises_the_cobv_and_replaces_the_boleto(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.psp_account(tenant)
    agreement = await h.bank_account(tenant)
    invoice = await h.issue(tenant, amount_cents=150_000)
    items = await h.charges(tenant, invoice.invoice_id, both_active)
    old_boleto = current(items, "boleto")
    await h.produce(
        InvoiceBalanceChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.invoice_id,
            payments=[AppliedPaymentV1(payment_id=uuid4(), paid_on=h.today(), amount_cents=100_000)],
            amount_paid_cents=100_000,
            status="partially_paid",
            changed_at=h.clock.now(),
        ),
        tenant,
    )

    def revised(cs: list[dict[str, Any]]) -> bool:
        boletos = [c for c in cs if c["kind"] == "boleto"]
        return (
            current(cs, "cobv")["amount_cents"] == 50_000
            and len(boletos) == 2
            and boletos[0]["status"] == "removed"
            and boletos[1]["status"] == "active"
        )

    items = await h.charges(tenant, invoice.invoice_id, revised)
    pix = current(items, "cobv")
    stored = h.sb.psp.store.find(pix["txid"])
    assert stored is not None and stored.status == "ATIVA" and stored.revision == 1
    # Paid before the due date: 500,00 open, due date and rates unchanged.
    assert stored.body["valor"]["original"] == "500.00"
    assert stored.body["calendario"]["dataDeVencimento"] == invoice.due_date.isoformat()
    assert stored.body["valor"]["multa"] == {"modalidade": 2, "valorPerc": "2.00"}

    new_boleto = current(items, "boleto")
    assert new_boleto["nosso_numero"] == old_boleto["nosso_numero"] + 1
    assert h.sb.bank.store.boletos[(agreement, old_boleto["nosso_numero"])].status == "written_off"
    fresh = h.sb.bank.store.boletos[(agreement, new_boleto["nosso_numero"])]
    assert fresh.status == "registered" and fresh.request["amount"] == "500.00"
    assert new_boleto["barcode"] != old_boleto["barcode"]

    # Created: the cobv and the boleto; then the new boleto, and the revised cobv
    # announced again under its own charge id (in either order: two gateway calls).
    await wait_for(lambda: len(h.of_type("payment.charge-created")) >= 4, timeout=30)
    await h.settled()
    removed = [e.payload for e in h.of_type("payment.charge-removed")]
    assert [(p.charge_id, p.method) for p in removed] == [(UUID(old_boleto["id"]), "boleto")]  # type: ignore[attr-defined]
    created = [e.payload for e in h.of_type("payment.charge-created")]
    assert all(isinstance(c, ChargeCreatedV1) for c in created) and len(created) == 4
    later = {(c.charge_id, c.method, c.amount_cents) for c in created[2:]}  # type: ignore[attr-defined]
    assert later == {(UUID(pix["id"]), "pix", 50_000), (UUID(new_boleto["id"]), "boleto", 50_000)}


async def test_a_tenant_without_a_psp_gets_no_pix_and_is_promised_none(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.bank_account(tenant)
    invoice = await h.issue(tenant, rates=False)  # an older producer: the fallback rates apply
    items = await h.charges(
        tenant, invoice.invoice_id, lambda cs: any(c["status"] == "active" for c in cs) and len(cs) == 2
    )
    pix = current(items, "cobv")
    assert pix["status"] == "not_configured" and pix["pix_copy_paste"] is None and pix["txid"] is None
    assert "PSP" in pix["status_reason"]
    assert current(items, "boleto")["fine_bps"] == 200
    await wait_for(lambda: h.of_type("payment.charge-created"), timeout=30)
    await h.settled()
    created = [e.payload for e in h.of_type("payment.charge-created")]
    assert [(p.method, p.invoice_methods) for p in created] == [("boleto", ["boleto"])]  # type: ignore[attr-defined]


async def test_the_static_option_has_a_short_txid_and_is_withdrawn_when_cancelled(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.pix_settings(tenant, static_codes=True)
    invoice = await h.issue(tenant, amount_cents=12_345)
    items = await h.charges(tenant, invoice.invoice_id, lambda cs: len(cs) == 2)
    static = current(items, "static")
    assert static["status"] == "active" and len(static["txid"]) <= 25
    code = parse_brcode(static["pix_copy_paste"])
    assert code.txid == static["txid"] and code.amount_cents == 12_345
    assert code.pix_key == "cobranca@lojaexemplo.com.br"
    await h.produce(
        InvoiceStatusChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.invoice_id,
            previous_status="open",
            status="cancelled",
            reason="cancelled by the creditor",
            amount_paid_cents=0,
            amount_due_cents=0,
            changed_at=h.clock.now(),
        ),
        tenant,
    )
    await wait_for(lambda: h.of_type("payment.charge-removed"), timeout=30)
    items = await h.charges(
        tenant, invoice.invoice_id, lambda cs: current(cs, "static")["status"] == "removed"
    )
    await h.settled()
    created = [e.payload for e in h.of_type("payment.charge-created")]
    assert [(p.method, p.invoice_methods) for p in created] == [("pix", ["pix"])]  # type: ignore[attr-defined]


async def test_two_tenants_same_amount_and_date_never_share_a_txid_or_a_barcode(
    harness: Harness, migrated: str
) -> None:
    h = harness
    due = h.today() + timedelta(days=5)
    found = []
    for _ in range(2):
        tenant = uuid4()
        await h.psp_account(tenant)
        await h.bank_account(tenant)
        invoice = await h.issue(tenant, amount_cents=9_990, due=due)
        found.append(await h.charges(tenant, invoice.invoice_id, both_active))
    (a, b) = found
    assert current(a, "cobv")["txid"] != current(b, "cobv")["txid"]
    assert current(a, "boleto")["barcode"] != current(b, "boleto")["barcode"]
    assert current(a, "boleto")["nosso_numero"] == current(b, "boleto")["nosso_numero"] == 1
    # The database refuses two identical barcodes, whatever the tenant.
    engine = create_async_engine(migrated)
    try:
        with pytest.raises(IntegrityError, match="charges_barcode_key"):
            async with engine.begin() as conn:
                await conn.execute(
                    update(charges_table)
                    .where(charges_table.c.id == UUID(current(b, "boleto")["id"]))
                    .values(barcode=current(a, "boleto")["barcode"])
                )
    finally:
        await engine.dispose()


async def test_the_sweep_records_a_pix_whose_webhook_never_arrived(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.pix_settings(tenant)
    await h.psp_account(tenant)
    invoice = await h.issue(tenant, amount_cents=11_000)
    items = await h.charges(tenant, invoice.invoice_id, active("cobv"))
    txid = current(items, "cobv")["txid"]
    r = await h.psp_call("POST", f"/sandbox/cobv/{txid}/simulate-payment")  # no webhook registered
    assert r.status_code == 200 and r.json()["webhook_status"] is None, r.text
    await wait_for(lambda: h.of_type("payment.received"), timeout=30)
    await h.settled()
    received = h.of_type("payment.received")
    assert len(received) == 1
    payment = received[0].payload
    assert isinstance(payment, PaymentReceivedV1)
    assert payment.amount_cents == 11_000 and payment.gateway_reference == r.json()["pix"]["endToEndId"]
    assert payment.invoice_id == invoice.invoice_id


async def test_the_psp_callback_is_our_signed_webhook(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.pix_settings(tenant)
    key = await h.psp_account(tenant)
    client_id = next(c for c, r in h.sb.psp.store.receivers.items() if r.pix_key == key)
    webhook_url = f"{h.client.base_url}/v1/webhooks/pix/{tenant}"
    token = (
        await h.psp_call(
            "POST",
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, "psp-secret-123"),
        )
    ).json()["access_token"]
    r = await h.psp_call(
        "PUT",
        f"/v2/webhook/{key}",
        json={"webhookUrl": webhook_url},
        headers={"Authorization": f"Bearer {token}", "X-Sandbox-Webhook-Secret": WEBHOOK_SECRET},
    )
    assert r.status_code == 200, r.text
    invoice = await h.issue(tenant, amount_cents=11_000)
    items = await h.charges(tenant, invoice.invoice_id, active("cobv"))
    r = await h.psp_call("POST", f"/sandbox/cobv/{current(items, 'cobv')['txid']}/simulate-payment")
    assert r.json()["webhook_status"] == 200, r.text
    await wait_for(lambda: h.of_type("payment.received"), timeout=30)
    await h.settled()
    assert len(h.of_type("payment.received")) == 1  # the sweep sees it again: a duplicate


class DiesAfterCreating:
    """The real gateways, except that the first cobv creation is lost once the
    PSP has made it: the worker never learns the answer (a crash or a timeout
    between the call and the record), so the charge is left claimed, unrecorded."""

    def __init__(self, real: Gateways, log: list[str]) -> None:
        self._real, self._log = real, log

    def pix(self, account: Any) -> Any:
        real, log = self._real.pix(account), self._log

        class Dying:
            async def create_cobv(self, order: CobvOrder) -> Cobv:
                log.append("create")
                cobv = await real.create_cobv(order)
                if log.count("create") == 1:
                    raise GatewayError("the answer never arrived", retryable=True)
                return cobv

            def __getattr__(self, name: str) -> Any:
                if name == "get_cobv":
                    log.append("get")
                return getattr(real, name)

        return Dying()

    def bank(self, account: Any) -> Any:
        return self._real.bank(account)

    async def close(self) -> None:
        await self._real.close()


@pytest.fixture
async def dying(migrated: str, kafka_settings: KafkaSettings, sandboxes: Sandboxes) -> AsyncIterator[Any]:
    calls: list[str] = []

    def factory(settings: Settings) -> Gateways:
        return DiesAfterCreating(http_gateways(settings), calls)

    async with start(migrated, kafka_settings, sandboxes, factory) as h:
        yield h, calls


async def test_an_answer_lost_after_the_psp_made_the_cobv_is_retried_under_the_same_txid(
    dying: Any, migrated: str
) -> None:
    h, calls = dying
    tenant = uuid4()
    await h.psp_account(tenant)
    invoice = await h.issue(tenant, amount_cents=20_000)
    items = await h.charges(tenant, invoice.invoice_id, active("cobv"))
    pix = current(items, "cobv")
    assert calls[:2] == ["create", "get"] and calls.count("create") == 1
    cobvs = [c for (_, txid), c in h.sb.psp.store.cobvs.items() if txid == pix["txid"]]
    assert len(cobvs) == 1 and len(h.sb.psp.store.cobvs) == 1 and cobvs[0].revision == 0
    await wait_for(lambda: h.of_type("payment.charge-created"), timeout=30)
    await h.settled()
    assert len(h.of_type("payment.charge-created")) == 1
    engine = create_async_engine(migrated)
    async with engine.connect() as conn:
        attempts = (
            await conn.execute(select(charges_table.c.attempts).where(charges_table.c.id == UUID(pix["id"])))
        ).scalar_one()
    await engine.dispose()
    assert attempts == 0  # recorded: nothing left to try


async def test_a_late_partial_payment_rebases_the_cobv_never_below_our_figure(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.psp_account(tenant)
    invoice = await h.issue(tenant, amount_cents=150_000, due=h.today() + timedelta(days=1))
    items = await h.charges(tenant, invoice.invoice_id, active("cobv"))
    txid = current(items, "cobv")["txid"]
    h.sb.clock.advance(timedelta(days=12))  # the PSP's today and ours: 11 days late
    paid_on = h.today()
    await h.produce(
        InvoiceBalanceChangedV1(
            debtor_id=invoice.debtor_id,
            invoice_id=invoice.invoice_id,
            payments=[AppliedPaymentV1(payment_id=uuid4(), paid_on=paid_on, amount_cents=100_000)],
            amount_paid_cents=100_000,
            status="partially_paid",
            changed_at=h.clock.now(),
        ),
        tenant,
    )
    stored = h.sb.psp.store.find(txid)
    assert stored is not None
    await wait_for(lambda: stored.revision == 1, timeout=30)
    # The fine is in the re-based value: none charged again.
    assert stored.body["valor"].get("multa", {"valorPerc": "0.00"})["valorPerc"] == "0.00"
    for days in (0, 3, 10, 25):
        on = paid_on + timedelta(days=days)
        r = await h.psp_call("GET", f"/sandbox/cobv/{txid}/value", params={"on": on.isoformat()})
        psp_cents = int(Decimal(r.json()["valor"]["final"]) * 100)
        ours = breakdown(
            principal_cents=150_000,
            due_date=invoice.due_date,
            fine_bps=200,
            monthly_interest_bps=100,
            payments=[Payment(paid_on, 100_000)],
            as_of=on,
        ).due_cents
        # Never below ours; within the docstring's bound (a few centavos here: the
        # payment covered the fine and interest, a weekend may separate today and N).
        assert 0 <= psp_cents - ours <= 2 + 534_50 * 3 // 3000, (on, psp_cents, ours)


async def test_a_psp_failure_is_retried_and_a_refusal_recorded_as_failed(harness: Harness) -> None:
    h = harness
    tenant = uuid4()
    await h.psp_account(tenant)
    r = await h.psp_call("PUT", "/sandbox/faults", json={"status": 503, "count": 2})
    assert r.status_code == 200, r.text
    invoice = await h.issue(tenant)
    await h.charges(tenant, invoice.invoice_id, active("cobv"))  # retried past two 503s

    other = uuid4()
    await h.psp_account(other, pix_key="not-this-receivers-key@x.example")
    refused = await h.issue(other)
    items = await h.charges(other, refused.invoice_id, lambda cs: any(c["status"] == "failed" for c in cs))
    pix = current(items, "cobv")
    assert pix["status"] == "failed" and "400" in pix["status_reason"] and pix["pix_copy_paste"] is None


async def test_a_worker_that_died_after_the_call_is_followed_by_one_that_reads_first(
    migrated: str, sandboxes: Sandboxes
) -> None:
    """Two workers on the real database and PSP sandbox: the first claims the
    charge and creates the cobv, then dies before recording it; once its lease
    is over, the second claims it again, finds the cobv under the same txid and
    records it. One cobv at the PSP, one create call."""
    await truncate(migrated, "payments", *TABLES)
    settings = settings_for(migrated, KafkaSettings())
    engine = create_engine(settings.database, application_name="crash-test")
    sessions = create_sessionmaker(engine)
    clock = FixedClock(sandboxes.clock.now())

    def uow() -> PaymentsUnitOfWork:
        return PaymentsUnitOfWork(sessions, messaging, source="/test", clock=clock, topic_namespace="t.")

    tenant, debtor = uuid4(), uuid4()
    sandboxes.psp.store.add_receiver(
        client_id="crash", client_secret="crash-secret", pix_key="k@crash.example"
    )
    box = SecretBox(settings.encryption_keys)
    policy = sync_policy(settings)
    calls: list[str] = []
    gateways = DiesAfterCreating(http_gateways(settings), calls)
    try:
        async with uow() as u:
            await u.psp_accounts.put(
                PspAccount(
                    tenant, sandboxes.psp.url, None, "crash", box.encrypt("crash-secret"), "cret",
                    "k@crash.example", None, None, None, 30, clock.now(),
                )
            )  # fmt: skip
            await u.debtors.put(DebtorRecord(tenant, debtor, "52998224725", "Maria Souza", clock.now()))
            due = sandboxes.clock.today() + timedelta(days=3)
            issued = InvoiceIssuedV1(
                debtor_id=debtor,
                invoice_id=uuid4(),
                external_id="NF-1",
                amount_cents=20_000,
                due_date=due,
                issued_at=clock.now(),
                effective_due_date=due,
                fine_bps=200,
                monthly_interest_bps=100,
            )
            await create_charges_for_invoice(
                u, tenant_id=tenant, invoice=issued, policy=charge_policy(settings)
            )
            await u.commit()

        # Worker 1: claims, calls the PSP (the cobv is made there) and dies.
        async with uow() as u:
            (claimed,) = await gateway_sync.prepare(u, clock.now(), policy)
            await u.commit()
        real = http_gateways(settings)
        await real.pix(claimed.psp).create_cobv(gateway_sync.cobv_order(claimed))  # type: ignore[arg-type]
        await real.close()
        assert claimed.charge.txid is not None and sandboxes.psp.store.find(claimed.charge.txid) is not None

        # Within the lease nobody takes it; after it, worker 2 does.
        async with uow() as u:
            assert await gateway_sync.prepare(u, clock.now(), policy) == []
        clock.advance(timedelta(seconds=policy.lease_seconds + 1))
        async with uow() as u:
            (again,) = await gateway_sync.prepare(u, clock.now(), policy)
            await u.commit()
        assert again.charge.id == claimed.charge.id and again.charge.attempts == 2
        outcome = await gateway_sync.call_gateway(gateways, again)
        async with uow() as u:
            await gateway_sync.record(u, again, outcome, clock.now(), policy)
            await u.commit()
        async with uow() as u:
            charge = await u.charges.get(tenant, claimed.charge.id)
        assert charge is not None and charge.status == "active" and charge.announced
        assert calls == ["get"]  # read, found, no second create
        assert len(sandboxes.psp.store.cobvs) == 1
    finally:
        await gateways.close()
        await engine.dispose()
