"""Security of invoice-service's edges: every route's scope, hostile input
refused with a problem and nothing stored, and records that another tenant's
forged events cannot touch."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from invoice_service.adapters.db.tables import debtors, invoices
from invoice_service.settings import BATCH_BODY_LIMIT
from regua_contracts.debtor.v1 import DebtorConsentChangedV1
from regua_contracts.payment.v1 import PaymentReceivedV1
from regua_platform.auth import mint_token
from regua_platform.db import create_engine
from regua_platform.settings import DatabaseSettings

from .conftest import SECRET, Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

D = "6f1c2a8e-0000-4000-8000-000000000001"


def bearer(service: Service, *scopes: str, subject: str = "svc") -> dict[str, str]:
    minted = mint_token(
        secret=SECRET,
        tenant_id=service.tenant,
        scopes=scopes,
        subject=subject,
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {minted}"}


async def test_a_token_without_the_scope_gets_403(service: Service) -> None:
    x = uuid4()
    routes: list[tuple[str, str, Any, str]] = [
        ("GET", "/v1/settings", None, "admin"),
        ("PUT", "/v1/settings", {"late_fine_bps": 0}, "admin"),
        (
            "POST",
            "/v1/debtors",
            {"external_id": "e", "name": "A", "document": "52998224725"},
            "debtors:write",
        ),
        ("GET", "/v1/debtors", None, "debtors:read"),
        ("GET", f"/v1/debtors/{x}", None, "debtors:read"),
        ("PATCH", f"/v1/debtors/{x}", {"name": "B"}, "debtors:write"),
        ("GET", f"/v1/debtors/{x}/consents", None, "debtors:read"),
        ("POST", "/v1/invoices", {}, "invoices:write"),
        ("POST", "/v1/invoices:batch", None, "invoices:write"),
        ("GET", "/v1/invoices", None, "invoices:read"),
        ("GET", f"/v1/invoices/{x}", None, "invoices:read"),
        ("GET", f"/v1/invoices/{x}/amount-due", None, "invoices:read"),
        ("POST", f"/v1/invoices/{x}:cancel", None, "invoices:write"),
    ]
    # Holds every scope but the one each route needs (and not admin).
    every = {scope for *_, scope in routes} - {"admin"}
    for method, path, body, scope in routes:
        headers = bearer(service, *(every - {scope}))
        r = await service.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 403, (method, path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["required_scope"] == scope
    readers = bearer(service, "invoices:read", "debtors:read")
    assert (await service.client.get("/v1/invoices", headers=readers)).status_code == 200
    assert (await service.client.get("/v1/debtors", headers=readers)).status_code == 200


async def _stored(url: str, tenant: UUID) -> tuple[int, int]:
    engine = create_engine(DatabaseSettings(url=url), application_name="invoice-tests")
    try:
        async with engine.connect() as conn:
            n_debtors = (
                await conn.execute(
                    select(func.count()).select_from(debtors).where(debtors.c.tenant_id == tenant)
                )
            ).scalar_one()
            n_invoices = (
                await conn.execute(
                    select(func.count()).select_from(invoices).where(invoices.c.tenant_id == tenant)
                )
            ).scalar_one()
            return int(n_debtors), int(n_invoices)
    finally:
        await engine.dispose()


def _row(debtor: str, **over: Any) -> dict[str, Any]:
    return {
        "external_id": "h-1",
        "debtor_id": debtor,
        "amount_cents": 1_000,
        "due_date": "2026-04-10",
        **over,
    }


#: (case, media type, body as bytes given the debtor id): each refused whole.
HOSTILE_BATCHES: list[tuple[str, str, Any]] = [
    ("ndjson nested thousands deep", "application/x-ndjson", lambda d: ("[" * 5_000 + "]" * 5_000).encode()),
    (
        "ndjson 5,000-digit amount",
        "application/x-ndjson",
        lambda d: json.dumps(_row(d)).replace("1000", "9" * 5_000).encode(),
    ),
    (
        "ndjson huge line",
        "application/x-ndjson",
        lambda d: json.dumps(_row(d, description="x" * 20_000)).encode(),
    ),
    (
        "ndjson not UTF-8",
        "application/x-ndjson",
        lambda d: json.dumps(_row(d, description="é"), ensure_ascii=False).encode("latin-1"),
    ),
    ("ndjson UTF-16", "application/x-ndjson", lambda d: json.dumps(_row(d)).encode("utf-16")),
    ("ndjson NUL byte", "application/x-ndjson", lambda d: json.dumps(_row(d)).encode() + b"\x00"),
    (
        "csv 5,000-digit amount",
        "text/csv",
        lambda d: f"external_id,debtor_id,amount_cents,due_date\nh-1,{d},{'9' * 5_000},2026-04-10\n".encode(),
    ),
    (
        "csv huge line",
        "text/csv",
        lambda d: (
            f"external_id,debtor_id,amount_cents,due_date,description\nh-1,{d},1000,2026-04-10,{'x' * 200_000}\n".encode()
        ),
    ),
    (
        "csv huge quoted field",
        "text/csv",
        lambda d: (
            f'external_id,debtor_id,amount_cents,due_date,description\nh-1,{d},1000,2026-04-10,"'
            + "x\n" * 100_000
            + '"\n'
        ).encode(),
    ),
    (
        "csv not UTF-8",
        "text/csv",
        lambda d: (
            f"external_id,debtor_id,amount_cents,due_date,description\nh-1,{d},1000,2026-04-10,é\n".encode(
                "cp1252"
            )
        ),
    ),
    (
        "csv NUL byte",
        "text/csv",
        lambda d: f"external_id,debtor_id,amount_cents,due_date\nh-1,{d},10\x0000,2026-04-10\n".encode(),
    ),
]


@pytest.mark.parametrize(("case", "media", "body"), HOSTILE_BATCHES, ids=[c for c, *_ in HOSTILE_BATCHES])
async def test_hostile_batches_are_refused_whole(
    service: Service, migrated: str, case: str, media: str, body: Any
) -> None:
    debtor = (await service.debtor())["id"]
    valid = json.dumps(_row(debtor, external_id="h-ok")).encode() + b"\n"
    content = body(debtor)
    # A valid row first: nothing of a refused body is written, not even it.
    if media == "application/x-ndjson":
        content = valid + content
    r = await service.client.post(
        "/v1/invoices:batch", content=content, headers={**service.auth(), "content-type": media}
    )
    assert r.status_code == 422, (case, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json"
    assert await _stored(migrated, service.tenant) == (1, 0)


async def test_rows_of_wrong_types_are_reported_and_not_stored(service: Service, migrated: str) -> None:
    debtor = (await service.debtor())["id"]
    lines = [
        json.dumps(_row(debtor, amount_cents="1000")),
        json.dumps(_row(debtor, amount_cents=10.5)),
        json.dumps(_row(debtor, debtor_id=[debtor])),
        json.dumps(_row(debtor, due_date=1775779200)),
        json.dumps(_row(debtor, description={"a": 1})),
        json.dumps(_row(debtor, external_id="a\u0000b")),
        json.dumps([_row(debtor)]),
        '"just a string"',
    ]
    r = await service.client.post(
        "/v1/invoices:batch",
        content="\n".join(lines).encode(),
        headers={**service.auth(), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["created"] == [] and result["existing"] == []
    assert [(e["row"], e["status"]) for e in result["errors"]] == [(n, 422) for n in range(1, 9)]
    assert await _stored(migrated, service.tenant) == (1, 0)


async def test_a_batch_over_its_cap_is_413_and_one_under_1_mib_more_than_the_default_is_read(
    service: Service, migrated: str
) -> None:
    headers = {**service.auth(), "content-type": "application/x-ndjson"}

    async def over_the_cap() -> AsyncIterator[bytes]:
        # Streamed (chunked, no Content-Length): refused as the stream crosses the cap.
        for _ in range(BATCH_BODY_LIMIT // 2**20):
            yield b"\n" * 2**20
        yield b"\n"

    r = await service.client.post("/v1/invoices:batch", content=over_the_cap(), headers=headers)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    # 2 MiB of blank lines: over the platform's 1 MiB, under the batch's 32 MiB cap.
    r = await service.client.post("/v1/invoices:batch", content=b"\n" * (2 * 2**20), headers=headers)
    assert r.status_code == 200 and r.json()["received"] == 0
    assert await _stored(migrated, service.tenant) == (0, 0)


HOSTILE_BODIES: list[tuple[str, str, str, bytes]] = [
    (
        "debtor name with NUL",
        "POST",
        "/v1/debtors",
        b'{"external_id":"x","name":"a\\u0000","document":"52998224725"}',
    ),
    (
        "email with NUL",
        "POST",
        "/v1/debtors",
        b'{"external_id":"x","name":"a","document":"52998224725","email":"a\\u0000@b.com"}',
    ),
    ("nested thousands deep", "POST", "/v1/debtors", b"[" * 5_000 + b"]" * 5_000),
    (
        "5,000-digit amount",
        "POST",
        "/v1/invoices",
        b'{"external_id":"x","debtor_id":"'
        + D.encode()
        + b'","amount_cents":'
        + b"9" * 5_000
        + b',"due_date":"2026-04-10"}',
    ),
    (
        "due date of year 9999",
        "POST",
        "/v1/invoices",
        b'{"external_id":"x","debtor_id":"' + D.encode() + b'","amount_cents":100,"due_date":"9999-12-31"}',
    ),
    ("not UTF-8", "POST", "/v1/debtors", b'{"external_id":"x","name":"\xff"}'),
    ("a directory as a zone", "PUT", "/v1/settings", b'{"timezone":"America"}'),
    ("a holiday of year 9999", "PUT", "/v1/settings", b'{"holidays":["9999-12-31"]}'),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "body"), HOSTILE_BODIES, ids=[c for c, *_ in HOSTILE_BODIES]
)
async def test_hostile_bodies_are_problems_and_store_nothing(
    service: Service, migrated: str, case: str, method: str, path: str, body: bytes
) -> None:
    r = await service.client.request(
        method, path, content=body, headers={**service.auth(), "content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500, (case, r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json"
    assert await _stored(migrated, service.tenant) == (0, 0)
    assert (await service.get("/v1/settings")).json()["timezone"] == "America/Sao_Paulo"


async def test_hostile_query_parameters_are_problems(service: Service) -> None:
    cursor = "WzkyMjMzNzIwMzY4NTQ3NzU4MDhd"  # base64 of [9223372036854775808]: past bigint
    for path, params in (
        ("/v1/invoices", {"cursor": cursor}),
        ("/v1/debtors", {"cursor": cursor}),
        ("/v1/invoices", {"due_before": "9999-12-31"}),
        (f"/v1/invoices/{uuid4()}/amount-due", {"on": "0001-01-01"}),
    ):
        r = await service.get(path, **params)
        assert 400 <= r.status_code < 500, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"


async def test_forged_events_of_another_tenant_change_nothing_of_ours(service: Service) -> None:
    """Tenant B publishes a consent change and a payment carrying tenant A's
    debtor and invoice ids: A's debtor keeps its consents and A's invoice stays open."""
    debtor = await service.debtor(email="ana@example.com", consents={"email": True})
    invoice = await service.invoice(debtor["id"], due_date="2026-04-10")
    other = uuid4()
    await service.produce(
        DebtorConsentChangedV1(
            debtor_id=UUID(debtor["id"]), channel="email", consent=False, changed_at=service.clock.now()
        ),
        tenant=other,
    )
    await service.produce(
        PaymentReceivedV1(
            debtor_id=UUID(debtor["id"]),
            payment_id=uuid4(),
            invoice_id=UUID(invoice["id"]),
            method="pix",
            amount_cents=100_000,
            gateway_reference="forged",
            paid_at=service.clock.now(),
        ),
        tenant=other,
    )
    await service.settled()
    after = (await service.get(f"/v1/debtors/{debtor['id']}")).json()
    assert after["consents"] == {"email": True} and after["updated_at"] == debtor["updated_at"]
    read = (await service.get(f"/v1/invoices/{invoice['id']}")).json()
    assert read["status"] == "open" and read["amount_paid_cents"] == 0
    history = (await service.get(f"/v1/debtors/{debtor['id']}/consents")).json()["items"]
    assert [(c["channel"], c["consent"], c["source"]) for c in history] == [("email", True, "api")]
