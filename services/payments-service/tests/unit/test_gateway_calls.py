"""The gateway worker's calls against a small in-memory PSP and bank (pure
logic: what is called, and when a retry reads instead of creating again)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from uuid import uuid4

from payments_service.domain.accounts import BankAccount, PspAccount
from payments_service.domain.charges import Charge, backoff_seconds, cobv_txid
from payments_service.domain.debtors import DebtorRecord
from payments_service.domain.gateways import (
    BeneficiaryAccount,
    BoletoOrder,
    Cobv,
    CobvOrder,
    GatewayError,
    ReceivedPix,
    RegisteredBoleto,
)
from payments_service.service_layer.gateway_sync import Call, call_gateway

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


@dataclass
class FakePsp:
    cobvs: dict[str, Cobv] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def create_cobv(self, order: CobvOrder) -> Cobv:
        self.calls.append("create")
        cobv = Cobv(order.txid, 0, "ATIVA", "psp/loc", "000201...", order.original_cents, order.due_date)
        self.cobvs[order.txid] = cobv
        return cobv

    async def revise_cobv(self, order: CobvOrder) -> Cobv:
        self.calls.append("revise")
        return self.cobvs[order.txid]

    async def remove_cobv(self, txid: str) -> Cobv:
        self.calls.append("remove")
        cobv = self.cobvs.get(txid)
        if cobv is None:
            raise GatewayError("no such cobv", status=404, retryable=False)
        if cobv.status != "ATIVA":
            raise GatewayError("not active", status=400, retryable=False)
        self.cobvs[txid] = replace(cobv, status="REMOVIDA_PELO_USUARIO_RECEBEDOR")
        return self.cobvs[txid]

    async def get_cobv(self, txid: str) -> Cobv:
        self.calls.append("get")
        if txid not in self.cobvs:
            raise GatewayError("no such cobv", status=404, retryable=False)
        return self.cobvs[txid]

    async def received_pix(self, start: datetime, end: datetime) -> list[ReceivedPix]:
        return []


@dataclass
class FakeBank:
    boletos: dict[int, RegisteredBoleto] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def register(self, order: BoletoOrder) -> RegisteredBoleto:
        self.calls.append("register")
        boleto = RegisteredBoleto(
            order.nosso_numero, "registered", "1" * 44, "1" * 47, order.amount_cents, order.due_date
        )
        self.boletos[order.nosso_numero] = boleto
        return boleto

    async def write_off(self, account: BeneficiaryAccount, nosso_numero: int) -> RegisteredBoleto:
        self.calls.append("write_off")
        raise GatewayError("already paid", status=409, retryable=False)

    async def get(self, account: BeneficiaryAccount, nosso_numero: int) -> RegisteredBoleto:
        self.calls.append("get")
        if nosso_numero not in self.boletos:
            raise GatewayError("no such boleto", status=404, retryable=False)
        return self.boletos[nosso_numero]


@dataclass
class FakeGateways:
    psp: FakePsp = field(default_factory=FakePsp)
    bank_: FakeBank = field(default_factory=FakeBank)

    def pix(self, account: PspAccount) -> FakePsp:
        return self.psp

    def bank(self, account: BankAccount) -> FakeBank:
        return self.bank_

    async def close(self) -> None:
        return None


PSP = PspAccount(uuid4(), "https://psp", None, "id", b"x", "xxxx", "key", None, None, None, 30, NOW)
BANK = BankAccount(
    uuid4(), PSP.tenant_id, "https://bank", "id", b"x", "xxxx", "001", "1234", "56789", "1234567", "17",
    "Escola Aurora Ltda", "11222333000181", 30, NOW,
)  # fmt: skip
DEBTOR = DebtorRecord(PSP.tenant_id, uuid4(), "52998224725", "Maria Souza", NOW)


def charge(kind: str = "cobv", attempts: int = 1) -> Charge:
    charge_id = uuid4()
    return Charge(
        id=charge_id,
        tenant_id=PSP.tenant_id,
        invoice_id=uuid4(),
        debtor_id=DEBTOR.debtor_id,
        method="pix" if kind == "cobv" else "boleto",
        kind=kind,  # type: ignore[arg-type]
        status="pending",
        amount_cents=11_000,
        due_date=date(2026, 12, 10),
        created_at=NOW,
        updated_at=NOW,
        txid=cobv_txid(charge_id) if kind == "cobv" else None,
        nosso_numero=7 if kind == "boleto" else None,
        bank_account_id=BANK.id if kind == "boleto" else None,
        attempts=attempts,
    )


async def test_a_first_attempt_creates_the_cobv_without_reading_first() -> None:
    gw = FakeGateways()
    outcome = await call_gateway(gw, Call(charge(), "create", PSP, None, DEBTOR))
    assert isinstance(outcome, Cobv) and gw.psp.calls == ["create"]


async def test_a_retry_finds_the_cobv_an_earlier_attempt_created_and_creates_none() -> None:
    gw = FakeGateways()
    c = charge()
    await call_gateway(gw, Call(c, "create", PSP, None, DEBTOR))
    again = await call_gateway(gw, Call(replace(c, attempts=2), "create", PSP, None, DEBTOR))
    assert isinstance(again, Cobv) and again.txid == c.txid
    assert gw.psp.calls == ["create", "get"] and len(gw.psp.cobvs) == 1


async def test_a_retry_with_nothing_at_the_psp_creates_it() -> None:
    gw = FakeGateways()
    outcome = await call_gateway(gw, Call(charge(attempts=3), "create", PSP, None, DEBTOR))
    assert isinstance(outcome, Cobv) and gw.psp.calls == ["get", "create"]


async def test_removing_a_cobv_that_never_existed_or_was_paid_is_done() -> None:
    gw = FakeGateways()
    assert await call_gateway(gw, Call(charge(), "remove", PSP, None, DEBTOR)) == "gone"
    c = charge()
    await call_gateway(gw, Call(c, "create", PSP, None, DEBTOR))
    assert c.txid is not None
    gw.psp.cobvs[c.txid] = replace(gw.psp.cobvs[c.txid], status="CONCLUIDA")
    assert await call_gateway(gw, Call(c, "remove", PSP, None, DEBTOR)) == "gone"


async def test_a_boleto_retry_reads_by_nosso_numero_and_a_paid_one_is_written_off_already() -> None:
    gw = FakeGateways()
    c = charge("boleto")
    await call_gateway(gw, Call(c, "create", None, BANK, DEBTOR))
    again = await call_gateway(gw, Call(replace(c, attempts=2), "create", None, BANK, DEBTOR))
    assert isinstance(again, RegisteredBoleto) and gw.bank_.calls == ["register", "get"]
    gw.bank_.boletos[7] = replace(gw.bank_.boletos[7], status="paid")
    assert await call_gateway(gw, Call(c, "remove", None, BANK, DEBTOR)) == "gone"


async def test_an_unexpected_exception_is_a_retryable_gateway_error() -> None:
    class Broken(FakePsp):
        async def create_cobv(self, order: CobvOrder) -> Cobv:
            raise RuntimeError("boom")

    gw = FakeGateways(psp=Broken())
    outcome = await call_gateway(gw, Call(charge(), "create", PSP, None, DEBTOR))
    assert isinstance(outcome, GatewayError) and outcome.retryable and outcome.detail == "RuntimeError"


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n, base=5, cap=60) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]
