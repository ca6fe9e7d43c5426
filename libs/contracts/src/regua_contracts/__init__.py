"""Régua event contracts: the CloudEvents envelope, every v1 payload, topic names.

Pure pydantic: this package does no I/O and never imports sqlalchemy, aiokafka
or fastapi (import-linter enforces it).
"""

from regua_contracts.envelope import (
    ContractError,
    Envelope,
    new_envelope,
    parse_envelope,
)
from regua_contracts.registry import EVENTS, EventSpec, spec_for, spec_of

__all__ = [
    "EVENTS",
    "ContractError",
    "Envelope",
    "EventSpec",
    "new_envelope",
    "parse_envelope",
    "spec_for",
    "spec_of",
]
