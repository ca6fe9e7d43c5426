"""Kafka clients configured the one way Régua uses them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.helpers import create_ssl_context
from opentelemetry import propagate
from opentelemetry.context import Context

from regua_platform.settings import KafkaSettings

Headers = list[tuple[str, bytes]]


def connection_options(settings: KafkaSettings) -> dict[str, Any]:
    """The keyword arguments every aiokafka client (producer, consumer, admin)
    takes to reach the cluster: bootstrap servers, and TLS and SASL/SCRAM when
    ``security_protocol`` asks for them."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(
            cafile=settings.ssl_cafile,
            certfile=settings.ssl_certfile,
            keyfile=settings.ssl_keyfile,
        )
    if settings.security_protocol.startswith("SASL"):
        assert settings.sasl_password is not None  # the settings validator checked
        options |= {
            "sasl_mechanism": settings.sasl_mechanism,
            "sasl_plain_username": settings.sasl_username,
            "sasl_plain_password": settings.sasl_password.get_secret_value(),
        }
    return options


def idempotent_producer(settings: KafkaSettings, *, client_id: str) -> AIOKafkaProducer:
    """A producer that never duplicates or reorders on retry (``acks=all``)."""
    return AIOKafkaProducer(
        **connection_options(settings),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15_000,
    )


def transactional_producer(
    settings: KafkaSettings, *, client_id: str, transactional_id: str
) -> AIOKafkaProducer:
    """An idempotent producer whose sends commit or abort together. Starting a
    second one with the same ``transactional_id`` fences the first."""
    return AIOKafkaProducer(
        **connection_options(settings),
        client_id=client_id,
        transactional_id=transactional_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15_000,
        transaction_timeout_ms=30_000,
    )


def group_consumer(settings: KafkaSettings, *topics: str, group_id: str, client_id: str) -> AIOKafkaConsumer:
    """A consumer-group member that commits offsets only when told to and reads
    only committed transactions (the outbox relay writes transactionally)."""
    return AIOKafkaConsumer(
        *topics,
        **connection_options(settings),
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=settings.consumer_max_records,
        session_timeout_ms=15_000,
        heartbeat_interval_ms=3_000,
    )


def headers_from_carrier(carrier: Mapping[str, str]) -> Headers:
    return [(k, v.encode()) for k, v in carrier.items()]


def carrier_from_headers(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in headers or () if v is not None}


def trace_context(headers: Sequence[tuple[str, bytes]] | None) -> Context:
    """The W3C trace context carried in Kafka record headers (``traceparent``)."""
    return propagate.extract(carrier_from_headers(headers))
