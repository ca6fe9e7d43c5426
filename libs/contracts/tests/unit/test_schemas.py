from pathlib import Path

from regua_contracts import EVENTS
from regua_contracts.schemas import all_schemas, render
from regua_contracts.topics import ALL_TOPICS, EVENT_TOPICS, dlq_topic, namespaced

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def test_committed_schemas_match_the_models() -> None:
    """The generated JSON Schemas are committed; this fails when they drift
    (regenerate with `make schemas`)."""
    wanted = all_schemas()
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} == set(wanted)
    for name, schema in wanted.items():
        assert (SCHEMA_DIR / name).read_bytes() == render(schema), f"{name} drifted"


def test_money_is_an_integer_in_every_schema() -> None:
    for spec in EVENTS:
        props = all_schemas()[f"{spec.type}.json"]["properties"]
        for field, prop in props.items():
            if field.endswith("_cents"):
                assert prop["type"] == "integer", (spec.type, field)


def test_every_event_topic_has_a_dead_letter_topic() -> None:
    for topic in EVENT_TOPICS:
        assert dlq_topic(topic) in ALL_TOPICS
    assert namespaced("regua.x", "") == "regua.x"
    assert namespaced("regua.x", "t1.") == "t1.regua.x"
