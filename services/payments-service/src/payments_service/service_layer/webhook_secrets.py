"""The tenants' webhook secrets, kept decrypted in memory for a few seconds so
a webhook costs no settings read.

Correctness first: ``PUT /v1/settings/pix`` forgets the tenant's entry in the
process that served it, and a signature that does not match a secret read from
the cache is checked once more against a fresh read, so a new secret is
accepted at once everywhere. What the TTL bounds is how long *another* process
of the service may still accept the replaced secret: at most ``ttl`` seconds
after the rotation committed. A tenant without a secret is remembered as such
for ``ttl`` too (a loop of requests naming unknown tenants costs no query each);
the tenant's own ``PUT`` forgets it at once in the process that served it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from uuid import UUID

from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork


class WebhookSecrets:
    def __init__(
        self,
        uows: Callable[[], PaymentsUnitOfWork],
        decrypt: Callable[[bytes], str],
        *,
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uows = uows
        self._decrypt = decrypt
        self._ttl = ttl
        self._monotonic = monotonic
        self._cached: dict[UUID, tuple[str | None, float]] = {}

    async def get(self, tenant_id: UUID, *, fresh: bool = False) -> tuple[str | None, bool]:
        """``(secret, from_cache)``; the secret is None when the tenant has none.
        ``fresh`` skips the cache. Raises whatever ``decrypt`` raises."""
        now = self._monotonic()
        if not fresh and (hit := self._cached.get(tenant_id)) is not None and hit[1] > now:
            return hit[0], True
        # Its own short session: the request's unit of work stays untouched.
        async with self._uows() as uow:
            pix = await uow.pix_settings.get(tenant_id)
        secret = None if pix is None else self._decrypt(pix.webhook_secret_encrypted)
        if len(self._cached) > 10_000:  # tenants come and go: drop what has expired
            self._cached = {t: e for t, e in self._cached.items() if e[1] > now}
            if len(self._cached) > 10_000:  # a flood of unknown tenants: remember none of them
                self._cached = {t: e for t, e in self._cached.items() if e[0] is not None}
        self._cached[tenant_id] = (secret, now + self._ttl)
        return secret, False

    def forget(self, tenant_id: UUID) -> None:
        """The tenant's secret changed: read it again next time."""
        self._cached.pop(tenant_id, None)
