"""Bank sandbox: the boleto registration API documented in docs/psp-and-bank.md,
modelled on the Brazilian banks' "API de Cobrança" (OAuth2 client credentials,
register, get, baixa, payment notification).

- ``POST /oauth/token`` (Basic auth, ``grant_type=client_credentials``).
- ``POST /v1/boletos`` registers; nosso número is unique per convênio: the same
  body again answers 200 with the same boleto, a different body 409.
- ``GET /v1/agreements/{agreement}/boletos/{nosso_numero}``.
- ``POST /v1/agreements/{agreement}/boletos/{nosso_numero}/write-off`` (baixa).

A convênio belongs to the OAuth client that first registers under it (403 for
the others). The free field follows the Banco do Brasil layout for 7-digit
convênios: ``000000`` + convênio (7) + nosso número (10) + carteira (2), so two
convênios never share a barcode. Fine and interest are instructions: the bank
charges them on late payment (:mod:`.charges`: fine % once, interest % a month
pro rata die from the due date, nothing until the next business day when the
due date is not one).

Sandbox-only: ``PUT /sandbox/agreements/{agreement}/notification`` ``{"url",
"secret"}`` where settlements are POSTed (payments-service's boleto webhook
body, signed with ``X-Regua-Signature``); ``POST
/sandbox/boletos/{agreement}/{nosso_numero}/simulate-payment`` ``{"on",
"amount"}``; ``POST /sandbox/clients``, ``PUT /sandbox/faults``, ``POST
/sandbox/tokens/revoke``, ``PUT /sandbox/clock``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

import httpx
from fastapi import Body, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from regua_br.boleto import BoletoError, build_boleto
from regua_devtools.sandboxes.charges import Rule, Terms, value_on
from regua_devtools.sandboxes.common import (
    TIMEZONE,
    Fault,
    FaultUpdate,
    OAuthServer,
    SandboxClock,
    add_ops_routes,
    free_port,
    serving,
    sign,
)

log = logging.getLogger("regua.sandbox.bank")

DEFAULT_PORT = 8027
AMOUNT = r"^\d{1,11}\.\d{2}$"
PERCENT = r"^\d{1,3}\.\d{2}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Beneficiary(_Body):
    bank_code: str = Field(pattern=r"^\d{3}$")
    agency: str = Field(pattern=r"^\d{1,5}$")
    account: str = Field(pattern=r"^[0-9Xx-]{1,20}$")
    agreement: str = Field(pattern=r"^\d{1,7}$")
    wallet: str = Field(pattern=r"^\d{1,2}$")
    name: str = Field(min_length=1, max_length=100)
    document: str = Field(pattern=r"^(\d{11}|\d{14})$")


class Payer(_Body):
    document: str = Field(pattern=r"^(\d{11}|\d{14})$")
    name: str = Field(min_length=1, max_length=100)


class Fine(_Body):
    percent: str = Field(pattern=PERCENT)


class Interest(_Body):
    monthly_percent: str = Field(pattern=PERCENT)


class BoletoRegistration(_Body):
    beneficiary: Beneficiary
    nosso_numero: int = Field(ge=1, lt=10**10)
    reference: str = Field(min_length=1, max_length=60)
    due_date: date
    amount: str = Field(pattern=AMOUNT)
    payer: Payer
    fine: Fine | None = None
    interest: Interest | None = None
    days_valid_after_due: int = Field(default=30, ge=0, le=3650)


class NotificationTarget(BaseModel):
    url: str = Field(min_length=1, max_length=2048)
    secret: str | None = Field(default=None, max_length=200)


class PaymentSimulation(BaseModel):
    on: date | None = None
    amount: str | None = Field(default=None, pattern=AMOUNT)


class ClientCreate(BaseModel):
    client_id: str = Field(min_length=1, max_length=100)
    client_secret: str = Field(min_length=1, max_length=200)


Status = Literal["registered", "paid", "written_off"]


@dataclass
class StoredBoleto:
    client_id: str
    request: dict[str, Any]
    barcode: str
    digitable_line: str
    registered_at: datetime
    status: Status = "registered"
    paid_at: datetime | None = None
    paid_amount: str | None = None
    written_off_at: datetime | None = None


@dataclass
class BankStore:
    clock: SandboxClock
    oauth: OAuthServer
    #: convênio -> client id that owns it
    owners: dict[str, str] = field(default_factory=dict)
    boletos: dict[tuple[str, int], StoredBoleto] = field(default_factory=dict)
    notifications: dict[str, NotificationTarget] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _free_field(beneficiary: dict[str, Any], nosso_numero: int) -> str:
    return f"000000{int(beneficiary['agreement']):07d}{nosso_numero:010d}{int(beneficiary['wallet']):02d}"


def _read(boleto: StoredBoleto) -> dict[str, Any]:
    request = boleto.request
    out: dict[str, Any] = {
        "agreement": request["beneficiary"]["agreement"],
        "nosso_numero": request["nosso_numero"],
        "reference": request["reference"],
        "status": boleto.status,
        "barcode": boleto.barcode,
        "digitable_line": boleto.digitable_line,
        "amount": request["amount"],
        "due_date": request["due_date"],
        "registered_at": boleto.registered_at.isoformat(),
    }
    if boleto.paid_at is not None:
        out["paid_at"] = boleto.paid_at.isoformat()
        out["paid_amount"] = boleto.paid_amount
    if boleto.written_off_at is not None:
        out["written_off_at"] = boleto.written_off_at.isoformat()
    return out


def _terms(request: dict[str, Any]) -> Terms:
    fine, interest = request.get("fine"), request.get("interest")
    return Terms(
        due_date=date.fromisoformat(request["due_date"]),
        days_valid_after_due=request["days_valid_after_due"],
        original=Decimal(request["amount"]),
        fine=Rule(2, Decimal(fine["percent"])) if fine else None,
        interest=Rule(3, Decimal(interest["monthly_percent"])) if interest else None,
    )


Auth = Annotated[str | None, Header()]


def create_bank_app(store: BankStore) -> FastAPI:
    app = FastAPI(title="Régua bank sandbox (boleto registration)", version="0.1.0")
    add_ops_routes(app, store.clock)

    def authorise(authorization: str | None) -> tuple[str | None, JSONResponse | None]:
        client_id = store.oauth.client_of(authorization)
        if client_id is None:
            return None, _error(401, "unauthorized", "missing, unknown or expired bearer token")
        if (status := store.oauth.take_fault()) is not None:
            return None, _error(status, "unavailable", "simulated failure")
        return client_id, None

    def owned(client_id: str, agreement: str) -> JSONResponse | None:
        owner = store.owners.setdefault(agreement, client_id)
        return (
            None
            if owner == client_id
            else _error(403, "forbidden", "this convênio belongs to another client")
        )

    def boleto_of(client_id: str, agreement: str, nosso_numero: int) -> StoredBoleto | JSONResponse:
        if (refused := owned(client_id, agreement)) is not None:
            return refused
        boleto = store.boletos.get((agreement, nosso_numero))
        return boleto if boleto is not None else _error(404, "not_found", "no boleto with this nosso número")

    @app.post("/oauth/token", tags=["oauth"])
    async def token(request: Request, authorization: Auth = None) -> Response:
        return store.oauth.issue(authorization, await request.body())

    @app.post("/v1/boletos", tags=["boletos"])
    async def register(request: Request, authorization: Auth = None) -> Response:
        client_id, refused = authorise(authorization)
        if refused is not None or client_id is None:
            return refused or _error(401, "unauthorized", "")
        try:
            body = BoletoRegistration.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            return _error(
                400, "invalid_request", "the registration does not follow the schema", errors=errors
            )
        data = body.model_dump(mode="json")
        agreement = body.beneficiary.agreement
        if (forbidden := owned(client_id, agreement)) is not None:
            return forbidden
        existing = store.boletos.get((agreement, body.nosso_numero))
        if existing is not None:
            if existing.request == data:
                return JSONResponse(_read(existing), status_code=200)
            return _error(409, "nosso_numero_taken", "this nosso número is registered with other data")
        if body.due_date < store.clock.today():
            return _error(400, "invalid_request", "the due date is in the past")
        if body.fine is not None and Decimal(body.fine.percent) > 2:
            return _error(400, "invalid_request", "a late fine above 2 % is refused (CDC art. 52 §1)")
        try:
            built = build_boleto(
                bank_code=body.beneficiary.bank_code,
                amount_cents=int(Decimal(body.amount) * 100),
                due=body.due_date,
                free_field=_free_field(data["beneficiary"], body.nosso_numero),
            )
        except BoletoError as exc:
            return _error(400, "invalid_request", str(exc))
        boleto = StoredBoleto(client_id, data, built.barcode, built.digitable_line, store.clock.now())
        store.boletos[(agreement, body.nosso_numero)] = boleto
        log.info("sandbox.bank.boleto_registered", extra={"nosso_numero": body.nosso_numero})
        return JSONResponse(_read(boleto), status_code=201)

    @app.get("/v1/agreements/{agreement}/boletos/{nosso_numero}", tags=["boletos"])
    async def get(agreement: str, nosso_numero: int, authorization: Auth = None) -> Response:
        client_id, refused = authorise(authorization)
        if refused is not None or client_id is None:
            return refused or _error(401, "unauthorized", "")
        boleto = boleto_of(client_id, agreement, nosso_numero)
        return boleto if isinstance(boleto, JSONResponse) else JSONResponse(_read(boleto))

    @app.post("/v1/agreements/{agreement}/boletos/{nosso_numero}/write-off", tags=["boletos"])
    async def write_off(agreement: str, nosso_numero: int, authorization: Auth = None) -> Response:
        client_id, refused = authorise(authorization)
        if refused is not None or client_id is None:
            return refused or _error(401, "unauthorized", "")
        boleto = boleto_of(client_id, agreement, nosso_numero)
        if isinstance(boleto, JSONResponse):
            return boleto
        if boleto.status == "paid":
            return _error(409, "already_paid", "a paid boleto cannot be written off")
        if boleto.status == "registered":
            boleto.status = "written_off"
            boleto.written_off_at = store.clock.now()
        return JSONResponse(_read(boleto))

    @app.post("/sandbox/clients", status_code=201, tags=["sandbox"])
    async def add_client(body: ClientCreate) -> dict[str, str]:
        store.oauth.add(body.client_id, body.client_secret)
        return {"client_id": body.client_id}

    @app.post("/sandbox/tokens/revoke", status_code=204, tags=["sandbox"])
    async def revoke() -> None:
        store.oauth.revoke_all()

    @app.put("/sandbox/faults", tags=["sandbox"])
    async def set_fault(body: FaultUpdate) -> dict[str, int]:
        store.oauth.fault = Fault(body.status, body.count)
        return {"status": body.status, "remaining": body.count}

    @app.put("/sandbox/agreements/{agreement}/notification", tags=["sandbox"])
    async def set_notification(agreement: str, body: NotificationTarget) -> dict[str, str]:
        store.notifications[agreement] = body
        return {"agreement": agreement, "url": body.url}

    @app.post("/sandbox/boletos/{agreement}/{nosso_numero}/simulate-payment", tags=["sandbox"])
    async def simulate_payment(
        agreement: str, nosso_numero: int, body: Annotated[PaymentSimulation | None, Body()] = None
    ) -> Response:
        boleto = store.boletos.get((agreement, nosso_numero))
        if boleto is None:
            return _error(404, "not_found", "no boleto with this nosso número")
        if boleto.status != "registered":
            return _error(409, "not_payable", f"the boleto is {boleto.status}")
        body = body or PaymentSimulation()
        today = store.clock.today()
        on = body.on or today
        value = value_on(_terms(boleto.request), on)
        if not value.payable:
            return _error(409, "not_payable", f"payable until {value.last_payable_day}")
        amount = Decimal(body.amount) if body.amount else value.final
        at = store.clock.now() if on == today else datetime.combine(on, time(12), TIMEZONE).astimezone(UTC)
        boleto.status, boleto.paid_at, boleto.paid_amount = "paid", at, f"{amount:.2f}"
        notification = {
            "event_id": f"bank-{uuid.uuid4().hex}",
            "barcode": boleto.barcode,
            "digitable_line": boleto.digitable_line,
            "amount_cents": int(amount * 100),
            "paid_at": at.isoformat(),
        }
        status = await _notify(store, agreement, notification)
        return JSONResponse({"boleto": _read(boleto), "notification": notification, "webhook_status": status})

    @app.get("/sandbox/deliveries", tags=["sandbox"])
    async def deliveries() -> list[dict[str, Any]]:
        return store.deliveries

    return app


async def _notify(store: BankStore, agreement: str, notification: dict[str, Any]) -> int | None:
    target = store.notifications.get(agreement)
    if target is None:
        return None
    raw = json.dumps(notification, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if target.secret:
        headers["X-Regua-Signature"] = sign(
            target.secret, raw, int(store.clock.now().timestamp()), url=target.url
        )
    status: int | None
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            status = (await client.post(target.url, content=raw, headers=headers)).status_code
    except httpx.HTTPError:
        status = None
    store.deliveries.append({"url": target.url, "status": status, "event_id": notification["event_id"]})
    return status


@dataclass
class BankSandbox:
    store: BankStore
    url: str


def new_store(clock: SandboxClock | None = None) -> BankStore:
    clock = clock or SandboxClock()
    return BankStore(clock=clock, oauth=OAuthServer(clock=clock))


@contextlib.asynccontextmanager
async def running_bank_sandbox(
    *, host: str = "127.0.0.1", port: int | None = None, clock: SandboxClock | None = None
) -> AsyncIterator[BankSandbox]:
    """Serve the bank sandbox on the running loop while the block runs (tests)."""
    store = new_store(clock)
    async with serving(create_bank_app(store), host=host, port=port or free_port(host)) as url:
        yield BankSandbox(store, url)
