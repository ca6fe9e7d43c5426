"""One cursor codec for every list endpoint."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

import pytest

from regua_platform.pagination import (
    SEQ_PATTERN,
    TIME_ID_PATTERN,
    InvalidCursor,
    decode_cursor,
    encode_cursor,
)

AT = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
ID = UUID("6f1c0a3e-8d1b-4a59-9d3e-2f7f4b1c9a10")


def test_round_trips_and_no_cursor_is_none() -> None:
    assert decode_cursor(encode_cursor(42), int) == (42,)
    assert decode_cursor(encode_cursor(AT, ID), datetime, UUID) == (AT, ID)
    at = datetime(2026, 12, 2, 10, 30, 0, 123456, tzinfo=UTC)  # microseconds survive
    assert decode_cursor(encode_cursor(at, ID), datetime, UUID) == (at, ID)
    assert decode_cursor(None, int) is None


def test_cursors_match_the_patterns_the_openapi_documents() -> None:
    # Hand-computed: 2026-12-02T10:30Z is 1,796,207,400 s after the epoch.
    assert encode_cursor(AT, ID) == "1796207400000000-6f1c0a3e8d1b4a599d3e2f7f4b1c9a10"
    assert re.fullmatch(TIME_ID_PATTERN, encode_cursor(AT, ID))
    assert re.fullmatch(SEQ_PATTERN, encode_cursor(10**18 - 1))  # sequences stay far below


@pytest.mark.parametrize("cursor", ["0", "99999999999999999", "00000000000000000"])
def test_every_cursor_the_pattern_admits_decodes(cursor: str) -> None:
    """A fuzzer's well-formed cursor is a position, never a 400 or a 500."""
    assert re.fullmatch(SEQ_PATTERN, cursor)
    assert decode_cursor(cursor, int) == (int(cursor),)
    assert decode_cursor(f"{cursor}-{'f' * 32}", datetime, UUID) is not None


@pytest.mark.parametrize(
    ("cursor", "types"),
    [
        ("!!", (int,)),
        ("x", (int,)),  # not a number
        ("", (int,)),
        ("42", (datetime, UUID)),  # another list's cursor
        ("42-" + ID.hex.upper(), (datetime, UUID)),
        ("42-" + str(ID), (datetime, UUID)),  # dashes: not our encoding
        ("9" * 19, (int,)),  # beyond a bigint
        ("9" * 18 + "-" + ID.hex, (datetime, UUID)),  # beyond any datetime
        ("١٢", (int,)),  # Arabic-Indic digits are digits to str.isdigit, not to us
    ],
)
def test_anything_we_did_not_hand_out_is_a_400(cursor: str, types: tuple[type, ...]) -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor, *types)
    assert (caught.value.status, caught.value.title) == (400, "Invalid cursor")
