"""How ``regua sandbox`` builds the PSP and bank sandboxes from its options."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from regua_devtools.sandboxes import bank, psp
from regua_devtools.sandboxes.common import SandboxClock

#: The receiver and bank client the dev stack starts with when none is given.
DEMO_CLIENT_ID = "regua-demo"
DEMO_CLIENT_SECRET = "regua-demo-secret"  # noqa: S105 - a sandbox credential, documented
DEMO_PIX_KEY = "pix@regua-demo.example"


def companions(
    *,
    psp_port: int,
    bank_port: int,
    psp_clients: Sequence[str],
    bank_clients: Sequence[str],
    clock_offset_seconds: int,
) -> list[tuple[str, FastAPI, int]]:
    """``(name, app, port)`` of the PSP and bank sandboxes (a port of 0 leaves one out).
    Clients are ``ID:SECRET:PIX_KEY`` (PSP) and ``ID:SECRET`` (bank)."""
    clock = SandboxClock(clock_offset_seconds)
    apps: list[tuple[str, FastAPI, int]] = []
    if psp_port:
        psp_store = psp.new_store(clock)
        for spec in psp_clients or [f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}:{DEMO_PIX_KEY}"]:
            client_id, secret, key = _split(spec, 3, "--psp-client takes CLIENT_ID:SECRET:PIX_KEY")
            psp_store.add_receiver(client_id=client_id, client_secret=secret, pix_key=key)
        apps.append(("PSP sandbox (API Pix)", psp.create_psp_app(psp_store), psp_port))
    if bank_port:
        bank_store = bank.new_store(clock)
        for spec in bank_clients or [f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}"]:
            client_id, secret = _split(spec, 2, "--bank-client takes CLIENT_ID:SECRET")
            bank_store.oauth.add(client_id, secret)
        apps.append(("bank sandbox (boletos)", bank.create_bank_app(bank_store), bank_port))
    return apps


def _split(spec: str, parts: int, message: str) -> list[str]:
    fields = spec.split(":", parts - 1)
    if len(fields) != parts or not all(fields):
        raise ValueError(message)
    return fields
