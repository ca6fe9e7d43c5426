"""Boleto de cobrança (FEBRABAN): the 44-digit código de barras and the 47-digit
linha digitável, their mod 10 / mod 11 check digits and the due-date factor.

Barcode: bank(3) currency 9(1) general DV(1) factor(4) amount in centavos(10)
free field(25). Linha digitável: field 1 = bank+currency+free[0:5]+DV10,
field 2 = free[5:15]+DV10, field 3 = free[15:25]+DV10, field 4 = general DV,
field 5 = factor+amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

BASE_DATE = date(1997, 10, 7)
#: On 2025-02-22 the factor, having reached 9999 the day before, restarted at 1000.
RESET_DATE = date(2025, 2, 22)
MIN_FACTOR = 1000
FACTOR_CYCLE = 9000
#: Decoding a factor: the date is taken from [reference - 3000 days, reference + 6000 days),
#: exactly one cycle, so every factor names one date (boletos seldom live 8 years ahead).
WINDOW_PAST_DAYS = 3000
MAX_AMOUNT_CENTS = 99_999_999_99
CURRENCY_REAL = "9"


class BoletoError(ValueError):
    """A boleto that cannot be built or read; says why."""


@dataclass(frozen=True, slots=True)
class Boleto:
    barcode: str
    digitable_line: str
    bank_code: str
    factor: int
    amount_cents: int
    free_field: str


def mod10(digits: str) -> int:
    """FEBRABAN mod 10: weights 2,1,2,1... from the right, digits of each product summed."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        product = int(char) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def mod11(digits: str) -> int:
    """General DV of the barcode: weights 2..9 repeating from the right;
    11 - (sum mod 11), with 0, 10 and 11 becoming 1."""
    total = sum(int(char) * (2 + i % 8) for i, char in enumerate(reversed(digits)))
    dv = 11 - total % 11
    return 1 if dv in (0, 10, 11) else dv


def due_date_factor(due: date) -> int:
    """Days since 1997-10-07, cycling through 1000..9999 (the 2025-02-22 reset)."""
    days = (due - BASE_DATE).days
    if days < MIN_FACTOR:
        raise BoletoError("due dates before 2000-07-03 have no factor")
    return MIN_FACTOR + (days - MIN_FACTOR) % FACTOR_CYCLE


def date_from_factor(factor: int, reference: date) -> date:
    """The due date ``factor`` names, chosen within the window around ``reference``."""
    if not MIN_FACTOR <= factor <= 9999:
        raise BoletoError(f"factor {factor} is outside 1000..9999")
    start = reference - timedelta(days=WINDOW_PAST_DAYS)
    first = BASE_DATE + timedelta(days=factor)
    cycles = -((first - start).days // FACTOR_CYCLE)
    return first + timedelta(days=cycles * FACTOR_CYCLE)


def _digits(value: str, length: int, what: str) -> str:
    if len(value) != length or not value.isdigit() or not value.isascii():
        raise BoletoError(f"{what} must be {length} digits")
    return value


def build_boleto(*, bank_code: str, amount_cents: int, due: date, free_field: str) -> Boleto:
    """The barcode and linha digitável of a boleto."""
    _digits(bank_code, 3, "the bank code")
    _digits(free_field, 25, "the free field")
    if not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise BoletoError("the amount must be positive and fit 10 digits of centavos")
    factor = due_date_factor(due)
    tail = f"{factor:04d}{amount_cents:010d}{free_field}"
    head = bank_code + CURRENCY_REAL
    barcode = f"{head}{mod11(head + tail)}{tail}"
    return Boleto(barcode, digitable_line_of(barcode), bank_code, factor, amount_cents, free_field)


def digitable_line_of(barcode: str) -> str:
    """The 47-digit linha digitável of a 44-digit barcode."""
    _digits(barcode, 44, "a barcode")
    free = barcode[19:44]
    field1 = barcode[0:4] + free[0:5]
    field2 = free[5:15]
    field3 = free[15:25]
    return f"{field1}{mod10(field1)}{field2}{mod10(field2)}{field3}{mod10(field3)}{barcode[4]}{barcode[5:19]}"


def parse_barcode(barcode: str) -> Boleto:
    """Validate a barcode's general DV; :class:`BoletoError` otherwise."""
    _digits(barcode, 44, "a barcode")
    if mod11(barcode[:4] + barcode[5:]) != int(barcode[4]):
        raise BoletoError("the barcode's general check digit is wrong")
    return Boleto(
        barcode=barcode,
        digitable_line=digitable_line_of(barcode),
        bank_code=barcode[0:3],
        factor=int(barcode[5:9]),
        amount_cents=int(barcode[9:19]),
        free_field=barcode[19:44],
    )


def parse_digitable_line(line: str) -> Boleto:
    """Validate a linha digitável (dots and spaces allowed) and rebuild its barcode."""
    digits = "".join(c for c in line if c not in ". ")
    _digits(digits, 47, "a linha digitável")
    for number, (start, end) in enumerate(((0, 9), (10, 20), (21, 31)), start=1):
        if mod10(digits[start:end]) != int(digits[end]):
            raise BoletoError(f"check digit of field {number} is wrong")
    barcode = digits[0:4] + digits[32] + digits[33:47] + digits[4:9] + digits[10:20] + digits[21:31]
    return parse_barcode(barcode)


def free_field_for(nosso_numero: int, *, prefix: str = "") -> str:
    """A 25-digit free field: ``prefix`` (the bank agreement, when set) then the
    tenant's sequential nosso número, zero-padded."""
    if nosso_numero < 0:
        raise BoletoError("nosso número cannot be negative")
    number = str(nosso_numero)
    if not prefix.isdigit() and prefix:
        raise BoletoError("the free-field prefix must be digits")
    width = 25 - len(prefix)
    if len(number) > width:
        raise BoletoError("nosso número does not fit the free field")
    return prefix + number.zfill(width)
