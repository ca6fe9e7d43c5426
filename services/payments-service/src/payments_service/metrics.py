"""payments-service's own Prometheus metrics (served on ``/metrics`` with the platform's)."""

from __future__ import annotations

from prometheus_client import Counter

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
