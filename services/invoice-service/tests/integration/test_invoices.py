"""Invoices over HTTP: issue, idempotency, read with amount due, list, cancel, batch."""

from __future__ import annotations

from uuid import uuid4

import pytest

from regua_devtools.testing import wait_for

from .conftest import Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_issue_read_idempotency_and_isolation(service: Service) -> None:
    debtor = await service.debtor()
    body = {
        "external_id": "nf-1",
        "debtor_id": debtor["id"],
        "amount_cents": 123_456,
        "due_date": "2026-03-20",
        "description": "Mensalidade março",
    }
    created = await service.post("/v1/invoices", body)
    assert created.status_code == 201, created.text
    invoice = created.json()
    assert invoice["status"] == "open"
    assert invoice["amount_due_cents"] == 123_456 and invoice["fine_cents"] == 0
    assert invoice["late_fine_bps"] == 200 and invoice["monthly_interest_bps"] == 100
    assert invoice["as_of"] == "2026-03-10" and invoice["overpaid_cents"] == 0

    again = await service.post("/v1/invoices", body)
    assert again.status_code == 200 and again.json()["id"] == invoice["id"]
    conflict = await service.post("/v1/invoices", {**body, "amount_cents": 1})
    assert conflict.status_code == 409 and conflict.headers["content-type"] == "application/problem+json"

    for bad in (
        {"amount_cents": 10.5},
        {"amount_cents": "100"},
        {"amount_cents": 0},
        {"due_date": "31/03/2026"},
    ):
        response = await service.post("/v1/invoices", {**body, "external_id": "nf-bad", **bad})
        assert response.status_code == 422, (bad, response.text)
    unknown = await service.post("/v1/invoices", {**body, "external_id": "nf-2", "debtor_id": str(uuid4())})
    assert unknown.status_code == 404 and "debtor_id" in unknown.json()["detail"]
    # Another tenant can neither see the invoice nor bill the debtor.
    other = uuid4()
    assert (await service.get(f"/v1/invoices/{invoice['id']}", tenant=other)).status_code == 404
    assert (await service.post("/v1/invoices", {**body, "external_id": "x"}, tenant=other)).status_code == 404
    assert (await service.post(f"/v1/invoices/{invoice['id']}:cancel", None, tenant=other)).status_code == 404

    fetched = (await service.get(f"/v1/invoices/{invoice['id']}")).json()
    assert fetched == invoice

    await wait_for(lambda: service.of_type("invoice.issued", invoice["id"]), timeout=30)
    [issued] = service.of_type("invoice.issued", invoice["id"])
    assert issued.data["amount_cents"] == 123_456 and issued.data["due_date"] == "2026-03-20"
    assert issued.data["debtor_id"] == debtor["id"] and issued.data["external_id"] == "nf-1"
    assert not service.of_type("invoice.overdue", invoice["id"])


async def test_list_filters_and_pagination(service: Service) -> None:
    a = await service.debtor()
    b = await service.debtor()
    early = [await service.invoice(a["id"], due_date=f"2026-04-0{d}") for d in (1, 2, 3)]
    late = await service.invoice(b["id"], due_date="2026-05-01")

    async def all_pages(**params: object) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            page = (
                await service.get("/v1/invoices", limit=2, **params, **({"cursor": cursor} if cursor else {}))
            ).json()
            ids += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return ids

    assert await all_pages() == [i["id"] for i in [*early, late]]
    assert await all_pages(debtor_id=b["id"]) == [late["id"]]
    assert await all_pages(due_before="2026-04-03") == [i["id"] for i in early[:2]]
    await service.post(f"/v1/invoices/{early[0]['id']}:cancel", None)
    assert await all_pages(status="cancelled") == [early[0]["id"]]
    assert await all_pages(status="open", debtor_id=a["id"]) == [i["id"] for i in early[1:]]
    assert (await service.get("/v1/invoices", status="bogus")).status_code == 422


async def test_cancel_publishes_status_changed_once(service: Service) -> None:
    debtor = await service.debtor()
    invoice = await service.invoice(debtor["id"], due_date="2026-04-01")
    response = await service.post(f"/v1/invoices/{invoice['id']}:cancel", None)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["amount_due_cents"] == 0 and body["cancelled_at"]
    again = await service.post(f"/v1/invoices/{invoice['id']}:cancel", None)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert (await service.post(f"/v1/invoices/{uuid4()}:cancel", None)).status_code == 404

    await wait_for(lambda: service.of_type("invoice.status-changed", invoice["id"]), timeout=30)
    [event] = service.of_type("invoice.status-changed", invoice["id"])
    assert event.data["previous_status"] == "open" and event.data["status"] == "cancelled"
    assert event.data["reason"] == "cancelled"


async def test_batch_keeps_valid_rows_and_reports_bad_ones(service: Service) -> None:
    debtor = await service.debtor()
    d = debtor["id"]
    existing = await service.invoice(d, external_id="b-existing", due_date="2026-04-01")
    lines = [
        f'{{"external_id":"b-1","debtor_id":"{d}","amount_cents":1000,"due_date":"2026-04-01"}}',
        f'{{"external_id":"b-2","debtor_id":"{d}","amount_cents":10.5,"due_date":"2026-04-01"}}',
        "not json",
        f'{{"external_id":"b-existing","debtor_id":"{d}","amount_cents":100000,"due_date":"2026-04-01"}}',
        f'{{"external_id":"b-3","debtor_id":"{uuid4()}","amount_cents":1000,"due_date":"2026-04-01"}}',
        f'{{"external_id":"b-1","debtor_id":"{d}","amount_cents":999,"due_date":"2026-04-01"}}',
        f'{{"external_id":"b-4","debtor_id":"{d}","amount_cents":2000,"due_date":"2026-03-01","description":"old"}}',
    ]
    response = await service.client.post(
        "/v1/invoices:batch",
        content="\n".join(lines),
        headers={**service.auth(), "content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["received"] == 7
    assert [(c["row"], c["external_id"]) for c in result["created"]] == [(1, "b-1"), (7, "b-4")]
    assert result["existing"] == [{"row": 4, "id": existing["id"], "external_id": "b-existing"}]
    assert [(e["row"], e["status"]) for e in result["errors"]] == [(2, 422), (3, 422), (5, 404), (6, 409)]
    assert "amount_cents" in result["errors"][0]["detail"]

    b4 = (await service.get(f"/v1/invoices/{result['created'][1]['id']}")).json()
    assert b4["status"] == "overdue" and b4["description"] == "old"

    csv = (
        "external_id,debtor_id,amount_cents,due_date,description\r\n"
        f"c-1,{d},5000,2026-04-10,Plano A\r\n"
        f"c-2,{d},50.00,2026-04-10,\r\n"
        f"c-3,{d},5000,2026-02-30,\r\n"
        f"c-4,{d},7000,2026-04-11,\r\n"
    )
    response = await service.client.post(
        "/v1/invoices:batch", content=csv.encode(), headers={**service.auth(), "content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert [c["external_id"] for c in result["created"]] == ["c-1", "c-4"]
    assert [e["row"] for e in result["errors"]] == [2, 3]

    wrong_type = await service.client.post(
        "/v1/invoices:batch", content="{}", headers={**service.auth(), "content-type": "application/json"}
    )
    assert wrong_type.status_code == 415
    bad_header = await service.client.post(
        "/v1/invoices:batch", content="a,b\n1,2\n", headers={**service.auth(), "content-type": "text/csv"}
    )
    assert bad_header.status_code == 422 and bad_header.headers["content-type"] == "application/problem+json"
    # Not a row at all (a line of 5 MB): refused whole; the 32 MiB cap is in test_security.
    no_rows = await service.client.post(
        "/v1/invoices:batch",
        content=b"x" * 5_000_001,
        headers={**service.auth(), "content-type": "application/x-ndjson"},
    )
    assert no_rows.status_code == 422 and "longer than" in no_rows.json()["detail"]

    await wait_for(lambda: len(service.of_type("invoice.issued")) >= 5, timeout=30)
    issued = {e.data["external_id"] for e in service.of_type("invoice.issued")}
    assert {"b-1", "b-4", "c-1", "c-4"} <= issued and "b-2" not in issued
