from __future__ import annotations

import pixcanvas
import pytest

from regua_br.brcode import (
    BrCodeError,
    DynamicBrCode,
    ascii_field,
    build_brcode,
    build_dynamic_brcode,
    crc16,
    parse_brcode,
    parse_dynamic_brcode,
)

TXID = "0123456789abcdef0123456789abcdef"


def test_crc_check_value() -> None:
    assert crc16("123456789") == "29B1"


def test_a_built_code_parses_back_to_its_fields() -> None:
    code = build_brcode(
        pix_key="7d9f0335-8dcc-4054-9bf9-0dbd61d36906",
        merchant_name="Régua Demo Ltda",
        merchant_city="São Paulo",
        amount_cents=12345,
        txid=TXID,
    )
    parsed = parse_brcode(code)
    assert parsed.pix_key == "7d9f0335-8dcc-4054-9bf9-0dbd61d36906"
    assert parsed.merchant_name == "REGUA DEMO LTDA"
    assert parsed.merchant_city == "SAO PAULO"
    assert parsed.amount_cents == 12345
    assert parsed.txid == TXID
    assert parsed.initiation_method == "12"
    assert "5406123.45" in code
    assert code.startswith("000201010212")
    assert code[-8:-4] == "6304" and code[-4:] == crc16(code[:-4])


def test_known_layout_field_by_field() -> None:
    code = build_brcode(
        pix_key="a@b.co",
        merchant_name="Loja",
        merchant_city="Rio",
        amount_cents=100,
        txid="ABC",
        single_use=None,
    )
    body = "00020126280014br.gov.bcb.pix0106a@b.co52040000530398654041.005802BR5904LOJA6003RIO62070503ABC6304"
    assert code == body + crc16(body)


@pytest.mark.parametrize(
    ("name", "city", "amount", "txid"),
    [
        ("Fulano de Tal", "Belo Horizonte", "10.00", "PEDIDO123"),
        ("Açaí & Cia Comércio de Alimentos", "São José dos Campos", "1234.56", None),
        ("X", "Y", None, "A1"),
    ],
)
def test_pixcanvas_codes_are_read_by_our_parser_and_ours_match_its(
    name: str, city: str, amount: str | None, txid: str | None
) -> None:
    theirs = pixcanvas.create_static_pix(
        pix_key="pagamentos@exemplo.com.br",
        merchant_name=name,
        merchant_city=city,
        amount=amount,
        txid=txid,
    )
    parsed = parse_brcode(theirs.br_code)
    assert parsed.merchant_name == theirs.merchant_name
    assert parsed.merchant_city == theirs.merchant_city
    assert parsed.txid == theirs.txid
    assert parsed.initiation_method == "11"
    cents = None if amount is None else int(amount.replace(".", ""))
    assert parsed.amount_cents == cents
    ours = build_brcode(
        pix_key="pagamentos@exemplo.com.br",
        merchant_name=name,
        merchant_city=city,
        amount_cents=cents,
        txid=theirs.txid,
        single_use=False,
    )
    assert ours == theirs.br_code
    assert pixcanvas.validate_pix(ours).is_valid


def test_name_and_city_limits_are_in_bytes_after_stripping_accents() -> None:
    assert ascii_field("Ação Comércio e Indústria Ltda ME", 25) == "ACAO COMERCIO E INDUSTRIA"
    assert ascii_field("São José do Rio Preto", 15) == "SAO JOSE DO RIO"
    code = build_brcode(
        pix_key="k@x.io", merchant_name="É" * 40, merchant_city="Ñ" * 40, amount_cents=1, txid=TXID
    )
    parsed = parse_brcode(code)
    assert parsed.merchant_name == "E" * 25 and parsed.merchant_city == "N" * 15
    assert code.isascii()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # CRC
        lambda c: c.replace("5303986", "5303840"),  # currency, CRC recomputed below
        lambda c: c[:20],
        lambda c: "",
    ],
)
def test_broken_codes_are_refused(mutate: object) -> None:
    code = build_brcode(pix_key="k@x.io", merchant_name="A", merchant_city="B", amount_cents=500, txid=TXID)
    broken = mutate(code)  # type: ignore[operator]
    if "5303840" in broken:
        broken = broken[:-4] + crc16(broken[:-4])
    with pytest.raises(BrCodeError):
        parse_brcode(broken)


def test_builder_refuses_bad_input() -> None:
    with pytest.raises(BrCodeError):
        build_brcode(pix_key="k", merchant_name="A", merchant_city="B", amount_cents=0, txid=TXID)
    with pytest.raises(BrCodeError):
        build_brcode(pix_key="k", merchant_name="A", merchant_city="B", amount_cents=1, txid="has-dash")
    with pytest.raises(BrCodeError):
        build_brcode(pix_key="k", merchant_name="🙂 ", merchant_city="B", amount_cents=1, txid=TXID)


LOCATION = "pix.example.com/qr/v2/cobv/9d36b84fc70b478fb95c12729b90ca25"


def test_dynamic_code_layout_field_by_field() -> None:
    code = build_dynamic_brcode(location=LOCATION, merchant_name="Régua Demo", merchant_city="São Paulo")
    # 26 = 00 14 br.gov.bcb.pix (18 chars) + 25 59 <location> (63 chars) = 81 chars.
    body = (
        "000201"
        "010212"
        "2681" + "0014br.gov.bcb.pix" + "2559" + LOCATION + "52040000"
        "5303986"
        "5802BR"
        "5910REGUA DEMO"
        "6009SAO PAULO"
        "62070503***"
        "6304"
    )
    assert len(LOCATION) == 59
    assert code == body + crc16(body)
    assert "5406" not in code


def test_dynamic_code_parses_back_and_is_not_a_static_code() -> None:
    code = build_dynamic_brcode(location=LOCATION, merchant_name="Loja", merchant_city="Rio", single_use=None)
    parsed = parse_dynamic_brcode(code)
    assert parsed == DynamicBrCode(
        location=LOCATION, merchant_name="LOJA", merchant_city="RIO", initiation_method=None
    )
    with pytest.raises(BrCodeError, match="dynamic"):
        parse_brcode(code)
    static = build_brcode(
        pix_key="a@b.co", merchant_name="Loja", merchant_city="Rio", amount_cents=100, txid="A1"
    )
    with pytest.raises(BrCodeError, match="static"):
        parse_dynamic_brcode(static)


@pytest.mark.parametrize(
    "location",
    [
        "https://pix.example.com/qr/v2/abc",
        "pix.example.com/qr/v2/" + "a" * 60,
        "pix example.com/qr",
        "",
    ],
)
def test_dynamic_code_refuses_a_bad_location(location: str) -> None:
    with pytest.raises(BrCodeError, match="location"):
        build_dynamic_brcode(location=location, merchant_name="Loja", merchant_city="Rio")


def test_dynamic_code_with_an_amount_or_a_txid_is_refused() -> None:
    merchant = "0014br.gov.bcb.pix" + "2520pix.example.com/qr/1"
    base = "000201" + f"26{len(merchant):02d}{merchant}" + "520400005303986"
    tail = "5802BR5904LOJA6003RIO"
    with_amount = base + "54041.00" + tail + "62070503***6304"
    with pytest.raises(BrCodeError, match="amount"):
        parse_dynamic_brcode(with_amount + crc16(with_amount))
    with_txid = base + tail + "62070503ABC6304"
    with pytest.raises(BrCodeError, match=r"\*\*\*"):
        parse_dynamic_brcode(with_txid + crc16(with_txid))
    fine = base + tail + "62070503***6304"
    assert parse_dynamic_brcode(fine + crc16(fine)).location == "pix.example.com/qr/1"
