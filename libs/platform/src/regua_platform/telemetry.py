"""OpenTelemetry tracing set-up. The W3C ``traceparent`` travels in HTTP
headers, outbox rows and Kafka record headers, so one trace spans a request,
the outbox and every consumer.

No span leaves the process with a secret or personal data: every processor
(the OTLP exporter's and any a test adds) sees spans through
:class:`ScrubbingProcessor`, which drops query strings, replaces opaque tokens
in URL paths (portal links: ``/l/<token>``) with ``{token}``, blanks client
addresses and headers, and masks CPF/CNPJ/e-mail/phone shapes in every string
attribute, event and span name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from regua_platform.logs import redact
from regua_platform.settings import TelemetrySettings

#: Attributes holding a URL or a path: query dropped, tokens replaced.
_URL_KEYS = frozenset({"http.target", "http.url", "url.full", "url.path", "url.query", "http.route"})
#: Attributes that identify a person's device or carry credentials: blanked.
_BLANKED_KEYS = frozenset(
    {"net.peer.ip", "net.sock.peer.addr", "client.address", "http.client_ip", "network.peer.address"}
)
_BLANKED_PREFIXES = ("http.request.header.", "http.response.header.")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: A path segment that is an opaque credential: 16+ base64url characters, not a UUID.
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-=.~%]{16,}(?=/|$)")


def scrub_url(value: str) -> str:
    """``value`` without its query string and with opaque path segments
    replaced by ``{token}`` (ids that are UUIDs stay)."""
    path, sep, _query = value.partition("?")
    path = _TOKEN_SEGMENT.sub(lambda m: m.group(0) if _UUID.fullmatch(m.group(0)) else "{token}", path)
    return redact(path + ("?[redacted]" if sep else ""))


def _scrub_value(key: str, value: Any) -> Any:
    if key in _BLANKED_KEYS or key.startswith(_BLANKED_PREFIXES):
        return "[redacted]"
    if isinstance(value, str):
        return scrub_url(value) if key in _URL_KEYS else redact(value)
    if isinstance(value, tuple | list):
        return tuple(redact(v) if isinstance(v, str) else v for v in value)
    return value


def scrub_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: _scrub_value(key, value) for key, value in (attributes or {}).items()}


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` without secrets or personal data (see the module)."""
    return ReadableSpan(
        name=scrub_url(span.name),
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=scrub_attributes(span.attributes),
        events=[Event(e.name, scrub_attributes(e.attributes), e.timestamp) for e in span.events],
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class ScrubbingProcessor(SpanProcessor):
    """Hands ``inner`` a scrubbed copy of each finished span."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(scrubbed(span))

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


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
                ScrubbingProcessor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
            )
        trace.set_tracer_provider(_provider)
    for processor in extra_processors:
        _provider.add_span_processor(ScrubbingProcessor(processor))
    return _provider
