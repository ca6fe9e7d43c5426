"""One cursor codec for every list endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from regua_platform.pagination import InvalidCursor, decode_cursor, encode_cursor

AT = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
ID = UUID("6f1c0a3e-8d1b-4a59-9d3e-2f7f4b1c9a10")


def test_round_trips_and_no_cursor_is_none() -> None:
    assert decode_cursor(encode_cursor(42), int) == (42,)
    assert decode_cursor(encode_cursor(AT, ID), datetime, UUID) == (AT, ID)
    assert decode_cursor(None, int) is None
    assert "=" not in encode_cursor(AT, ID)  # URL-safe, unpadded


@pytest.mark.parametrize(
    ("cursor", "types"),
    [
        ("!!", (int,)),
        (encode_cursor("x"), (int,)),  # a string where the key is a number
        (encode_cursor(True), (int,)),  # JSON true is no sequence number
        (encode_cursor(42), (datetime, UUID)),  # another list's cursor
        (encode_cursor("2026-12-02T10:30:00", str(ID)), (datetime, UUID)),  # a naive instant
        (encode_cursor("not a time", ID), (datetime, UUID)),
    ],
)
def test_anything_we_did_not_hand_out_is_a_400(cursor: str, types: tuple[type, ...]) -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(cursor, *types)
    assert (caught.value.status, caught.value.title) == (400, "Invalid cursor")
