"""Kafka handlers of invoice-service and the table that routes events to them."""

from __future__ import annotations

from invoice_service.consumers.payments import (
    on_payment_received_apply_to_invoice,
    on_payment_reversed_reopen_invoice,
)
from regua_platform.consumer import Handlers

#: ``br.regua.payment.charge-created.v1`` shares the topic and is ignored on purpose.
HANDLERS: Handlers = {
    "br.regua.payment.received.v1": [on_payment_received_apply_to_invoice],
    "br.regua.payment.reversed.v1": [on_payment_reversed_reopen_invoice],
}
