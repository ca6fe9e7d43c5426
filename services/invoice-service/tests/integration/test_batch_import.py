"""A large bulk load, written in chunks: counts and per-row errors as a
one-by-one load would give, and a load that dies midway retried without
duplicating anything."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from invoice_service.adapters.db.tables import invoices, messaging
from invoice_service.api.routers.invoices import load_batch
from invoice_service.domain.batch import parse_ndjson
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_devtools.testing import wait_for
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine, create_sessionmaker
from regua_platform.settings import DatabaseSettings

from .conftest import START, Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def _line(external_id: str, debtor_id: str, amount: Any = 10_000, due: str = "2026-04-10") -> str:
    return json.dumps(
        {"external_id": external_id, "debtor_id": debtor_id, "amount_cents": amount, "due_date": due}
    )


async def _post(service: Service, lines: list[str]) -> dict[str, Any]:
    response = await service.client.post(
        "/v1/invoices:batch",
        content="\n".join(lines),
        headers={**service.auth(), "content-type": "application/x-ndjson"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _count(url: str, tenant: UUID) -> int:
    engine = create_engine(DatabaseSettings(url=url), application_name="invoice-tests")
    try:
        async with engine.connect() as conn:
            query = select(func.count()).select_from(invoices).where(invoices.c.tenant_id == tenant)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_a_large_file_keeps_every_valid_row_and_reports_each_bad_one(
    service: Service, migrated: str
) -> None:
    debtors = [(await service.debtor())["id"] for _ in range(5)]
    n = 3_000
    lines: list[str] = []
    expected_errors: dict[int, int] = {}
    overdue = 0
    for row in range(1, n + 1):
        debtor = debtors[row % 5]
        if row % 500 == 0:
            lines.append("not json")
            expected_errors[row] = 422
        elif row % 300 == 0:
            lines.append(_line(f"big-{row}", debtor, amount=0))  # not a positive amount
            expected_errors[row] = 422
        elif row % 700 == 0:
            lines.append(_line(f"big-{row}", str(uuid4())))  # no such debtor
            expected_errors[row] = 404
        elif row % 1_100 == 0:
            # The external id of row 1 (an earlier chunk) again, with another amount.
            lines.append(_line("big-1", debtors[1], amount=1))
            expected_errors[row] = 409
        elif row % 1_300 == 0:
            lines.append(_line("big-1", debtors[1]))  # row 1 again, same data: existing
        elif row % 10 == 0:
            lines.append(_line(f"big-{row}", debtor, due="2026-03-02"))  # loaded already overdue
            overdue += 1
        else:
            lines.append(_line(f"big-{row}", debtor))

    result = await _post(service, lines)

    # Errors: multiples of 500 (6); of 300 but not 500 (10 - 2 = 8); of 700 not taken
    # above (700, 1400, 2800 = 3); of 1100 (2). Existing: 1300 and 2600 (2).
    assert result["received"] == n
    assert {e["row"]: e["status"] for e in result["errors"]} == expected_errors
    assert len(expected_errors) == 6 + 8 + 3 + 2
    assert [e["row"] for e in result["errors"]] == sorted(expected_errors)
    assert [(x["row"], x["external_id"]) for x in result["existing"]] == [(1300, "big-1"), (2600, "big-1")]
    assert result["existing"][0]["id"] == result["created"][0]["id"]
    created_rows = [c["row"] for c in result["created"]]
    assert created_rows == sorted(created_rows)
    assert len(created_rows) == n - len(expected_errors) - 2
    assert {e["row"]: e["detail"] for e in result["errors"]}[700] == (
        "debtor_id does not name a debtor of this tenant."
    )
    assert "exists with different data" in {e["row"]: e["detail"] for e in result["errors"]}[1100]
    assert await _count(migrated, service.tenant) == len(created_rows)

    await wait_for(lambda: len(service.of_type("invoice.issued")) >= len(created_rows), timeout=120)
    issued = Counter(e.data["external_id"] for e in service.of_type("invoice.issued"))
    assert len(issued) == len(created_rows) and set(issued.values()) == {1}
    await wait_for(lambda: len(service.of_type("invoice.overdue")) >= overdue, timeout=60)
    assert len(service.of_type("invoice.overdue")) == overdue


async def test_a_load_that_dies_midway_is_retried_without_duplicates(service: Service, migrated: str) -> None:
    debtor = (await service.debtor())["id"]
    lines = [_line(f"retry-{row}", debtor) for row in range(1, 501)]
    parsed = parse_ndjson("\n".join(lines), max_rows=10_000)
    engine = create_engine(DatabaseSettings(url=migrated), application_name="invoice-tests")
    sessions = create_sessionmaker(engine)
    opened = 0

    class Dying(InvoiceUnitOfWork):
        async def commit(self) -> None:
            raise ConnectionError("the process died")

    def new_uow() -> InvoiceUnitOfWork:
        # The third chunk's commit never happens: chunks 1 and 2 (rows 1..200) are written.
        nonlocal opened
        opened += 1
        kind = InvoiceUnitOfWork if opened <= 2 else Dying
        return kind(
            sessions,
            messaging,
            source="/regua/invoice-service",
            clock=FixedClock(START),
            topic_namespace=service.kafka.topic_namespace,
        )

    try:
        with pytest.raises(ConnectionError):
            await load_batch(new_uow, service.tenant, parsed, now=START, chunk_rows=100)
    finally:
        await engine.dispose()
    assert await _count(migrated, service.tenant) == 200

    result = await _post(service, lines)
    assert [x["row"] for x in result["existing"]] == list(range(1, 201))
    assert [x["row"] for x in result["created"]] == list(range(201, 501))
    assert result["errors"] == []
    assert await _count(migrated, service.tenant) == 500

    await wait_for(lambda: len(service.of_type("invoice.issued")) >= 500, timeout=60)
    issued = Counter(e.data["external_id"] for e in service.of_type("invoice.issued"))
    assert len(issued) == 500 and set(issued.values()) == {1}
