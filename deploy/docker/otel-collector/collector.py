"""A stand-in for the OpenTelemetry Collector, enough for docker-compose.yml's
observability profile where the official image cannot be pulled: it reads the
same config file (``receivers.otlp.protocols.http.endpoint``,
``exporters.file.path``), takes OTLP/HTTP trace exports (protobuf or JSON,
gzip or not) on ``/v1/traces`` and appends each request to the file as one
line of OTLP JSON (ids in hex), as the collector's file exporter does."""

from __future__ import annotations

import base64
import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.json_format import MessageToDict, Parse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def load_config(argv: list[str]) -> tuple[str, int, str]:
    path = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), "/etc/otelcol/config.yaml")
    endpoint, out = "0.0.0.0:4318", "/tmp/traces.jsonl"  # noqa: S108 - a container's own
    try:
        import yaml

        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
        endpoint = config["receivers"]["otlp"]["protocols"]["http"].get("endpoint", endpoint)
        out = config.get("exporters", {}).get("file", {}).get("path", out)
    except (OSError, KeyError, TypeError, ImportError) as exc:
        print(f"config {path}: {exc!r}; defaults used", file=sys.stderr)
    host, _, port = endpoint.rpartition(":")
    return host or "0.0.0.0", int(port), out  # noqa: S104


def hex_ids(node: Any) -> Any:
    """OTLP JSON writes trace and span ids as hex, protobuf's JSON as base64."""
    if isinstance(node, dict):
        return {
            k: base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and v else hex_ids(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [hex_ids(v) for v in node]
    return node


HOST, PORT, OUT = load_config(sys.argv[1:])
LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        try:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                Parse(body, request)
            else:
                request.ParseFromString(body)
        except Exception as exc:  # a malformed export: 400, as the collector answers
            self.send_error(400, str(exc)[:200])
            return
        line = json.dumps(hex_ids(MessageToDict(request)), separators=(",", ":"))
        with LOCK, open(OUT, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return


if __name__ == "__main__":
    print(f"otel collector stand-in: OTLP/HTTP on {HOST}:{PORT}, traces to {OUT}", flush=True)
    ThreadingHTTPServer((HOST, PORT), Receiver).serve_forever()
