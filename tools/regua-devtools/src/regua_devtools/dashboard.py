"""Régua's Grafana dashboard, generated (``regua k8s``) into
``deploy/grafana/regua.json`` (provisioned by docker-compose.yml's
observability profile) and into a ConfigMap of ``deploy/k8s/base`` labelled
``grafana_dashboard: "1"`` (Grafana's dashboard sidecar picks it up).

Built with Grafana Labs' Foundation SDK (typed builders generated from
Grafana's own schema, pinned to the Grafana release docker-compose.yml runs),
so the JSON is the shape Grafana reads. Every query uses only metrics the
code exports (``tests/test_k8s.py`` checks), and money is in centavos in the
metrics, shown in reais here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from grafana_foundation_sdk.builders import common, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import dashboard as dashboards
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as gd

UID = "regua-overview"
_DATASOURCE = gd.DataSourceRef(type_val="prometheus", uid="${datasource}")


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


def _panel(panel: Panel, pid: int) -> cogbuilder.Builder[gd.Panel]:
    stat_panel = panel.kind == "stat"
    built: stat.Panel | timeseries.Panel = stat.Panel() if stat_panel else timeseries.Panel()
    built = (
        built.id(pid)
        .title(panel.title)
        .description(panel.description)
        .datasource(_DATASOURCE)
        .unit(panel.unit)
        .height(5 if stat_panel else 8)
        .span(8 if stat_panel else 12)
    )
    for i, (expr, legend) in enumerate(panel.exprs):
        built = built.with_target(
            prometheus.Dataquery()
            .ref_id(chr(ord("A") + i))
            .datasource(_DATASOURCE)
            .expr(expr)
            .legend_format(legend)
        )
    if isinstance(built, stat.Panel):
        built = built.reduce_options(
            common.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)
        )
    return built


def dashboard() -> gd.Dashboard:
    """The dashboard as Grafana's own typed model; the builder lays panels out
    left to right, wrapping at 24 columns, each row under its title."""
    built = (
        dashboards.Dashboard("Régua")
        .uid(UID)
        .description("Régua: business view, services (RED), events, gateways. Generated by `regua k8s`.")
        .tags(["regua"])
        .timezone("browser")
        .editable()
        .refresh("30s")
        .time("now-6h", "now")
        .with_variable(dashboards.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )
    pid = 1
    for title, row in ROWS:
        built = built.with_row(dashboards.Row(title).id(pid))
        pid += 1
        for panel in row:
            built = built.with_panel(_panel(panel, pid))
            pid += 1
    return built.build()


def render() -> str:
    return json.dumps(dashboard(), cls=JSONEncoder, indent=2, ensure_ascii=False) + "\n"
