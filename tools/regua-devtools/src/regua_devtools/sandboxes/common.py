"""What both payment sandboxes share: a shiftable clock, OAuth2 client
credentials, the webhook signature, fault injection and the uvicorn runner."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

log = logging.getLogger("regua.sandbox")

#: The sandboxes' "today" is a date in Brazil, as the PSPs and banks count it.
TIMEZONE = ZoneInfo("America/Sao_Paulo")
#: The env var ``regua sandbox`` reads to follow the dev stack's shifted clock.
CLOCK_OFFSET_ENV = "REGUA_SANDBOX_CLOCK_OFFSET_SECONDS"
SIGNATURE_HEADER = "X-Regua-Signature"


class SandboxClock:
    """The real clock shifted by an offset that can change while running
    (``PUT /sandbox/clock``), like the services' ``CLOCK_OFFSET_SECONDS``."""

    def __init__(self, offset_seconds: int = 0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)

    def today(self) -> date:
        return self.now().astimezone(TIMEZONE).date()


def sign(secret: str, body: bytes, t: int, *, url: str) -> str:
    """``X-Regua-Signature`` of payments-service's webhooks for ``body`` posted
    to ``url``: ``t=<unix>,v2=<hex HMAC-SHA256 of "<t>.<tenant_id>.<path>.<body>">``,
    ``path`` being the URL's path and ``tenant_id`` its segment after
    ``/v1/webhooks/<provider>/``."""
    path = urlsplit(url).path
    parts = path.split("/")
    tenant_id = parts[4] if len(parts) > 4 and parts[1:3] == ["v1", "webhooks"] else ""
    message = f"{t}.{tenant_id}.{path}.".encode() + body
    mac = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={t},v2={mac}"


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    tokens_issued: int = 0


@dataclass
class Fault:
    status: int
    remaining: int


@dataclass
class OAuthServer:
    """Client credentials (RFC 6749 §4.4) with opaque bearer tokens."""

    clock: SandboxClock
    token_ttl_seconds: int = 3600
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    #: access token -> (client id, expiry)
    tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    fault: Fault | None = None

    def add(self, client_id: str, client_secret: str) -> OAuthClient:
        client = self.clients.get(client_id)
        if client is None or client.client_secret != client_secret:
            client = OAuthClient(client_id, client_secret)
            self.clients[client_id] = client
        return client

    def issue(self, authorization: str | None, body: bytes) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs(body.decode("ascii", "replace")).items()}
        client_id, client_secret = _basic(authorization)
        if client_id is None:  # RFC 6749 §2.3.1 also allows the credentials in the body
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
        client = self.clients.get(client_id or "")
        if client is None or not hmac.compare_digest(client.client_secret, client_secret or ""):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (client.client_id, self.clock.now() + timedelta(seconds=self.token_ttl_seconds))
        client.tokens_issued += 1
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl_seconds},
            headers={"Cache-Control": "no-store"},
        )

    def client_of(self, authorization: str | None) -> str | None:
        """The client id a bearer token belongs to, or None (missing, unknown, expired)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        entry = self.tokens.get(authorization[7:].strip())
        if entry is None or entry[1] <= self.clock.now():
            return None
        return entry[0]

    def revoke_all(self) -> None:
        self.tokens.clear()

    def take_fault(self) -> int | None:
        if self.fault is None or self.fault.remaining <= 0:
            return None
        self.fault.remaining -= 1
        return self.fault.status


def _basic(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, sep, client_secret = decoded.partition(":")
    return (client_id, client_secret) if sep else (None, None)


class ClockUpdate(BaseModel):
    offset_seconds: int = Field(ge=-(10**9), le=10**9)


class FaultUpdate(BaseModel):
    status: int = Field(default=503, ge=400, le=599)
    count: int = Field(default=1, ge=0, le=10_000)


def add_ops_routes(app: FastAPI, clock: SandboxClock) -> None:
    """``/healthz``, ``/readyz`` and the clock every sandbox exposes."""

    @app.get("/healthz", include_in_schema=False)
    @app.get("/readyz", include_in_schema=False)
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/sandbox/clock", tags=["sandbox"])
    async def get_clock() -> dict[str, Any]:
        return {
            "offset_seconds": clock.offset_seconds,
            "now": clock.now().isoformat(),
            "today": clock.today(),
        }

    @app.put("/sandbox/clock", tags=["sandbox"])
    async def set_clock(body: ClockUpdate) -> dict[str, Any]:
        clock.offset_seconds = body.offset_seconds
        return await get_clock()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals alone: several run in one process
    and the one that owns the signals (or the test) tells them to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: FastAPI, *, host: str, port: int) -> AsyncIterator[str]:
    """Serve ``app`` on the running loop while the block runs; yields its base URL."""
    server = QuietServer(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"the sandbox on {host}:{port} stopped during start-up")
            await asyncio.sleep(0.02)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
