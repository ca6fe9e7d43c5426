"""JSON Schema export of every event: the envelope and each payload."""

from __future__ import annotations

from typing import Any

import orjson

from regua_contracts.envelope import Envelope
from regua_contracts.registry import EVENTS


def all_schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema, for the envelope and every registered payload."""
    out: dict[str, dict[str, Any]] = {
        "envelope.json": {
            "$id": "schemas/envelope.json",
            **Envelope.model_json_schema(),
        }
    }
    for spec in EVENTS:
        schema = spec.model.model_json_schema()
        schema["$id"] = spec.dataschema
        schema["description"] = spec.description
        schema["x-regua-topic"] = spec.topic
        out[f"{spec.type}.json"] = schema
    return out


def render(schema: dict[str, Any]) -> bytes:
    """Stable bytes for a schema file (sorted keys, 2-space indent, newline)."""
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
