"""Debtor identity and contacts: CPF/CNPJ, phones (E.164), e-mail.

Each function returns the normalised value or raises :class:`InvalidContact`
with a message safe to show (it never echoes the value: personal data).
"""

from __future__ import annotations

import re

import phonenumbers

from regua_br import documents

#: Deliberately simple: one @, something on both sides, a dot in the domain, no spaces.
_EMAIL_SHAPE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class InvalidContact(ValueError):
    """A document, phone or e-mail that does not validate."""


def normalise_document(raw: str) -> str:
    """A CPF (11 digits) or CNPJ (14 characters, numeric or alphanumeric) with
    valid check digits, punctuation removed and letters upper-cased."""
    try:
        return documents.normalise_document(raw)
    except documents.InvalidDocument as exc:
        raise InvalidContact(str(exc)) from None


document_kind = documents.document_kind


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
