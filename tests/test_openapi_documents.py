"""What integrators generate clients from: each service's OpenAPI document
uses only keywords JSON Schema and OpenAPI define (pydantic writes a bound it
could not place as a raw ``gt``/``le`` key, which every client generator and
validator ignores), and every 4xx/5xx is problem+json. Checked with the
``openapi-spec-validator``-free oracle at hand: the JSON Schema 2020-12
vocabulary (json-schema.org/draft/2020-12), listed below."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .offline import openapi_documents

#: Pydantic's constraint names that are not JSON Schema keywords.
NOT_JSON_SCHEMA = {"gt", "ge", "lt", "le", "min_length", "max_length", "multiple_of", "strict"}


def schemas_in(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if "type" in node or "anyOf" in node or "$ref" in node:
            found.append((path, node))
        for key, value in node.items():
            if key not in ("example", "examples"):
                found += schemas_in(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += schemas_in(value, f"{path}/{i}")
    return found


DOCUMENTS = openapi_documents()


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_only_json_schema_keywords(service: str) -> None:
    bad = [
        f"{path}: {sorted(NOT_JSON_SCHEMA & set(schema))}"
        for path, schema in schemas_in(DOCUMENTS[service])
        if NOT_JSON_SCHEMA & set(schema)
    ]
    assert not bad, bad


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_every_error_response_is_problem_json(service: str) -> None:
    for path, item in DOCUMENTS[service]["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert set(response["content"]) == {"application/problem+json"}, (path, method, status)


def request_strings(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every string property of every JSON request body: (model, property, schema)."""
    components = document.get("components", {}).get("schemas", {})
    found: list[tuple[str, str, dict[str, Any]]] = []
    seen: set[str] = set()

    def walk(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for prop, schema in components[name].get("properties", {}).items():
            for alt in schema.get("anyOf", [schema]):
                ref = alt.get("$ref") or alt.get("items", {}).get("$ref")
                if ref:
                    walk(ref.rsplit("/", 1)[1])
                if alt.get("type") == "string":
                    found.append((name, prop, alt))

    for item in document["paths"].values():
        for operation in item.values():
            ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "$ref" in ref.get("schema", {}):
                walk(ref["schema"]["$ref"].rsplit("/", 1)[1])
    return found


@pytest.mark.parametrize("service", sorted(DOCUMENTS))
def test_request_strings_say_they_refuse_control_characters(service: str) -> None:
    """PostgreSQL text cannot hold NUL: a string the document admits with one
    would be a 500 (or, refused, a schema-valid request rejected). Every free
    string carries a pattern refusing control characters, or an enum/format."""
    loose = [
        f"{model}.{prop}"
        for model, prop, schema in request_strings(DOCUMENTS[service])
        if not (schema.get("enum") or schema.get("format"))
        and (not schema.get("pattern") or re.search(schema["pattern"], "a\x00b"))
    ]
    assert not loose, loose
