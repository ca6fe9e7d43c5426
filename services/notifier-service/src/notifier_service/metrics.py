"""notifier-service's own Prometheus metrics (served on ``/metrics`` with the platform's)."""

from __future__ import annotations

from prometheus_client import Counter

MESSAGES = Counter(
    "regua_messages_total",
    "Debtor messages by channel and outcome: sent (the provider took it),"
    " provider_error (refused or unreachable: retried, then the next channel),"
    " suppressed (re-checked right before the call and not sent: paid, paused, no consent).",
    ["channel", "outcome"],
)
