import pytest

from invoice_service.domain.contacts import (
    InvalidContact,
    document_kind,
    normalise_document,
    normalise_email,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("529.982.247-25", "52998224725"),
        ("52998224725", "52998224725"),
        (" 529 982 247 25 ", "52998224725"),
        ("11.222.333/0001-81", "11222333000181"),
        ("12.abc.345/01de-35", "12ABC34501DE35"),  # alphanumeric CNPJ
    ],
)
def test_valid_documents_are_normalised(raw: str, expected: str) -> None:
    assert normalise_document(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["529.982.247-26", "11111111111", "11.222.333/0001-82", "123", "52998224725X", "12.ABC.345/01DE-3A", ""],
)
def test_invalid_documents_are_refused(raw: str) -> None:
    with pytest.raises(InvalidContact) as info:
        normalise_document(raw)
    assert raw not in str(info.value) or raw == ""


def test_document_kind() -> None:
    assert document_kind("52998224725") == "cpf"
    assert document_kind("11222333000181") == "cnpj"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(11) 91234-5678", "+5511912345678"),
        ("11912345678", "+5511912345678"),
        ("+55 21 3456-7890", "+552134567890"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_phones_become_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "abc", "(11) 1234", "+55 11 0000-0000"])
def test_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidContact, match="whatsapp"):
        normalise_phone(raw, field="whatsapp")


def test_email() -> None:
    assert normalise_email(" Ana.Silva@Example.COM.br ") == "Ana.Silva@example.com.br"
    for bad in ("ana", "ana@", "@x.com", "ana@x", "a b@x.com", "a@b@c.com"):
        with pytest.raises(InvalidContact):
            normalise_email(bad)
