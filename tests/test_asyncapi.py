"""The AsyncAPI document for integrators (``libs/contracts/asyncapi.json``):
committed and current (regenerate with ``make schemas``), valid against the
published AsyncAPI 3.0.0 JSON Schema (vendored from ``@asyncapi/specs``, see
``libs/contracts/tests/spec/README.md``), and complete: every topic, event
type, producer, receiver and schema of the registry, every reference
resolving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs

from regua_contracts.asyncapi import document
from regua_contracts.registry import EVENTS
from regua_contracts.schemas import render
from regua_contracts.topics import EVENT_TOPICS
from regua_devtools.offline import receivers

CONTRACTS = Path(__file__).resolve().parents[1] / "libs" / "contracts"
COMMITTED = CONTRACTS / "asyncapi.json"
SPEC = CONTRACTS / "tests" / "spec" / "asyncapi-3.0.0.schema.json"


def committed() -> dict[str, Any]:
    return dict(json.loads(COMMITTED.read_bytes()))


def test_the_committed_document_is_current() -> None:
    assert COMMITTED.read_bytes() == render(document(receivers())), (
        "asyncapi.json drifted: run `make schemas`"
    )


def test_valid_asyncapi_3() -> None:
    validator = jsonschema_rs.Draft7Validator(json.loads(SPEC.read_bytes()))
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(committed())]
    assert not errors, errors[:10]
    # The oracle bites: AsyncAPI 2's "publish" is no action of 3.0.
    broken = committed()
    next(iter(broken["operations"].values()))["action"] = "publish"
    assert not validator.is_valid(broken)


def test_every_topic_type_producer_and_receiver_is_there() -> None:
    doc = committed()
    assert {c["address"] for c in doc["channels"].values()} == set(EVENT_TOPICS)
    assert {m["name"] for m in doc["components"]["messages"].values()} == {s.type for s in EVENTS}
    sent = {
        (op["channel"]["$ref"], ref["$ref"].rsplit("/", 1)[1], name.split("_sends_")[0])
        for name, op in doc["operations"].items()
        if op["action"] == "send"
        for ref in op["messages"]
    }
    assert len(sent) == len(EVENTS)
    received = {
        ref["$ref"].rsplit("/", 1)[1]
        for op in doc["operations"].values()
        if op["action"] == "receive"
        for ref in op["messages"]
    }
    handled = {t.replace(".", "_").replace("-", "_") for types in receivers().values() for t in types}
    assert received == handled


def test_every_reference_resolves() -> None:
    doc = committed()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        if ref.startswith("#/"):
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part]
        else:
            assert (CONTRACTS / ref).is_file(), ref
