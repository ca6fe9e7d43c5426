"""The five services' definitions, and settings to build them with offline
(no environment, no infrastructure): for what reads what a service declares
(its handlers, its routes) without running it: tests, and `regua schemas`
(the AsyncAPI document's receivers)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet

from regua_platform.app import ServiceDefinition
from regua_platform.settings import AuthSettings, ServiceSettings


def definitions() -> tuple[ServiceDefinition[Any, Any], ...]:
    from invoice_service.main import DEFINITION as invoice
    from negotiation_service.main import DEFINITION as negotiation
    from notifier_service.main import DEFINITION as notifier
    from payments_service.main import DEFINITION as payments
    from scheduler_service.main import DEFINITION as scheduler

    return (invoice, scheduler, notifier, negotiation, payments)


def offline_settings(definition: ServiceDefinition[Any, Any]) -> ServiceSettings:
    """Throw-away keys for the settings a service refuses to start without."""
    secrets: dict[str, object] = {
        "portal_keys": ["k" * 44],
        "encryption_keys": [Fernet.generate_key().decode()],
    }
    fields = definition.settings_class.model_fields
    keys = {name: value for name, value in secrets.items() if name in fields}
    settings: ServiceSettings = definition.settings_class(auth=AuthSettings(jwt_secret="x" * 40), **keys)
    return settings


def receivers() -> dict[str, set[str]]:
    """Each service's handled event types, from its handler table."""
    return {d.name: {spec.type for spec in d.subscriptions(offline_settings(d)).specs} for d in definitions()}
