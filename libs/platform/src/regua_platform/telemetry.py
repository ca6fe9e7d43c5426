"""OpenTelemetry tracing set-up. The W3C ``traceparent`` travels in HTTP
headers, outbox rows and Kafka record headers, so one trace spans a request,
the outbox and every consumer."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from regua_platform.settings import TelemetrySettings

_provider: TracerProvider | None = None


def setup_tracing(
    service: str,
    settings: TelemetrySettings,
    *,
    extra_processors: tuple[SpanProcessor, ...] = (),
) -> TracerProvider:
    """Install the global tracer provider once per process; later calls only add
    ``extra_processors`` (tests add an in-memory exporter this way)."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(
            resource=Resource.create({"service.name": service}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
        )
        if settings.otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
            )
        trace.set_tracer_provider(_provider)
    for processor in extra_processors:
        _provider.add_span_processor(processor)
    return _provider
