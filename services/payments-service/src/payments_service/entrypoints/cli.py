"""``payments-service api|worker|all|migrate|rotate-keys``.

``rotate-keys`` re-encrypts every secret stored at rest under the first of
``encryption_keys`` and exits; run it after putting a new key first, then drop
the old key from the list."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from payments_service.adapters.crypto import SecretBox, SecretDecryptionError
from payments_service.main import DEFINITION
from payments_service.service_layer.key_rotation import RotationReport, rotate_secrets
from payments_service.service_layer.unit_of_work import PaymentsUnitOfWork
from payments_service.settings import Settings
from regua_platform.clock import SystemClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.entrypoint import main as run


async def rotate_keys(settings: Settings) -> RotationReport:
    engine = create_engine(settings.database, application_name=f"{DEFINITION.name}-rotate-keys")
    sessions = create_sessionmaker(engine)

    def uow() -> PaymentsUnitOfWork:
        return PaymentsUnitOfWork(
            sessions,
            DEFINITION.messaging,
            source=f"/regua/{DEFINITION.name}",
            clock=SystemClock(),
            topic_namespace=settings.kafka.topic_namespace,
        )

    try:
        return await rotate_secrets(uow, SecretBox(settings.encryption_keys))
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["rotate-keys"]:
        try:
            report = asyncio.run(rotate_keys(Settings()))
        except SecretDecryptionError as exc:
            print(f"payments-service: {exc}; keep the old key in encryption_keys", file=sys.stderr)
            sys.exit(1)
        print(f"payments-service: {report.rotated} of {report.checked} stored secrets re-encrypted")
        sys.exit(0)
    sys.exit(run(DEFINITION, Settings, args))
