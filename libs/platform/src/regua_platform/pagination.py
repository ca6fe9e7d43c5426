"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{items,
next_cursor}`` out. A cursor is opaque to clients and stable under inserts,
unlike offsets: base64url of a JSON list holding the last row's sort key, one
codec for every list of every service."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
from pydantic import BaseModel

from regua_platform.errors import InvalidInput

T = TypeVar("T")
CursorValue = int | str | datetime | UUID

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    #: Pass as ``cursor`` to get the next page; ``null`` on the last page.
    next_cursor: str | None = None


class InvalidCursor(InvalidInput):
    title = "Invalid cursor"

    def __init__(self) -> None:
        super().__init__("Pass back the next_cursor of a previous page.")


def encode_cursor(*key: CursorValue) -> str:
    """The cursor after a row whose sort key is ``key`` (e.g. ``seq``, or
    ``created_at, id``)."""
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v for v in key]
    return base64.urlsafe_b64encode(orjson.dumps(plain)).decode().rstrip("=")


def decode_cursor(cursor: str | None, *types: type[CursorValue]) -> tuple[Any, ...] | None:
    """The sort key inside ``cursor``, each part read as the type given
    (``decode_cursor(c, datetime, UUID)``); None without a cursor;
    :class:`InvalidCursor` (400) when it was not made by :func:`encode_cursor`
    for this sort key."""
    if cursor is None:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(value, list) or len(value) != len(types):
            raise ValueError("shape")
        return tuple(_read(part, kind) for part, kind in zip(value, types, strict=True))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError):
        raise InvalidCursor from None


def _read(part: object, kind: type[CursorValue]) -> CursorValue:
    if kind is int and isinstance(part, int) and not isinstance(part, bool):
        return part
    if isinstance(part, str):
        if kind is str:
            return part
        if kind is UUID:
            return UUID(part)
        if kind is datetime:
            at = datetime.fromisoformat(part)
            if at.tzinfo is None:
                raise ValueError("naive")
            return at
    raise ValueError("type")
