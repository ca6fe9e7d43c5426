"""Bounded input: request bodies and headers are capped before any route runs.

:class:`InputLimits` is a plain ASGI middleware. A request whose headers are too
many or too long gets 431; one whose ``Content-Length`` is over its route's cap
gets 413 at once, without reading the body; one that streams (chunked) past the
cap gets 413 as soon as it crosses it: nothing past the cap is ever buffered.
Routes that take files declare a larger cap (``ServiceDefinition.body_limits``,
by path).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regua_platform.problems import PROBLEM_JSON


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body crosses its cap; FastAPI
    passes an ``HTTPException`` through its body parsing untouched, and the
    problem handlers render it."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class InputLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
        max_header_bytes: int = 8_192,
        max_headers: int = 100,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_limits = dict(body_limits or {})
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers

    def limit_for(self, path: str) -> int:
        return self.body_limits.get(path, self.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if len(headers) > self.max_headers or any(
            len(value) > self.max_header_bytes or len(name) > 256 for name, value in headers
        ):
            await _answer(send, 431, "Headers too large", "A header, or their count, is too big.")
            return
        if len(scope.get("raw_path") or scope["path"]) > self.max_header_bytes:
            await _answer(send, 414, "URI too long", "The request's path is too long.")
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(headers)
        if declared is not None and declared > limit:
            await _answer(send, 413, "Content too large", f"The request body is larger than {limit} bytes.")
            return
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value) if len(value) <= 19 else 1 << 62
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


async def _answer(send: Send, status: int, title: str, detail: str) -> None:
    body = orjson.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
