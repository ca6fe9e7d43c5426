"""How debtors read numbers: ``R$ 1.234,56``, ``dd/mm/aaaa``, ``11.222.333/0001-81``."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency

LOCALE = "pt_BR"


def format_brl(cents: int) -> str:
    """``123456`` -> ``R$ 1.234,56``; ``-500`` -> ``-R$ 5,00``. An ordinary
    space, not babel's no-break space: some SMS gateways break on it."""
    return format_currency(Decimal(cents) / 100, "BRL", locale=LOCALE).replace("\xa0", " ")


def format_date(value: date) -> str:
    """``2026-12-10`` -> ``10/12/2026``."""
    return _babel_date(value, format="dd/MM/yyyy", locale=LOCALE)


def format_document(document: str) -> str:
    """A CNPJ (14 characters, numeric or alphanumeric) or CPF (11 digits)
    with its usual punctuation; anything else as is."""
    d = document.strip()
    if len(d) == 14:
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"
    if len(d) == 11 and d.isdigit():
        return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"
    return d


def format_digitable_line(line: str) -> str:
    """The 47 digits grouped as printed on a boleto:
    ``AAAAA.AAAAA BBBBB.BBBBBB CCCCC.CCCCCC D EEEEEEEEEEEEEE``."""
    if len(line) != 47 or not line.isdigit():
        return line
    return (
        f"{line[0:5]}.{line[5:10]} {line[10:15]}.{line[15:21]} "
        f"{line[21:26]}.{line[26:32]} {line[32]} {line[33:]}"
    )


def first_name(full_name: str | None) -> str:
    """The first word of a name ("" when there is none): messages greet by first name."""
    parts = (full_name or "").split()
    return parts[0] if parts else ""


def ascii_fold(text: str) -> str:
    """Drop accents so an SMS stays in the GSM-7 alphabet (160 characters a
    segment; one accented letter would force UCS-2 and 70)."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
