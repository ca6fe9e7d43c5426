"""invoice-service's own Prometheus metrics (served on ``/metrics`` with the platform's)."""

from __future__ import annotations

from prometheus_client import Gauge

INVOICES_OVERDUE = Gauge(
    "regua_invoices_overdue",
    "Invoices past their due date and not paid (all tenants), as of the worker's last overdue scan.",
)
OVERDUE_OPEN_CENTS = Gauge(
    "regua_invoices_overdue_open_cents",
    "Principal still open on overdue invoices (amount less payments), in centavos, as of the last scan.",
)
