"""Pix BR Code "copia e cola": the EMV QR Code payload of the Banco Central.

Every field is TLV: a 2-digit id, a 2-digit length and the value. The code ends
with field 63, a CRC16-CCITT-FALSE (poly 0x1021, init 0xFFFF) over everything
before its value, the literal ``6304`` included, as 4 uppercase hex digits.

Two kinds (Manual de Padrões para Iniciação do Pix):

- **static**: field 26-01 carries the Pix key, 54 an optional amount and 62-05
  a txid of at most 25 letters and digits (``***`` when none); it never expires.
- **dynamic**: field 26-25 carries the PSP's payload location (a URL without
  its ``https://`` scheme), 62-05 is ``***`` and there is no 54: the payer's app
  fetches the charge from the location, with its value on the day of payment
  for a ``cobv``. :func:`build_dynamic_brcode` / :func:`parse_dynamic_brcode`.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from dataclasses import dataclass

from regua_br.pix_amount import InvalidAmountError, format_cents, parse_valor

GUI = "br.gov.bcb.pix"
MAX_NAME_BYTES = 25
MAX_CITY_BYTES = 15
#: The key field (26-01) may hold at most 77 characters (an e-mail key).
MAX_KEY_LENGTH = 77
#: Field 26-25 (the payload location) holds at most 77 characters.
MAX_LOCATION_LENGTH = 77
CRC_PREFIX = "6304"
_TXID = re.compile(r"^[A-Za-z0-9]{1,35}$|^\*\*\*$")
#: A location is a host and path without a scheme, printable ASCII, no spaces.
_LOCATION = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?$")


class BrCodeError(ValueError):
    """A BR Code that is malformed or whose fields are not valid; says why."""


@dataclass(frozen=True, slots=True)
class BrCode:
    """The fields of a static Pix BR Code we generate and read back."""

    pix_key: str
    merchant_name: str
    merchant_city: str
    amount_cents: int | None
    txid: str
    #: Field 01: ``"12"`` the code should be paid once, ``"11"`` reusable, None absent.
    initiation_method: str | None


@dataclass(frozen=True, slots=True)
class DynamicBrCode:
    """The fields of a dynamic Pix BR Code: where the payer's app fetches the charge."""

    #: The payload location, without scheme (``psp.example.com/qr/v2/cobv/9d36b8...``).
    location: str
    merchant_name: str
    merchant_city: str
    initiation_method: str | None


def crc16(data: str) -> str:
    """CRC16-CCITT-FALSE of ``data`` as 4 uppercase hex digits (``crc16("123456789") == "29B1"``)."""
    return f"{binascii.crc_hqx(data.encode(), 0xFFFF):04X}"


def ascii_field(value: str, max_bytes: int) -> str:
    """Uppercase printable ASCII with accents stripped ("São Paulo" -> "SAO PAULO"),
    cut to ``max_bytes`` (the standard counts bytes, so it must be ASCII first)."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    printable = "".join(c for c in plain if " " <= c <= "~")
    cleaned = " ".join(printable.upper().split())[:max_bytes].rstrip()
    if not cleaned:
        raise BrCodeError("merchant name and city need at least one printable ASCII character")
    return cleaned


def _tlv(field_id: str, value: str) -> str:
    length = len(value.encode())
    if length > 99:
        raise BrCodeError(f"field {field_id} is {length} bytes; at most 99 fit")
    return f"{field_id}{length:02d}{value}"


def build_brcode(
    *,
    pix_key: str,
    merchant_name: str,
    merchant_city: str,
    amount_cents: int | None,
    txid: str,
    single_use: bool | None = True,
) -> str:
    """The "copia e cola" of a static Pix charge. ``single_use`` sets field 01
    (``True`` -> ``12``, ``False`` -> ``11``, ``None`` leaves it out)."""
    key = pix_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise BrCodeError(f"the Pix key must have 1 to {MAX_KEY_LENGTH} characters")
    if not _TXID.fullmatch(txid):
        raise BrCodeError("the txid must be 1-35 letters and digits, or ***")
    fields = [_tlv("00", "01")]
    if single_use is not None:
        fields.append(_tlv("01", "12" if single_use else "11"))
    fields += [
        _tlv("26", _tlv("00", GUI) + _tlv("01", key)),
        _tlv("52", "0000"),
        _tlv("53", "986"),
    ]
    if amount_cents is not None:
        if amount_cents <= 0:
            raise BrCodeError("the amount must be positive")
        fields.append(_tlv("54", format_cents(amount_cents)))
    fields += [
        _tlv("58", "BR"),
        _tlv("59", ascii_field(merchant_name, MAX_NAME_BYTES)),
        _tlv("60", ascii_field(merchant_city, MAX_CITY_BYTES)),
        _tlv("62", _tlv("05", txid)),
    ]
    payload = "".join(fields) + CRC_PREFIX
    return payload + crc16(payload)


def build_dynamic_brcode(
    *,
    location: str,
    merchant_name: str,
    merchant_city: str,
    single_use: bool | None = True,
) -> str:
    """The "copia e cola" of a dynamic Pix charge (a ``cob`` or ``cobv`` at a PSP):
    26-25 the ``location`` without scheme, no amount, ``***`` in 62-05.
    ``single_use`` sets field 01 as in :func:`build_brcode` (a cobv is paid once: ``True``)."""
    if location.lower().startswith(("https://", "http://")):
        raise BrCodeError("the location goes without its scheme (https:// is implied)")
    if len(location) > MAX_LOCATION_LENGTH or not _LOCATION.fullmatch(location):
        raise BrCodeError(
            f"the location must be a URL without scheme of at most {MAX_LOCATION_LENGTH} characters"
        )
    fields = [_tlv("00", "01")]
    if single_use is not None:
        fields.append(_tlv("01", "12" if single_use else "11"))
    fields += [
        _tlv("26", _tlv("00", GUI) + _tlv("25", location)),
        _tlv("52", "0000"),
        _tlv("53", "986"),
        _tlv("58", "BR"),
        _tlv("59", ascii_field(merchant_name, MAX_NAME_BYTES)),
        _tlv("60", ascii_field(merchant_city, MAX_CITY_BYTES)),
        _tlv("62", _tlv("05", "***")),
    ]
    payload = "".join(fields) + CRC_PREFIX
    return payload + crc16(payload)


def _decode(data: str, where: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(data):
        head = data[i : i + 4]
        if len(head) < 4 or not head.isdigit():
            raise BrCodeError(f"truncated field header at position {i} of {where}")
        length = int(head[2:])
        value = data[i + 4 : i + 4 + length]
        if len(value) != length:
            raise BrCodeError(f"field {head[:2]} of {where} is shorter than its length {length}")
        fields.append((head[:2], value))
        i += 4 + length
    return fields


def _unique(fields: list[tuple[str, str]], where: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for field_id, value in fields:
        if field_id in result:
            raise BrCodeError(f"field {field_id} appears twice in {where}")
        result[field_id] = value
    return result


def _read_root(code: str) -> tuple[dict[str, str], dict[str, str], str | None]:
    """Structure, CRC and the fields every Pix BR Code has; returns the root
    fields, the merchant account (26) fields and field 01."""
    if not code.isascii():
        raise BrCodeError("a BR Code is ASCII only")
    if len(code) < 8 or code[-8:-4] != CRC_PREFIX:
        raise BrCodeError("a BR Code ends with field 63 (6304 and 4 hex digits)")
    expected = crc16(code[:-4])
    if code[-4:].upper() != expected:
        raise BrCodeError(f"CRC mismatch: expected {expected}, found {code[-4:]}")
    root_fields = _decode(code, "the code")
    if root_fields[0] != ("00", "01"):
        raise BrCodeError("field 00 must come first and be 01")
    root = _unique(root_fields, "the code")
    for field_id, value in (("52", "0000"), ("53", "986"), ("58", "BR")):
        if root.get(field_id) != value:
            raise BrCodeError(f"field {field_id} must be {value}")
    initiation = root.get("01")
    if initiation not in (None, "11", "12"):
        raise BrCodeError("field 01 must be 11 or 12")
    if "26" not in root:
        raise BrCodeError("field 26 (merchant account) is missing")
    merchant = _unique(_decode(root["26"], "field 26"), "field 26")
    if merchant.get("00", "").lower() != GUI:
        raise BrCodeError(f"field 26-00 must be {GUI}")
    for field_id, limit in (("59", MAX_NAME_BYTES), ("60", MAX_CITY_BYTES)):
        value = root.get(field_id, "")
        if not 1 <= len(value) <= limit:
            raise BrCodeError(f"field {field_id} must have 1 to {limit} bytes")
    return root, merchant, initiation


def _txid_of(root: dict[str, str]) -> str:
    additional = _unique(_decode(root.get("62", ""), "field 62"), "field 62")
    txid = additional.get("05", "***")
    if not _TXID.fullmatch(txid):
        raise BrCodeError("field 62-05 (txid) must be letters and digits, or ***")
    return txid


def parse_brcode(code: str) -> BrCode:
    """Read and validate a static Pix BR Code: structure, CRC and mandatory
    fields. Raises :class:`BrCodeError` saying what is wrong."""
    root, merchant, initiation = _read_root(code)
    if "01" not in merchant:
        raise BrCodeError(
            "field 26-01 (the Pix key) is missing: read a dynamic code with parse_dynamic_brcode"
        )
    amount: int | None = None
    if "54" in root:
        try:
            amount = parse_valor(root["54"])
        except InvalidAmountError as exc:
            raise BrCodeError(f"field 54: {exc}") from None
    return BrCode(
        pix_key=merchant["01"],
        merchant_name=root["59"],
        merchant_city=root["60"],
        amount_cents=amount,
        txid=_txid_of(root),
        initiation_method=initiation,
    )


def parse_dynamic_brcode(code: str) -> DynamicBrCode:
    """Read and validate a dynamic Pix BR Code: the structure and CRC of
    :func:`parse_brcode`, a location in 26-25 (no key in 26-01), ``***`` in
    62-05 and no amount in 54 (the payload at the location has it)."""
    root, merchant, initiation = _read_root(code)
    if "01" in merchant:
        raise BrCodeError("field 26-01 (a Pix key) makes this a static code: read it with parse_brcode")
    location = merchant.get("25", "")
    if not _LOCATION.fullmatch(location):
        raise BrCodeError("field 26-25 must be the payload location, a URL without its scheme")
    if "54" in root:
        raise BrCodeError("a dynamic code carries no amount (field 54): the payload has it")
    if _txid_of(root) != "***":
        raise BrCodeError("field 62-05 of a dynamic code must be ***: the payload carries the txid")
    return DynamicBrCode(
        location=location,
        merchant_name=root["59"],
        merchant_city=root["60"],
        initiation_method=initiation,
    )
