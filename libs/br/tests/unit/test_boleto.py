from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic_brasil.boleto import BoletoBancario
from pydantic_brasil.exceptions import BoletoInvalidError

from regua_br.boleto import (
    BoletoError,
    build_boleto,
    date_from_factor,
    digitable_line_of,
    due_date_factor,
    free_field_for,
    mod10,
    mod11,
    parse_barcode,
    parse_digitable_line,
)

SAMPLE_LINE = "00190500954014481606906809350314337370000000100"
SAMPLE_BARCODE = "00193373700000001000500940144816060680935031"


def test_checked_sample_from_domain_md() -> None:
    boleto = parse_digitable_line(SAMPLE_LINE)
    assert boleto.barcode == SAMPLE_BARCODE
    assert boleto.factor == 3737
    assert boleto.amount_cents == 100
    assert boleto.bank_code == "001"
    assert digitable_line_of(SAMPLE_BARCODE) == SAMPLE_LINE
    rebuilt = build_boleto(
        bank_code="001",
        amount_cents=100,
        due=date(1997, 10, 7) + timedelta(days=3737),
        free_field=boleto.free_field,
    )
    assert rebuilt.barcode == SAMPLE_BARCODE and rebuilt.digitable_line == SAMPLE_LINE


def test_check_digit_algorithms() -> None:
    assert mod10("001905009") == 5
    assert mod10("4014481606") == 9
    assert mod10("0680935031") == 4
    assert mod11(SAMPLE_BARCODE[:4] + SAMPLE_BARCODE[5:]) == 3


def test_due_date_factor_and_the_2025_reset() -> None:
    assert due_date_factor(date(2000, 7, 3)) == 1000
    assert due_date_factor(date(2025, 2, 21)) == 9999
    assert due_date_factor(date(2025, 2, 22)) == 1000
    assert due_date_factor(date(2025, 2, 23)) == 1001
    with pytest.raises(BoletoError):
        due_date_factor(date(2000, 7, 2))


def test_a_factor_names_the_date_nearest_the_reference() -> None:
    assert date_from_factor(1000, date(2026, 11, 23)) == date(2025, 2, 22)
    assert date_from_factor(1000, date(2001, 1, 1)) == date(2000, 7, 3)
    assert date_from_factor(9999, date(2025, 1, 1)) == date(2025, 2, 21)
    assert date_from_factor(3737, date(2007, 1, 1)) == date(1997, 10, 7) + timedelta(days=3737)
    for offset in range(-2900, 5900, 97):
        due = date(2026, 11, 23) + timedelta(days=offset)
        assert date_from_factor(due_date_factor(due), date(2026, 11, 23)) == due


@pytest.mark.parametrize(
    ("bank", "cents", "due", "number"),
    [
        ("001", 1, date(2026, 12, 1), 1),
        ("237", 123456, date(2025, 2, 22), 42),
        ("341", 99_999_999_99, date(2030, 6, 30), 9_999_999),
        ("104", 15000, date(2025, 2, 21), 123),
    ],
)
def test_generated_boletos_validate_with_pydantic_brasil(
    bank: str, cents: int, due: date, number: int
) -> None:
    boleto = build_boleto(bank_code=bank, amount_cents=cents, due=due, free_field=free_field_for(number))
    assert len(boleto.barcode) == 44 and len(boleto.digitable_line) == 47
    theirs = BoletoBancario(boleto.digitable_line)
    assert theirs.codigo_barras == boleto.barcode
    assert theirs.codigo_banco == bank
    assert theirs.fator_vencimento == due_date_factor(due)
    assert "".join(c for c in theirs.linha_digitavel if c.isdigit()) == boleto.digitable_line
    assert BoletoBancario(boleto.barcode).codigo_barras == boleto.barcode
    assert parse_barcode(boleto.barcode) == boleto
    assert parse_digitable_line(theirs.linha_digitavel) == boleto


def test_a_wrong_digit_is_caught_by_us_and_by_pydantic_brasil() -> None:
    line = build_boleto(
        bank_code="001", amount_cents=5000, due=date(2026, 12, 1), free_field=free_field_for(7)
    ).digitable_line
    broken = line[:12] + str((int(line[12]) + 1) % 10) + line[13:]
    with pytest.raises(BoletoError):
        parse_digitable_line(broken)
    with pytest.raises(BoletoInvalidError):
        BoletoBancario(broken)


def test_free_field() -> None:
    assert free_field_for(42) == "0" * 23 + "42"
    assert free_field_for(42, prefix="1234567") == "1234567" + "0" * 16 + "42"
    with pytest.raises(BoletoError):
        free_field_for(10**25)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(BoletoError):
        build_boleto(bank_code="01", amount_cents=1, due=date(2026, 1, 1), free_field="0" * 25)
    with pytest.raises(BoletoError):
        build_boleto(bank_code="001", amount_cents=0, due=date(2026, 1, 1), free_field="0" * 25)
    with pytest.raises(BoletoError):
        parse_barcode(SAMPLE_BARCODE[:4] + "4" + SAMPLE_BARCODE[5:])
