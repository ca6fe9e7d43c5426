"""JSON logs, one object per line, with trace ids and no personal data.

Log calls name a dotted, stable event (``notifier.message.suppressed_paid``)
and pass ids in ``extra``. As a second line of defence, anything shaped like a
CPF, CNPJ, e-mail address or phone number is masked before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry import trace

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

_SEP = r"[\s.-]?"
_PII = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    # CNPJ, numeric or alphanumeric (Receita Federal, IN RFB 2.229/2024: twelve
    # characters 0-9/A-Z, then two check digits), with or without punctuation.
    (re.compile(r"\b[0-9A-Z]{2}\.?[0-9A-Z]{3}\.?[0-9A-Z]{3}/?[0-9A-Z]{4}-?\d{2}\b"), "[cnpj]"),
    (re.compile(r"\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b"), "[cpf]"),
    # Phones: +55, area code, an optional leading 9, 4 + 4 digits, separated by
    # nothing, spaces, dots or hyphens ("+55 (11) 9 1234-5678", "11 91234 5678").
    (
        re.compile(rf"(?:\+?\b55{_SEP}\(?|\(?\b)\d{{2}}\)?{_SEP}(?:9{_SEP})?\d{{4}}{_SEP}\d{{4}}\b"),
        "[phone]",
    ),
]


def redact(text: str) -> str:
    """Mask CPF, CNPJ, e-mail and phone shapes in ``text``."""
    for pattern, mask in _PII:
        text = pattern.sub(mask, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _clean(value)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


def setup_logging(service: str, level: str = "INFO") -> None:
    """Send every log record to stdout as JSON (uvicorn's and aiokafka's too)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Access lines carry query strings, which may hold personal data: keep them off.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
