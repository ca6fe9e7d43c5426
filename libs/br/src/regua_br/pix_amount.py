"""Money as integer centavos, converted to and from the decimal strings of the
Pix standard ("110.00") without ever passing through a float."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: The API Pix's ``valor``: digits, a dot, exactly two decimals ("110.00").
#: One decimal or none is accepted too; more than two is refused, never rounded.
_VALOR = re.compile(r"^[0-9]{1,13}(\.[0-9]{1,2})?$")


class InvalidAmountError(ValueError):
    """An amount that is not a non-negative decimal with at most two decimals."""


def format_cents(cents: int) -> str:
    """``12345`` -> ``"123.45"`` (the BR Code field 54 and the API Pix format)."""
    if cents < 0:
        raise InvalidAmountError("an amount cannot be negative")
    reais, centavos = divmod(cents, 100)
    return f"{reais}.{centavos:02d}"


def parse_valor(valor: str) -> int:
    """``"110.00"`` -> ``11000`` centavos, exactly; refuses negatives, more than
    two decimals, exponents, commas and anything that is not plain decimal."""
    if not isinstance(valor, str) or not _VALOR.fullmatch(valor):
        raise InvalidAmountError(f"not a decimal amount with at most 2 decimals: {valor!r}")
    try:
        amount = Decimal(valor)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees it
        raise InvalidAmountError(f"not a decimal amount: {valor!r}") from None
    return int(amount * 100)
