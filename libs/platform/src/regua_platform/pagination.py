"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{items,
next_cursor}`` out. A cursor is opaque to clients and stable under inserts,
unlike offsets: the last row's sort key, one codec for every list of every
service. Its shape is in the OpenAPI document as a pattern (:data:`SeqCursor`,
:data:`TimeIdCursor`), so a client or a fuzzer can tell a well-formed cursor,
and every cursor the pattern admits decodes: a malformed one is a 422, an
unknown position just an empty or shorter page.

- a sequence number (``int``): its decimal digits, ``"1042"``;
- an instant and an id (``datetime, UUID``): microseconds since the epoch and
  the id's hex, ``"1796207400000000-6f1c0a3e8d1b4a599d3e2f7f4b1c9a10"``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from regua_platform.errors import InvalidInput

T = TypeVar("T")
CursorValue = int | datetime | UUID

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: At most 18 digits: every such number fits a PostgreSQL bigint.
SEQ_PATTERN = r"^[0-9]{1,18}$"
#: At most 17 digits of microseconds (up to the year 5138) and a hex UUID.
TIME_ID_PATTERN = r"^[0-9]{1,17}-[0-9a-f]{32}$"
_DESCRIPTION = "The `next_cursor` of the previous page; absent for the first page."

#: The ``cursor`` query parameter of a list ordered by a sequence number.
SeqCursor = Annotated[str | None, Query(pattern=SEQ_PATTERN, max_length=18, description=_DESCRIPTION)]
#: The ``cursor`` query parameter of a list ordered by creation time, then id.
TimeIdCursor = Annotated[str | None, Query(pattern=TIME_ID_PATTERN, max_length=50, description=_DESCRIPTION)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    #: Pass as ``cursor`` to get the next page; ``null`` on the last page.
    next_cursor: str | None = None


class InvalidCursor(InvalidInput):
    title = "Invalid cursor"

    def __init__(self) -> None:
        super().__init__("Pass back the next_cursor of a previous page.")


def encode_cursor(*key: CursorValue) -> str:
    """The cursor after a row whose sort key is ``key`` (``seq``, or
    ``created_at, id``)."""
    return "-".join(_write(part) for part in key)


def decode_cursor(cursor: str | None, *types: type[CursorValue]) -> tuple[Any, ...] | None:
    """The sort key inside ``cursor``, each part read as the type given
    (``decode_cursor(c, datetime, UUID)``); None without a cursor;
    :class:`InvalidCursor` (400) when it was not made by :func:`encode_cursor`
    for this sort key (the routes' patterns refuse most of those first, 422)."""
    if cursor is None:
        return None
    parts = cursor.split("-")
    if len(parts) != len(types):
        raise InvalidCursor
    try:
        return tuple(_read(part, kind) for part, kind in zip(parts, types, strict=True))
    except (ValueError, OverflowError):
        raise InvalidCursor from None


def _write(part: CursorValue) -> str:
    if isinstance(part, datetime):
        return str((part - _EPOCH) // _MICROSECOND)
    if isinstance(part, UUID):
        return part.hex
    return str(part)


def _read(part: str, kind: type[CursorValue]) -> CursorValue:
    if kind is UUID:
        if len(part) != 32 or part != part.lower():
            raise ValueError("not a UUID's hex")
        return UUID(hex=part)
    if not (part.isascii() and part.isdigit()) or len(part) > 18:
        raise ValueError("not a number")
    if kind is datetime:
        return _EPOCH + int(part) * _MICROSECOND
    return int(part)
