"""A secret stored encrypted at rest, as key rotation sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

#: Kinds in the order rotation walks them.
SecretKind = Literal["bank", "psp", "webhook"]


@dataclass(frozen=True, slots=True)
class StoredSecret:
    kind: SecretKind
    #: The tenant (webhook, psp) or the bank account (bank).
    key: UUID
    token: bytes
