"""payments-service's own Prometheus metrics (served on ``/metrics`` with the platform's)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter

from payments_service.domain.webhooks import ItemResult

WEBHOOKS_REFUSED = Counter(
    "regua_webhooks_refused_total",
    "Webhook requests refused before anything was applied, by reason.",
    ["reason"],
)
WEBHOOKS_LEGACY_SIGNATURES = Counter(
    "regua_webhooks_legacy_signatures_total",
    "Webhooks accepted on the legacy v1 signature (t.body only), by provider.",
    ["provider"],
)
WEBHOOK_ITEMS = Counter(
    "regua_webhook_items_total",
    "Payments and reversals named by accepted webhooks (and reconciliation sweeps), by provider"
    " and outcome: recorded, duplicate, unmatched, refused, ignored.",
    ["provider", "outcome"],
)
PAYMENTS_RECEIVED = Counter(
    "regua_payments_received_total",
    "Payments recorded (each once, however often it was announced), by method.",
    ["method"],
)
PAYMENTS_RECEIVED_CENTS = Counter(
    "regua_payments_received_cents_total",
    "Money recorded as received, in centavos, by method: the amount recovered.",
    ["method"],
)


def observe_results(provider: str, results: Iterable[ItemResult]) -> None:
    """Count what a committed webhook or sweep did."""
    for result in results:
        for item in (result, *result.children):
            WEBHOOK_ITEMS.labels(provider, item.outcome).inc()
        if result.outcome == "recorded" and result.kind == "payment" and result.method:
            PAYMENTS_RECEIVED.labels(result.method).inc()
            PAYMENTS_RECEIVED_CENTS.labels(result.method).inc(result.amount_cents)


GATEWAY_CALLS = Counter(
    "regua_gateway_calls_total",
    "Calls to tenants' PSPs (API Pix) and banks (boleto registration), by gateway and outcome (ok, error).",
    ["gateway", "outcome"],
)
