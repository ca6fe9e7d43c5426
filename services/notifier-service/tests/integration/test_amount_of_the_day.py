"""Every figure a message shows is the amount for the day it is sent, computed
by the sender from what the events carry (real PostgreSQL, Kafka and the
channel sandbox; the notifier's clock set to the day of each story)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from regua_br.boleto import build_boleto, free_field_for
from regua_br.brcode import build_dynamic_brcode
from regua_br.formatting import format_digitable_line
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_contracts.dunning.v1 import StepDueV1
from regua_contracts.invoice.v1 import (
    AppliedPaymentV1,
    InvoiceBalanceChangedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
)
from regua_contracts.payment.v1 import ChargeCreatedV1, ChargeRemovedV1, PaymentReceivedV1
from regua_devtools.testing import wait_for

from .conftest import Notifier, ShiftedClock

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def brt(day: date, hour: int = 12) -> datetime:
    """``hour`` o'clock in São Paulo (UTC-3, no daylight saving since 2019) on ``day``."""
    return datetime(day.year, day.month, day.day, hour + 3, 0, tzinfo=UTC)


def pix_code(n: int) -> str:
    return build_dynamic_brcode(
        location=f"psp.example.com/qr/v2/cobv/{n:032d}",
        merchant_name="Escola Aurora",
        merchant_city="Sao Paulo",
    )


def boleto_line(n: int, amount_cents: int, due: date) -> str:
    return build_boleto(
        bank_code="001", amount_cents=amount_cents, due=due, free_field=free_field_for(n)
    ).digitable_line


class Story:
    """One debtor and invoice, told to the notifier event by event."""

    def __init__(self, n: Notifier) -> None:
        self.n = n
        self.debtor_id, self.invoice_id = uuid4(), uuid4()
        self.email = f"devedor.{uuid4().hex[:10]}@exemplo.com.br"

    @property
    def clock(self) -> ShiftedClock:
        clock = self.n.clock
        assert isinstance(clock, ShiftedClock)
        return clock

    async def issue(self, *, amount_cents: int, due: date, effective: date) -> None:
        await self.n.publish(
            DebtorUpdatedV1(
                debtor_id=self.debtor_id,
                external_id=f"c-{self.debtor_id.hex[:8]}",
                name="Maria Aparecida Souza",
                document="52998224725",
                email=self.email,
                updated_at=self.clock.now(),
            )
        )
        await self.n.publish(
            InvoiceIssuedV1(
                debtor_id=self.debtor_id,
                invoice_id=self.invoice_id,
                external_id="NF-2026-1110",
                amount_cents=amount_cents,
                due_date=due,
                issued_at=brt(date(2026, 10, 20)),
                effective_due_date=effective,
                fine_bps=200,
                monthly_interest_bps=100,
            )
        )

    async def charge(
        self,
        method: str,
        code: str,
        *,
        amount_cents: int,
        due: date,
        methods: tuple[str, ...] = ("pix", "boleto"),
    ) -> UUID:
        charge_id = uuid4()
        await self.n.publish(
            ChargeCreatedV1(
                debtor_id=self.debtor_id,
                charge_id=charge_id,
                invoice_id=self.invoice_id,
                method=method,  # type: ignore[arg-type]
                amount_cents=amount_cents,
                due_date=due,
                txid=f"REGUA{charge_id.hex[:26]}" if method == "pix" else None,
                pix_copy_paste=code if method == "pix" else None,
                digitable_line=code if method == "boleto" else None,
                created_at=self.clock.now(),
                invoice_methods=list(methods),  # type: ignore[arg-type]
            )
        )
        return charge_id

    async def remove(self, charge_id: UUID, method: str, reason: str) -> None:
        await self.n.publish(
            ChargeRemovedV1(
                debtor_id=self.debtor_id,
                charge_id=charge_id,
                invoice_id=self.invoice_id,
                method=method,  # type: ignore[arg-type]
                reason=reason,
                removed_at=self.clock.now(),
            )
        )

    async def step(self, template: str, tone: str = "friendly") -> None:
        await self.n.publish(
            StepDueV1(
                debtor_id=self.debtor_id,
                step_id=uuid4(),
                invoice_id=self.invoice_id,
                policy_id=uuid4(),
                step_name=template,
                step_index=0,
                template=template,
                tone=tone,  # type: ignore[arg-type]
                action="message",
                channels=["email"],
                planned_for=self.clock.now(),
                due_at=self.clock.now(),
            )
        )

    async def emails(self, count: int) -> list[dict[str, Any]]:
        async def arrived() -> bool:
            return len(await self.n.inbox(self.email)) >= count

        await wait_for(arrived, timeout=30)
        messages = await self.n.inbox(self.email)
        assert len(messages) == count
        return messages

    async def waiting_for_charges(self) -> bool:
        items = await self.n.messages(self.invoice_id)
        return bool(items) and items[0]["waiting_for"] == "charges"


DUE = date(2026, 11, 10)  # a Tuesday


async def partly_paid(story: Story) -> None:
    """R$ 1.500,00 due 10/11/2026 at 2 % fine and 1 % a month; R$ 1.000,00
    paid on 05/11; invoice.overdue froze R$ 535,00 (the old, wrong figure)."""
    await story.issue(amount_cents=150000, due=DUE, effective=DUE)
    paid_at = brt(date(2026, 11, 5), 10)
    await story.n.publish(
        PaymentReceivedV1(
            debtor_id=story.debtor_id,
            payment_id=(payment_id := uuid4()),
            invoice_id=story.invoice_id,
            method="pix",
            amount_cents=100000,
            gateway_reference="E" + uuid4().hex[:31],
            paid_at=paid_at,
        )
    )
    await story.n.publish(
        InvoiceBalanceChangedV1(
            debtor_id=story.debtor_id,
            invoice_id=story.invoice_id,
            payments=[
                AppliedPaymentV1(payment_id=payment_id, paid_on=date(2026, 11, 5), amount_cents=100000)
            ],
            amount_paid_cents=100000,
            status="partially_paid",
            changed_at=brt(date(2026, 11, 5), 11),
        )
    )
    await story.n.publish(
        InvoiceOverdueV1(
            debtor_id=story.debtor_id,
            invoice_id=story.invoice_id,
            due_date=DUE,
            overdue_since=date(2026, 11, 11),
            amount_due_cents=53500,
        )
    )


async def test_a_partly_paid_late_invoice_shows_the_figure_of_each_day_it_is_sent(
    dated_notifier: Notifier,
) -> None:
    story = Story(dated_notifier)
    story.clock.move_to(brt(date(2026, 11, 20)))
    await partly_paid(story)
    # The cobv and boleto revised after the payment: face value R$ 500,00.
    await story.charge("pix", pix_code(1), amount_cents=50000, due=DUE)
    await story.charge("boleto", boleto_line(1, 50000, DUE), amount_cents=50000, due=DUE)
    await story.n.consumed()

    await story.step("overdue")
    [first] = await story.emails(1)
    # 500,00 + fine 2 % x 500,00 = 10,00 + interest 500,00 x 1 % x 10/30 = 1,67 -> 511,67.
    assert "O valor atualizado para hoje, 20/11/2026, é R$ 511,67." in first["body"]
    assert "multa de R$ 10,00 e juros de R$ 1,67" in first["body"]
    assert "R$ 535,00" not in first["body"]
    assert pix_code(1) in first["body"]

    # The next step of the régua, ten days later: 500,00 + 10,00 + 500,00 x 1 % x 20/30 = 3,33 -> 513,33.
    story.clock.move_to(brt(date(2026, 11, 30)))
    await story.step("final_notice")
    second = next(m for m in await story.emails(2) if m["id"] != first["id"])
    assert "R$ 513,33 para pagamento hoje, 30/11/2026" in second["body"]
    assert "R$ 511,67" not in second["body"]


async def test_a_step_that_waited_is_priced_on_the_day_it_goes_out(dated_notifier: Notifier) -> None:
    """The step comes due on 20/11 but its charges only on 25/11: the figure
    is the one of 25/11, when the message is sent, not of the step-due."""
    story = Story(dated_notifier)
    story.clock.move_to(brt(date(2026, 11, 20)))
    await partly_paid(story)
    await story.step("overdue", tone="firm")
    await wait_for(story.waiting_for_charges, timeout=30)

    story.clock.move_to(brt(date(2026, 11, 25)))
    await story.charge("pix", pix_code(2), amount_cents=50000, due=DUE)
    await story.charge("boleto", boleto_line(2, 50000, DUE), amount_cents=50000, due=DUE)
    [message] = await story.emails(1)
    # 500,00 + 10,00 + 500,00 x 1 % x 15/30 = 2,50 -> 512,50.
    assert "O valor atualizado para hoje, 25/11/2026, é R$ 512,50." in message["body"]
    assert "R$ 511,67" not in message["body"]


async def test_due_today_of_an_invoice_due_on_a_sunday_sent_on_monday_names_monday(
    dated_notifier: Notifier,
) -> None:
    story = Story(dated_notifier)
    story.clock.move_to(brt(date(2026, 11, 16), 9))
    sunday, monday = date(2026, 11, 15), date(2026, 11, 16)
    await story.issue(amount_cents=150000, due=sunday, effective=monday)
    await story.charge("pix", pix_code(3), amount_cents=150000, due=monday)
    await story.charge("boleto", boleto_line(3, 150000, monday), amount_cents=150000, due=monday)
    await story.n.consumed()

    await story.step("due_today", tone="final")
    [message] = await story.emails(1)
    assert message["subject"] == "Último dia sem encargos: fatura NF-2026-1110"
    # Not 1.530,50: paying on the Monday costs no charges.
    assert (
        "Hoje (16/11/2026) é o último dia para pagar a sua fatura NF-2026-1110, no valor de R$ 1.500,00"
        in (message["body"])
    )
    assert "hoje (15/11/2026)" not in message["body"].lower()


async def test_removed_charges_are_never_shown_and_a_revised_one_replaces_its_predecessor(
    dated_notifier: Notifier,
) -> None:
    story = Story(dated_notifier)
    story.clock.move_to(brt(date(2026, 11, 3)))
    await story.issue(amount_cents=150000, due=DUE, effective=DUE)
    old_pix = await story.charge("pix", pix_code(4), amount_cents=150000, due=DUE)
    old_boleto = await story.charge("boleto", boleto_line(4, 150000, DUE), amount_cents=150000, due=DUE)
    # An agreement on the amount: the cobv is removed and the boleto revised (a new one, the old written off).
    await story.remove(old_pix, "pix", "revised")
    await story.remove(old_boleto, "boleto", "revised")
    revised = boleto_line(5, 120000, DUE)
    await story.charge("boleto", revised, amount_cents=120000, due=DUE, methods=("boleto",))
    await story.n.consumed()

    await story.step("reminder")
    [message] = await story.emails(1)
    assert pix_code(4) not in message["body"]
    assert format_digitable_line(boleto_line(4, 150000, DUE)) not in message["body"]
    assert format_digitable_line(revised) in message["body"]
    assert "Pix" not in message["body"]
    # The revision announced the boleto alone: nothing was waited for, nothing is missing.
    [delivery] = await story.n.messages(story.invoice_id)
    assert (delivery["status"], delivery["missing_instruments"]) in (("sent", None), ("pending", None))


async def test_the_newest_list_of_payments_replaces_the_one_kept(dated_notifier: Notifier) -> None:
    """balance-changed carries the full list: an older one arriving late
    changes nothing, a newer one (the payment reversed) replaces it."""
    story = Story(dated_notifier)
    story.clock.move_to(brt(date(2026, 11, 20)))
    await partly_paid(story)
    await story.charge("pix", pix_code(6), amount_cents=150000, due=DUE)
    await story.charge("boleto", boleto_line(6, 150000, DUE), amount_cents=150000, due=DUE)

    def balance(payments: list[AppliedPaymentV1], at: datetime) -> InvoiceBalanceChangedV1:
        return InvoiceBalanceChangedV1(
            debtor_id=story.debtor_id,
            invoice_id=story.invoice_id,
            payments=payments,
            amount_paid_cents=sum(p.amount_cents for p in payments),
            status="overdue" if not payments else "partially_paid",
            changed_at=at,
        )

    # Older than the one of 05/11: ignored. With R$ 1.000,00 paid the R$ 1.500,00
    # codes would collect too much for 511,67: the message waits for revised ones.
    await story.n.publish(balance([], brt(date(2026, 11, 4))))
    await story.n.consumed()
    await story.step("overdue")
    await wait_for(story.waiting_for_charges, timeout=30)
    await story.n.consumed()
    assert await story.n.inbox(story.email) == []

    # The payment reversed on 18/11: 1.500,00 + 30,00 fine + 1.500,00 x 1 % x 10/30 = 5,00 -> 1.535,00,
    # which the R$ 1.500,00 cobv (priced by the PSP) and boleto (bank instructions) can settle.
    await story.n.publish(balance([], brt(date(2026, 11, 18))))
    [message] = await story.emails(1)
    assert "O valor atualizado para hoje, 20/11/2026, é R$ 1.535,00." in message["body"]
    assert pix_code(6) in message["body"]
