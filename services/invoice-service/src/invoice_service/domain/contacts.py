"""Debtor identity and contacts: CPF/CNPJ, phones (E.164), e-mail.

Each function returns the normalised value or raises :class:`InvalidContact`
with a message safe to show (it never echoes the value: personal data).
"""

from __future__ import annotations

import re

import phonenumbers
from validate_docbr import CNPJ, CPF

_DOC_PUNCTUATION = re.compile(r"[\s./-]")
_CPF_SHAPE = re.compile(r"^[0-9]{11}$")
#: The alphanumeric CNPJ (from July 2026): 12 letters/digits, 2 numeric check digits.
_CNPJ_SHAPE = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
#: Deliberately simple: one @, something on both sides, a dot in the domain, no spaces.
_EMAIL_SHAPE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class InvalidContact(ValueError):
    """A document, phone or e-mail that does not validate."""


def normalise_document(raw: str) -> str:
    """A CPF (11 digits) or CNPJ (14 characters, numeric or alphanumeric) with
    valid check digits, punctuation removed and letters upper-cased."""
    value = _DOC_PUNCTUATION.sub("", raw).upper()
    if _CPF_SHAPE.match(value):
        if CPF().validate(value):
            return value
        raise InvalidContact("document is not a valid CPF (check digits)")
    if _CNPJ_SHAPE.match(value):
        if CNPJ().validate(value):
            return value
        raise InvalidContact("document is not a valid CNPJ (check digits)")
    raise InvalidContact("document must be a CPF (11 digits) or a CNPJ (14 characters)")


def document_kind(document: str) -> str:
    """``cpf`` or ``cnpj`` for a normalised document."""
    return "cpf" if len(document) == 11 else "cnpj"


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """A phone number in E.164; numbers without a country code are read as Brazilian."""
    try:
        number = phonenumbers.parse(raw, "BR")
    except phonenumbers.NumberParseException:
        raise InvalidContact(f"{field} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact(f"{field} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """A trimmed e-mail address with its domain lower-cased."""
    value = raw.strip()
    if len(value) > 254 or not _EMAIL_SHAPE.match(value):
        raise InvalidContact("email is not a valid e-mail address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"
