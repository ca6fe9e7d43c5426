"""The AsyncAPI 3.0 document of Régua's events, generated from the registry.

Every topic is a channel; every event type a message whose payload is the
CloudEvents envelope (``schemas/envelope.json``) with ``type`` fixed and
``data`` the event's own JSON Schema (``schemas/<type>.json``, referenced by
relative path, so the document and the schemas stay one source); the Kafka key
(the debtor id) and headers (``ce_type``, W3C ``traceparent``) are in the
message's Kafka binding and headers. Operations say which service sends each
message and which services receive it (the receivers come from the services'
handler tables, passed in by the caller: contracts import no service).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from regua_contracts.registry import EVENTS
from regua_contracts.topics import EVENT_TOPICS, dlq_topic

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"


def _id(text: str) -> str:
    """An AsyncAPI component key (``^[\\w\\d\\.\\-_]+$``) for a topic or type."""
    return text.replace(".", "_").replace("-", "_")


def document(receivers: Mapping[str, Collection[str]], *, version: str = "1.0.0") -> dict[str, Any]:
    """The AsyncAPI document; ``receivers`` maps each service to the event
    types it handles."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in EVENT_TOPICS:
        specs = [spec for spec in EVENTS if spec.topic == topic]
        channel = _id(topic)
        channels[channel] = {
            "address": topic,
            "description": f"Events on `{topic}`; records the consumers could not handle go to "
            f"`{dlq_topic(topic)}` with the error in their headers.",
            "messages": {
                _id(spec.type): {"$ref": f"#/components/messages/{_id(spec.type)}"} for spec in specs
            },
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        for producer in sorted({spec.producer for spec in specs}):
            sent = [spec for spec in specs if spec.producer == producer]
            operations[_id(f"{producer}.sends.{topic}")] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": f"{producer} publishes these events (transactional outbox: exactly once).",
                "messages": [{"$ref": f"#/channels/{channel}/messages/{_id(s.type)}"} for s in sent],
            }
        for service in sorted(receivers):
            handled = [spec for spec in specs if spec.type in receivers[service]]
            if handled:
                operations[_id(f"{service}.receives.{topic}")] = {
                    "action": "receive",
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "summary": f"{service} handles these events (consumer group `{service}`; "
                    "others on the topic are skipped by their `ce_type` header).",
                    "messages": [{"$ref": f"#/channels/{channel}/messages/{_id(s.type)}"} for s in handled],
                }
    for spec in EVENTS:
        messages[_id(spec.type)] = {
            "name": spec.type,
            "title": spec.type,
            "summary": spec.description,
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/headers"},
            "payload": {
                "allOf": [
                    {"$ref": "schemas/envelope.json"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": spec.type},
                            "dataschema": {"const": spec.dataschema},
                            "data": {"$ref": spec.dataschema},
                        },
                    },
                ]
            },
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "format": "uuid", "description": "The debtor id."},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Régua events",
            "version": version,
            "description": (
                "The events Régua's five services exchange over Apache Kafka. Every record is a "
                "CloudEvents 1.0 JSON object with the extension `tenantid`; its key is the debtor "
                "id, so one debtor's events stay in order within their topic. Money is integer "
                "centavos. A breaking change is a new `vN` type published beside the old one."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {
                "headers": {
                    "type": "object",
                    "properties": {
                        "ce_type": {
                            "type": "string",
                            "description": "The event type, to skip without parsing.",
                        },
                        "traceparent": {"type": "string", "description": "W3C trace context of the request."},
                        "tracestate": {"type": "string"},
                    },
                    "required": ["ce_type"],
                }
            },
            "messages": messages,
        },
    }
