"""Régua's Grafana dashboard, generated (``regua k8s``) into
``deploy/grafana/regua.json`` (provisioned by docker-compose.yml's
observability profile) and into a ConfigMap of ``deploy/k8s/base`` labelled
``grafana_dashboard: "1"`` (Grafana's dashboard sidecar picks it up).

Every query uses only metrics the code exports (``tests/test_k8s.py`` checks),
and money is in centavos in the metrics, shown in reais here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

UID = "regua-overview"


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    description: str = ""


ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Business",
        (
            Panel(
                "Invoices overdue",
                (("sum(regua_invoices_overdue)", "overdue"),),
                kind="stat",
                description="Past due and unpaid, all tenants, as of invoice-service's last overdue scan.",
            ),
            Panel(
                "Open on overdue invoices",
                (("sum(regua_invoices_overdue_open_cents) / 100", "R$"),),
                unit="currencyBRL",
                kind="stat",
                description="Principal still open on overdue invoices (amount less payments).",
            ),
            Panel(
                "Recovered (24 h)",
                (("sum(increase(regua_payments_received_cents_total[24h])) / 100", "R$"),),
                unit="currencyBRL",
                kind="stat",
                description="Money recorded as received in the last 24 hours, every method.",
            ),
            Panel(
                "Payments received by method",
                (("sum by (method) (rate(regua_payments_received_total[5m])) * 60", "{{method}}"),),
                unit="short",
                description="Payments recorded per minute (Pix, boleto, card), each once.",
            ),
            Panel(
                "Messages by channel and outcome",
                (
                    (
                        "sum by (channel, outcome) (rate(regua_messages_total[5m])) * 60",
                        "{{channel}} {{outcome}}",
                    ),
                ),
                description="Per minute: sent, provider_error (retried, then the next channel), suppressed.",
            ),
        ),
    ),
    (
        "Services (RED)",
        (
            Panel(
                "Requests per second",
                (("sum by (service) (rate(regua_http_requests_total[5m]))", "{{service}}"),),
                unit="reqps",
            ),
            Panel(
                "5xx ratio",
                (
                    (
                        'sum by (service) (rate(regua_http_requests_total{status=~"5.."}[5m]))'
                        " / sum by (service) (rate(regua_http_requests_total[5m]))",
                        "{{service}}",
                    ),
                ),
                unit="percentunit",
            ),
            Panel(
                "Latency p95",
                (
                    (
                        "histogram_quantile(0.95, sum by (le, service)"
                        " (rate(regua_http_request_duration_seconds_bucket[5m])))",
                        "{{service}}",
                    ),
                ),
                unit="s",
            ),
        ),
    ),
    (
        "Events",
        (
            Panel(
                "Consumer lag",
                (("sum by (service, topic) (regua_consumer_lag)", "{{service}} {{topic}}"),),
                description="Records not yet consumed; the worker HPA's external metric.",
            ),
            Panel(
                "Outbox backlog",
                (("max by (service) (regua_outbox_backlog)", "{{service}}"),),
                description="Events written and not yet published by the relay.",
            ),
            Panel(
                "Relay rate",
                (("sum by (service) (rate(regua_outbox_published_total[5m]))", "{{service}}"),),
                unit="ops",
            ),
            Panel(
                "Dead letters (1 h)",
                (
                    (
                        "sum by (service, topic) (increase(regua_dlq_messages_total[1h]))",
                        "{{service}} {{topic}}",
                    ),
                ),
                description="Events sent to <topic>.dlq; re-drive with `regua dlq redrive`.",
            ),
            Panel(
                "Event age p95",
                (
                    (
                        "histogram_quantile(0.95, sum by (le, service, topic)"
                        " (rate(regua_event_age_seconds_bucket[5m])))",
                        "{{service}} {{topic}}",
                    ),
                ),
                unit="s",
            ),
            Panel(
                "Timer lateness p95",
                (
                    (
                        "histogram_quantile(0.95, sum by (le)"
                        " (rate(regua_timer_lateness_seconds_bucket[5m])))",
                        "p95",
                    ),
                ),
                unit="s",
                description="From when a dunning step could fire to its step-due event.",
            ),
        ),
    ),
    (
        "Gateways and webhooks",
        (
            Panel(
                "Webhook items by outcome",
                (
                    (
                        "sum by (provider, outcome) (rate(regua_webhook_items_total[5m])) * 60",
                        "{{provider}} {{outcome}}",
                    ),
                ),
                description="Per minute: recorded, duplicate, unmatched, refused, ignored.",
            ),
            Panel(
                "Webhooks refused by reason",
                (("sum by (reason) (rate(regua_webhooks_refused_total[5m])) * 60", "{{reason}}"),),
                description="Refused before anything was applied (signature, age, rate, unknown tenant...).",
            ),
            Panel(
                "PSP and bank calls",
                (
                    (
                        "sum by (gateway, outcome) (rate(regua_gateway_calls_total[5m])) * 60",
                        "{{gateway}} {{outcome}}",
                    ),
                ),
            ),
        ),
    ),
)


def expressions() -> list[str]:
    return [expr for _, panels in ROWS for panel in panels for expr, _ in panel.exprs]


def _panel(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    width = 6 if panel.kind == "stat" else 12
    body: dict[str, Any] = {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8 if panel.kind != "stat" else 5, "w": width, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": expr,
                "legendFormat": legend,
            }
            for i, (expr, legend) in enumerate(panel.exprs)
        ],
    }
    if panel.kind == "stat":
        body["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return body


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    pid, y = 1, 0
    for title, row in ROWS:
        panels.append(
            {
                "id": pid,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
            }
        )
        pid, y, x = pid + 1, y + 1, 0
        for panel in row:
            body = _panel(panel, pid, x, y)
            width, height = body["gridPos"]["w"], body["gridPos"]["h"]
            if x + width > 24:
                x, y = 0, y + height
                body["gridPos"].update(x=x, y=y)
            panels.append(body)
            pid, x = pid + 1, x + width
        y += 8
    return {
        "uid": UID,
        "title": "Régua",
        "description": "Régua: business view, services (RED), events, gateways. Generated by `regua k8s`.",
        "tags": ["regua"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                }
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"
