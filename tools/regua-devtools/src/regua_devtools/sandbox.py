"""The channel sandbox: the outside world of the dev stack.

A real SMTP server (aiosmtpd) and an HTTP server standing in for the SMS and
WhatsApp providers. Everything received is recorded (in memory, optionally
appended to a JSON-lines file) and listed at ``GET /api/messages``;
``DELETE /api/messages`` clears it; ``GET /`` shows it as a page.

HTTP shapes accepted (bearer token required, any value):

- SMS: ``POST /sms/messages`` ``{"to", "text", "from"}`` -> ``{"id", "status"}``
- WhatsApp Cloud API: ``POST /{version}/{phone_number_id}/messages`` (or
  without the version) ``{"messaging_product": "whatsapp", "to", "type": "text",
  "text": {"body"}}`` -> ``{"messaging_product", "contacts", "messages": [{"id"}]}``

Like real providers, a repeated ``Idempotency-Key`` is not recorded again and
answers the first call's message id. For tests, ``PUT /api/faults/{channel}``
``{"status": 500, "count": 3}`` makes the next calls on a channel fail
(``email`` faults answer SMTP 451); ``GET /api/faults`` shows what is left and
how many calls were refused.

Run it with ``regua sandbox`` (``regua stack up`` starts it in the background).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from aiosmtpd.smtp import SMTP as SMTPProtocol
from fastapi import Body, FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from regua_devtools.sandboxes.common import serving

log = logging.getLogger("regua.sandbox")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 1025
DEFAULT_HTTP_PORT = 8025
CHANNELS = ("email", "sms", "whatsapp")


@dataclass
class Fault:
    status: int
    remaining: int
    refused: int = 0


@dataclass
class SandboxStore:
    """What the sandbox received. One event loop owns it: no locks needed."""

    record_file: Path | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    # idempotency key -> provider message id
    seen: dict[str, str] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)

    def fault_for(self, channel: str) -> int | None:
        """The status to fail this call with, or None to accept it."""
        fault = self.faults.get(channel)
        if fault is None or fault.remaining <= 0:
            return None
        fault.remaining -= 1
        fault.refused += 1
        return fault.status

    def record(
        self,
        *,
        channel: str,
        to: str,
        body: str,
        subject: str | None = None,
        idempotency_key: str | None = None,
        provider_message_id: str | None = None,
        sender: str | None = None,
        dedupe: bool = True,
    ) -> tuple[str, bool]:
        """Record a message; returns (provider message id, True when new). With
        ``dedupe``, a known idempotency key records nothing and returns the first id."""
        if dedupe and idempotency_key and idempotency_key in self.seen:
            return self.seen[idempotency_key], False
        message_id = provider_message_id or f"sbx-{uuid.uuid4().hex}"
        entry: dict[str, Any] = {
            "id": message_id,
            "channel": channel,
            "to": to,
            "from": sender,
            "subject": subject,
            "body": body,
            "idempotency_key": idempotency_key,
            "received_at": datetime.now(UTC).isoformat(),
        }
        self.messages.append(entry)
        if idempotency_key:
            self.seen[idempotency_key] = message_id
        if self.record_file is not None:
            self.record_file.parent.mkdir(parents=True, exist_ok=True)
            with self.record_file.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        log.info("sandbox.message.received", extra={"channel": channel, "message_id": message_id})
        return message_id, True

    def clear(self) -> None:
        self.messages.clear()
        self.seen.clear()


class SmtpHandler:
    """aiosmtpd handler: every accepted e-mail becomes one record."""

    def __init__(self, store: SandboxStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        status = self.store.fault_for("email")
        if status is not None:
            return "451 4.3.0 Sandbox fault: try again later"
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        message_id = str(parsed.get("Message-ID", "")) or None
        key = str(parsed.get("Idempotency-Key", "")) or message_id
        self.store.record(
            channel="email",
            to=", ".join(envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
            body=body,
            idempotency_key=key,
            provider_message_id=message_id,
            sender=envelope.mail_from,
            # SMTP servers do not dedupe: record every copy, so a double send shows.
            dedupe=False,
        )
        return "250 2.0.0 Message accepted for delivery"


class SmsRequest(BaseModel):
    to: str = Field(min_length=1, max_length=32)
    text: str = Field(min_length=1, max_length=1600)
    from_: str | None = Field(default=None, alias="from", max_length=32)


class WhatsAppText(BaseModel):
    body: str = Field(min_length=1, max_length=4096)
    preview_url: bool = False


class WhatsAppRequest(BaseModel):
    messaging_product: str
    to: str = Field(min_length=1, max_length=32)
    type: str = "text"
    recipient_type: str = "individual"
    text: WhatsAppText | None = None


class FaultRequest(BaseModel):
    status: int = Field(default=500, ge=400, le=599)
    count: int = Field(default=1, ge=0, le=10_000)


Auth = Annotated[str | None, Header()]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _check_bearer(authorization: str | None) -> None:
    if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise HTTPException(401, "missing bearer token")


def _fail(status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": "sandbox fault"}}, status_code=status)


def create_http_app(store: SandboxStore) -> FastAPI:
    app = FastAPI(title="Régua channel sandbox", version="0.1.0")

    @app.post("/sms/messages", tags=["providers"])
    async def sms(body: SmsRequest, authorization: Auth = None, idempotency_key: IdemKey = None) -> Any:
        _check_bearer(authorization)
        if (status := store.fault_for("sms")) is not None:
            return _fail(status)
        message_id, _ = store.record(
            channel="sms", to=body.to, body=body.text, idempotency_key=idempotency_key, sender=body.from_
        )
        return {"id": message_id, "status": "queued", "to": body.to}

    async def whatsapp(
        phone_number_id: str, body: WhatsAppRequest, authorization: str | None, idempotency_key: str | None
    ) -> Any:
        _check_bearer(authorization)
        if body.messaging_product != "whatsapp" or body.type != "text" or body.text is None:
            raise HTTPException(400, "only text messages with messaging_product=whatsapp")
        if (status := store.fault_for("whatsapp")) is not None:
            return _fail(status)
        message_id, _ = store.record(
            channel="whatsapp",
            to=body.to,
            body=body.text.body,
            idempotency_key=idempotency_key,
            provider_message_id=f"wamid.{uuid.uuid4().hex}",
            sender=phone_number_id,
        )
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body.to, "wa_id": body.to.lstrip("+")}],
            "messages": [{"id": message_id}],
        }

    @app.post("/{version}/{phone_number_id}/messages", tags=["providers"])
    async def whatsapp_versioned(
        version: str,
        phone_number_id: str,
        body: WhatsAppRequest,
        authorization: Auth = None,
        idempotency_key: IdemKey = None,
    ) -> Any:
        return await whatsapp(phone_number_id, body, authorization, idempotency_key)

    @app.post("/{phone_number_id}/messages", tags=["providers"])
    async def whatsapp_plain(
        phone_number_id: str,
        body: WhatsAppRequest,
        authorization: Auth = None,
        idempotency_key: IdemKey = None,
    ) -> Any:
        return await whatsapp(phone_number_id, body, authorization, idempotency_key)

    @app.get("/api/messages", tags=["sandbox"])
    async def list_messages(channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in store.messages if channel is None or m["channel"] == channel]

    @app.delete("/api/messages", status_code=204, tags=["sandbox"])
    async def clear_messages() -> None:
        store.clear()

    @app.put("/api/faults/{channel}", tags=["sandbox"])
    async def set_fault(channel: str, body: Annotated[FaultRequest, Body()]) -> dict[str, Any]:
        if channel not in CHANNELS:
            raise HTTPException(404, f"channel must be one of {', '.join(CHANNELS)}")
        store.faults[channel] = Fault(status=body.status, remaining=body.count)
        return {"channel": channel, "status": body.status, "remaining": body.count}

    @app.get("/api/faults", tags=["sandbox"])
    async def list_faults() -> dict[str, dict[str, int]]:
        return {
            ch: {"status": f.status, "remaining": f.remaining, "refused": f.refused}
            for ch, f in store.faults.items()
        }

    @app.delete("/api/faults", status_code=204, tags=["sandbox"])
    async def clear_faults() -> None:
        store.faults.clear()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> str:
        return render_page(store.messages)

    return app


def render_page(messages: list[dict[str, Any]]) -> str:
    """The messages, newest first, every value escaped."""
    rows = []
    for m in reversed(messages):
        subject = f"<div class='subject'>{html.escape(m['subject'])}</div>" if m.get("subject") else ""
        rows.append(
            "<article>"
            f"<header><span class='channel'>{html.escape(m['channel'])}</span> "
            f"para <strong>{html.escape(m['to'])}</strong> "
            f"<time>{html.escape(m['received_at'])}</time></header>"
            f"{subject}<pre>{html.escape(m['body'])}</pre></article>"
        )
    listing = "\n".join(rows) or "<p>Nenhuma mensagem recebida ainda.</p>"
    return f"""<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Régua · sandbox de canais</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}
article{{border:1px solid #ccc;border-radius:6px;padding:.75rem;margin:.75rem 0}}
.channel{{background:#234;color:#fff;border-radius:4px;padding:0 .4rem;font-size:.8rem}}
.subject{{font-weight:600;margin:.4rem 0}} time{{color:#666;font-size:.85rem}}
pre{{white-space:pre-wrap;word-break:break-all;margin:.4rem 0 0}}
</style></head><body>
<h1>Sandbox de canais</h1>
<p>{len(messages)} mensagem(ns): e-mail (SMTP), SMS e WhatsApp. JSON em <code>/api/messages</code>.</p>
{listing}
</body></html>"""


@dataclass
class Sandbox:
    store: SandboxStore
    smtp_port: int
    http_port: int
    host: str = DEFAULT_HOST

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"


@contextlib.asynccontextmanager
async def running_sandbox(
    *,
    smtp_port: int = DEFAULT_SMTP_PORT,
    http_port: int = DEFAULT_HTTP_PORT,
    host: str = DEFAULT_HOST,
    record_file: Path | None = None,
) -> AsyncIterator[Sandbox]:
    """Serve the sandbox on the running loop while the block runs (tests)."""
    store = SandboxStore(record_file=record_file)
    loop = asyncio.get_running_loop()
    handler = SmtpHandler(store)
    smtp = await loop.create_server(
        lambda: SMTPProtocol(handler, hostname="regua-sandbox", enable_SMTPUTF8=True), host, smtp_port
    )
    server = uvicorn.Server(
        uvicorn.Config(create_http_app(store), host=host, port=http_port, log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the sandbox's HTTP server stopped during start-up")
            await asyncio.sleep(0.02)
        yield Sandbox(store=store, smtp_port=smtp_port, http_port=http_port, host=host)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
        smtp.close()
        await smtp.wait_closed()


async def serve_forever(
    *,
    smtp_port: int,
    http_port: int,
    host: str = DEFAULT_HOST,
    record_file: Path | None = None,
    companions: Sequence[tuple[str, FastAPI, int]] = (),
) -> None:
    """``regua sandbox``: until SIGINT/SIGTERM (uvicorn catches them and returns).
    ``companions`` (name, app, port) are served beside it: the PSP and bank sandboxes."""
    store = SandboxStore(record_file=record_file)
    loop = asyncio.get_running_loop()
    handler = SmtpHandler(store)
    smtp = await loop.create_server(
        lambda: SMTPProtocol(handler, hostname="regua-sandbox", enable_SMTPUTF8=True), host, smtp_port
    )
    print(f"sandbox: SMTP on {host}:{smtp_port}, HTTP on http://{host}:{http_port}", flush=True)
    try:
        async with contextlib.AsyncExitStack() as stack:
            for name, app, port in companions:
                url = await stack.enter_async_context(serving(app, host=host, port=port))
                print(f"sandbox: {name} on {url}", flush=True)
            server = uvicorn.Server(
                uvicorn.Config(create_http_app(store), host=host, port=http_port, access_log=False)
            )
            await server.serve()
    finally:
        smtp.close()
        await smtp.wait_closed()
