"""The dev stack without Docker: a private Kafka broker, a private PostgreSQL
cluster and the five services, run as plain processes under ``.local/``."""

from regua_devtools.devstack.infra import Infra, ensure_infra

__all__ = ["Infra", "ensure_infra"]
