"""Cursor pagination for list endpoints: ``?limit=&cursor=`` in, ``{items,
next_cursor}`` out. A cursor is opaque to clients (base64url of the last row's
sort key) and stable under inserts, unlike offsets."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel

from regua_platform.problems import Problem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    #: Pass as ``cursor`` to get the next page; ``null`` on the last page.
    next_cursor: str | None = None


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The sort key inside ``cursor``; 400 problem when it was not made by us."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise Problem(400, "Invalid cursor", "Pass back the next_cursor of a previous page.") from None
    if not isinstance(value, dict):
        raise Problem(400, "Invalid cursor", "Pass back the next_cursor of a previous page.")
    return value
