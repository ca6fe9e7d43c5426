"""The channel sandbox on real sockets: SMTP in, SMS and WhatsApp over HTTP,
dedupe by Idempotency-Key, faults, listing, clearing, an escaped page; and
``regua sandbox`` as a process that leaves no listener behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sysconfig
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx

from regua_devtools.devstack.process import port_open, wait_port_closed
from regua_devtools.sandbox import running_sandbox

AUTH = {"Authorization": "Bearer sandbox"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_records_dedupes_lists_and_clears() -> None:
    async with running_sandbox(smtp_port=free_port(), http_port=free_port()) as sbx:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@regua.local", "maria@exemplo.com.br", "Olá <b>"
        mail["Message-ID"] = "<k1@regua.local>"
        mail.set_content("Valor: R$ 1.234,56 <script>alert(1)</script>")
        await aiosmtplib.send(mail, hostname="127.0.0.1", port=sbx.smtp_port)

        async with httpx.AsyncClient(base_url=sbx.http_url) as http:
            sms = {"to": "+5511912345678", "text": "Oi", "from": "REGUA"}
            first = await http.post("/sms/messages", json=sms, headers={**AUTH, "Idempotency-Key": "k2"})
            again = await http.post("/sms/messages", json=sms, headers={**AUTH, "Idempotency-Key": "k2"})
            assert first.status_code == 200 and first.json()["id"] == again.json()["id"]
            assert (await http.post("/sms/messages", json=sms)).status_code == 401

            wa = {
                "messaging_product": "whatsapp",
                "to": "5511912345678",
                "type": "text",
                "text": {"body": "Oi"},
            }
            reply = await http.post("/v20.0/123/messages", json=wa, headers={**AUTH, "Idempotency-Key": "k3"})
            assert reply.json()["messages"][0]["id"].startswith("wamid.")

            await http.put("/api/faults/sms", json={"status": 503, "count": 1})
            assert (await http.post("/sms/messages", json=sms, headers=AUTH)).status_code == 503
            assert (await http.get("/api/faults")).json()["sms"] == {
                "status": 503,
                "remaining": 0,
                "refused": 1,
            }

            messages = (await http.get("/api/messages")).json()
            assert [(m["channel"], m["to"]) for m in messages] == [
                ("email", "maria@exemplo.com.br"),
                ("sms", "+5511912345678"),
                ("whatsapp", "5511912345678"),
            ]
            assert messages[0]["subject"] == "Olá <b>"
            assert "R$ 1.234,56" in messages[0]["body"]
            assert messages[0]["idempotency_key"] == "<k1@regua.local>"
            assert messages[1]["idempotency_key"] == "k2"
            assert all(m["received_at"] for m in messages)

            page = (await http.get("/")).text
            assert "&lt;script&gt;" in page and "<script>" not in page

            assert (await http.delete("/api/messages")).status_code == 204
            assert (await http.get("/api/messages")).json() == []


def test_regua_sandbox_process_starts_and_stops() -> None:
    # Free ports for all four servers: a running dev stack holds the defaults.
    smtp_port, http_port, psp_port, bank_port = free_port(), free_port(), free_port(), free_port()
    regua = Path(sysconfig.get_path("scripts")) / "regua"
    proc = subprocess.Popen(
        [
            str(regua),
            "sandbox",
            *("--smtp-port", str(smtp_port), "--http-port", str(http_port)),
            *("--psp-port", str(psp_port), "--bank-port", str(bank_port)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        for _ in range(100):
            if all(port_open(p) for p in (smtp_port, http_port, psp_port, bank_port)):
                break
            time.sleep(0.1)
        assert all(port_open(p) for p in (smtp_port, http_port, psp_port, bank_port))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    assert proc.returncode is not None
    assert all(wait_port_closed(p, 5) for p in (smtp_port, http_port, psp_port, bank_port))
