"""scheduler-service's own Prometheus metrics (served on ``/metrics`` with the platform's)."""

from __future__ import annotations

from prometheus_client import Histogram

TIMER_LATENESS = Histogram(
    "regua_timer_lateness_seconds",
    "From when a step could fire (its time, or when it was planned if later) to the timer's"
    " commit of its step-due event.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
