"""CPF and CNPJ: normalised, with their check digits verified.

The alphanumeric CNPJ (Receita Federal, IN RFB 2.229/2024, issued from July
2026) has 12 letters or digits and two numeric check digits; validate-docbr
computes its digits (letters count as their ASCII code minus 48).
"""

from __future__ import annotations

import re
from typing import Literal

from validate_docbr import CNPJ, CPF

_PUNCTUATION = re.compile(r"[\s./-]")
_CPF_SHAPE = re.compile(r"^[0-9]{11}$")
_CNPJ_SHAPE = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")


class InvalidDocument(ValueError):
    """Not a valid CPF or CNPJ. The message never echoes the value (personal data)."""


def normalise_document(raw: str) -> str:
    """A CPF (11 digits) or CNPJ (14 characters, numeric or alphanumeric) with
    valid check digits, punctuation removed and letters upper-cased."""
    value = _PUNCTUATION.sub("", raw).upper()
    if _CPF_SHAPE.match(value):
        if CPF().validate(value):
            return value
        raise InvalidDocument("document is not a valid CPF (check digits)")
    if _CNPJ_SHAPE.match(value):
        if CNPJ().validate(value):
            return value
        raise InvalidDocument("document is not a valid CNPJ (check digits)")
    raise InvalidDocument("document must be a CPF (11 digits) or a CNPJ (14 characters)")


def is_valid_cnpj(raw: str) -> bool:
    """A CNPJ (numeric or alphanumeric, punctuation allowed) with valid check digits."""
    try:
        return len(normalise_document(raw)) == 14
    except InvalidDocument:
        return False


def document_kind(document: str) -> Literal["cpf", "cnpj"]:
    """``cpf`` or ``cnpj`` for a normalised document."""
    return "cpf" if len(document) == 11 else "cnpj"
