"""The webhook-secret cache: a hit within the TTL, a fresh read after it, and
nothing cached for a tenant without a secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from payments_service.service_layer.webhook_secrets import WebhookSecrets


@dataclass
class FakeSettings:
    webhook_secret_encrypted: bytes


@dataclass
class FakeStore:
    secrets: dict[UUID, bytes] = field(default_factory=dict)
    reads: int = 0

    async def get(self, tenant_id: UUID) -> FakeSettings | None:
        self.reads += 1
        found = self.secrets.get(tenant_id)
        return FakeSettings(found) if found is not None else None


class FakeUow:
    def __init__(self, store: FakeStore) -> None:
        self.pix_settings = store

    async def __aenter__(self) -> FakeUow:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def cache(store: FakeStore, clock: list[float]) -> WebhookSecrets:
    uows: Any = lambda: FakeUow(store)  # noqa: E731 - a structural stand-in for the unit of work
    return WebhookSecrets(uows, lambda raw: raw.decode(), ttl=5.0, monotonic=lambda: clock[0])


async def test_a_secret_is_read_once_per_ttl_and_again_when_fresh_or_forgotten() -> None:
    tenant, store, clock = uuid4(), FakeStore(), [100.0]
    store.secrets[tenant] = b"old-secret"
    secrets = cache(store, clock)
    assert await secrets.get(tenant) == ("old-secret", False)
    assert await secrets.get(tenant) == ("old-secret", True)
    assert store.reads == 1
    store.secrets[tenant] = b"new-secret"  # rotated in another process
    assert await secrets.get(tenant) == ("old-secret", True)  # within the TTL
    assert await secrets.get(tenant, fresh=True) == ("new-secret", False)
    clock[0] += 5.1
    store.secrets[tenant] = b"newer-secret"
    assert await secrets.get(tenant) == ("newer-secret", False)  # expired
    secrets.forget(tenant)
    assert await secrets.get(tenant) == ("newer-secret", False)
    assert store.reads == 4


async def test_a_tenant_without_a_secret_is_remembered_for_the_ttl_unless_forgotten() -> None:
    tenant, store, clock = uuid4(), FakeStore(), [0.0]
    secrets = cache(store, clock)
    assert await secrets.get(tenant) == (None, False)
    assert await secrets.get(tenant) == (None, True)
    assert store.reads == 1
    store.secrets[tenant] = b"configured"
    secrets.forget(tenant)  # the tenant's PUT in this process
    assert await secrets.get(tenant) == ("configured", False)
    del store.secrets[tenant]
    clock[0] += 5.1
    assert await secrets.get(tenant) == (None, False)
    assert store.reads == 3
