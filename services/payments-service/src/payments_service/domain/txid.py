"""Pix txid: ``[a-zA-Z0-9]{26,35}`` (API Pix ``cob``/``cobv``), unique per receiver."""

from __future__ import annotations

import re
from uuid import UUID

TXID_PATTERN = re.compile(r"^[a-zA-Z0-9]{26,35}$")


def txid_for(charge_id: UUID) -> str:
    """The txid of a charge: its id's 32 hex digits. Random (uuid4) so it leaks
    nothing and never collides in practice; the database's unique (tenant, txid)
    turns the impossible collision into a retry, never a wrong match."""
    return charge_id.hex


def is_valid_txid(value: str) -> bool:
    return bool(TXID_PATTERN.fullmatch(value))
