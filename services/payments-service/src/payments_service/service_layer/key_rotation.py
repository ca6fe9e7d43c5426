"""Re-encrypt every secret stored at rest under the first encryption key, so
an older key can then be dropped from ``encryption_keys``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from payments_service.adapters.crypto import SecretBox
from payments_service.domain.secrets import StoredSecret
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork

log = logging.getLogger("payments.keys")


@dataclass(frozen=True, slots=True)
class RotationReport:
    checked: int
    rotated: int


async def rotate_secrets(
    uows: Callable[[], PaymentsUnitOfWork], box: SecretBox, *, batch_size: int = 200
) -> RotationReport:
    """Walk every stored secret in batches (one transaction each); re-encrypt
    those not under the first key. Raises
    :class:`~payments_service.adapters.crypto.SecretDecryptionError` when a
    secret is under no configured key (nothing of that batch is written)."""
    after: StoredSecret | None = None
    checked = rotated = 0
    while True:
        async with uows() as uow:
            batch = await uow.stored_secrets.batch(after, batch_size)
            for secret in batch:
                if not box.is_current(secret.token):
                    await uow.stored_secrets.replace(secret, box.rotate(secret.token))
                    rotated += 1
            await uow.commit()
        checked += len(batch)
        if len(batch) < batch_size:
            break
        after = batch[-1]
    log.info("payments.keys.rotated", extra={"checked": checked, "rotated": rotated})
    return RotationReport(checked, rotated)
