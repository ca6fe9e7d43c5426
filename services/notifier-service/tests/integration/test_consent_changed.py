"""debtor.consent-changed (the portal's opt-out) is honoured by the next message."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from regua_contracts.debtor.v1 import DebtorConsentChangedV1, DebtorUpdatedV1
from regua_contracts.invoice.v1 import InvoiceIssuedV1
from regua_devtools.testing import wait_for

from .conftest import Notifier
from .test_delivery import now, step, unique_email

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


async def test_opt_out_from_the_portal_skips_the_channel(notifier: Notifier) -> None:
    email, phone = unique_email(), f"+55119{uuid4().int % 10**8:08d}"
    debtor_id, invoice_id = uuid4(), uuid4()
    await notifier.publish(
        DebtorUpdatedV1(
            debtor_id=debtor_id,
            external_id=f"c-{debtor_id.hex[:8]}",
            name="Maria Aparecida Souza",
            document="52998224725",
            email=email,
            phone=phone,
            updated_at=now(),
        )
    )
    # Same topic and key as the invoice that follows: applied before the step can be sent.
    await notifier.publish(
        DebtorConsentChangedV1(debtor_id=debtor_id, channel="email", consent=False, changed_at=now())
    )
    await notifier.publish(
        InvoiceIssuedV1(
            debtor_id=debtor_id,
            invoice_id=invoice_id,
            external_id="NF-2026-0043",
            amount_cents=50_000,
            due_date=date(2026, 12, 10),
            issued_at=now(),
        )
    )
    await notifier.publish(step(debtor_id, invoice_id, channels=["email", "sms"]))
    await wait_for(lambda: notifier.inbox(phone), timeout=30)
    [sms] = await notifier.inbox(phone)
    assert sms["channel"] == "sms"
    assert await notifier.inbox(email) == []
