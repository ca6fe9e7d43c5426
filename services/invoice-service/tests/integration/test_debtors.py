"""Debtors over HTTP: validation, idempotency, tenant isolation, pagination, events."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from regua_contracts.debtor.v1 import DebtorConsentChangedV1
from regua_devtools.testing import wait_for

from .conftest import Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

BODY = {
    "external_id": "cli-1",
    "name": "Ana Souza",
    "document": "529.982.247-25",
    "email": "Ana@Example.COM",
    "phone": "(11) 91234-5678",
    "whatsapp": "11 91234-5678",
    "preferred_channels": ["whatsapp", "email"],
    "consents": {"whatsapp": True, "sms": False},
}


async def test_create_is_idempotent_per_external_id_and_conflicts_on_other_data(service: Service) -> None:
    created = await service.post("/v1/debtors", BODY)
    assert created.status_code == 201, created.text
    debtor = created.json()
    assert debtor["document"] == "52998224725" and debtor["document_type"] == "cpf"
    assert debtor["email"] == "Ana@example.com"
    assert debtor["phone"] == debtor["whatsapp"] == "+5511912345678"
    assert debtor["preferred_channels"] == ["whatsapp", "email"]
    assert debtor["consents"] == {"whatsapp": True, "sms": False}

    again = await service.post("/v1/debtors", BODY)
    assert again.status_code == 200 and again.json()["id"] == debtor["id"]

    other = await service.post("/v1/debtors", {**BODY, "name": "Outra"})
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["status"] == 409

    # The same external id in another tenant is another debtor.
    elsewhere = await service.post("/v1/debtors", BODY, tenant=uuid4())
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != debtor["id"]

    await wait_for(lambda: service.of_type("debtor.updated", debtor["id"]), timeout=30)
    [event] = service.of_type("debtor.updated", debtor["id"])
    assert event.tenantid == service.tenant
    assert event.data["document"] == "52998224725" and event.data["phone"] == "+5511912345678"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"document": "529.982.247-26"}, "document"),
        ({"document": "123"}, "document"),
        ({"phone": "12345"}, "phone"),
        ({"whatsapp": "abc"}, "whatsapp"),
        ({"email": "not-an-email"}, "email"),
        ({"preferred_channels": ["pigeon"]}, "preferred_channels"),
        ({"consents": {"email": "maybe"}}, "consents"),
        ({"external_id": ""}, "external_id"),
    ],
)
async def test_invalid_debtors_get_422_problem_naming_the_field(
    service: Service, change: dict[str, object], field: str
) -> None:
    response = await service.post("/v1/debtors", {**BODY, "external_id": "bad", **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert any(field in err["loc"] for err in problem["errors"])
    # Personal data is not echoed back in the message.
    assert "529.982.247-26" not in str([e["msg"] for e in problem["errors"]])


async def test_alphanumeric_cnpj_and_tenant_isolation_and_patch(service: Service) -> None:
    debtor = await service.debtor("acme", document="12.ABC.345/01DE-35", name="ACME Ltda")
    assert debtor["document"] == "12ABC34501DE35" and debtor["document_type"] == "cnpj"

    assert (await service.get(f"/v1/debtors/{debtor['id']}")).status_code == 200
    foreign = await service.get(f"/v1/debtors/{debtor['id']}", tenant=uuid4())
    assert foreign.status_code == 404 and foreign.headers["content-type"] == "application/problem+json"

    patched = await service.client.patch(
        f"/v1/debtors/{debtor['id']}",
        json={"phone": "+55 21 3456-7890", "consents": {"sms": False}, "email": None},
        headers=service.auth(),
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["phone"] == "+552134567890" and body["consents"] == {"sms": False} and body["email"] is None
    bad = await service.client.patch(
        f"/v1/debtors/{debtor['id']}", json={"phone": "1"}, headers=service.auth()
    )
    assert bad.status_code == 422
    foreign_patch = await service.client.patch(
        f"/v1/debtors/{debtor['id']}", json={"name": "x"}, headers=service.auth(uuid4())
    )
    assert foreign_patch.status_code == 404

    await wait_for(lambda: len(service.of_type("debtor.updated", debtor["id"])) == 2, timeout=30)
    assert service.of_type("debtor.updated", debtor["id"])[-1].data["phone"] == "+552134567890"


async def test_list_is_cursor_paginated_and_tenant_scoped(service: Service) -> None:
    ids = [(await service.debtor(f"p-{n}"))["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await service.get("/v1/debtors", **params)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert (await service.get("/v1/debtors", cursor="garbage!")).status_code == 422  # not a cursor's shape
    assert (await service.get("/v1/debtors", tenant=uuid4())).json() == {"items": [], "next_cursor": None}


async def test_an_opt_out_from_the_portal_is_kept_on_the_debtor(service: Service) -> None:
    debtor = await service.debtor(email="ana@exemplo.com.br", consents={"email": True, "sms": True})
    await service.produce(
        DebtorConsentChangedV1(
            debtor_id=UUID(debtor["id"]),
            channel="sms",
            consent=False,
            changed_at=datetime(2026, 3, 10, 15, 5, tzinfo=UTC),
        )
    )

    async def opted_out() -> bool:
        body = (await service.get(f"/v1/debtors/{debtor['id']}")).json()
        return bool(body["consents"] == {"email": True, "sms": False})

    await wait_for(opted_out, timeout=30)

    def announced() -> bool:
        updates = service.of_type("debtor.updated", debtor["id"])
        return bool(updates) and updates[-1].payload.model_dump()["consents"] == {"email": True, "sms": False}

    await wait_for(announced, timeout=30)


async def test_segment_is_validated_stored_returned_and_carried_by_debtor_updated(service: Service) -> None:
    for bad in ("Varejo SP", "", "a" * 65, "vip!", 7):
        response = await service.post(
            "/v1/debtors", {**BODY, "external_id": f"s-{uuid4().hex[:6]}", "segment": bad}
        )
        assert response.status_code == 422, bad
    created = await service.post("/v1/debtors", {**BODY, "external_id": "seg-1", "segment": "varejo-sp"})
    assert created.status_code == 201, created.text
    debtor = created.json()
    assert debtor["segment"] == "varejo-sp"
    assert (await service.get(f"/v1/debtors/{debtor['id']}")).json()["segment"] == "varejo-sp"
    # Posting it again with another segment is other data.
    assert (
        await service.post("/v1/debtors", {**BODY, "external_id": "seg-1", "segment": "vip"})
    ).status_code == 409

    path = f"/v1/debtors/{debtor['id']}"
    bad = await service.client.patch(path, json={"segment": "VIP"}, headers=service.auth())
    assert bad.status_code == 422
    changed = await service.client.patch(path, json={"segment": "a" * 64}, headers=service.auth())
    assert changed.status_code == 200 and changed.json()["segment"] == "a" * 64
    cleared = await service.client.patch(path, json={"segment": None}, headers=service.auth())
    assert cleared.status_code == 200 and cleared.json()["segment"] is None

    await wait_for(lambda: len(service.of_type("debtor.updated", debtor["id"])) == 3, timeout=30)
    segments = [e.data["segment"] for e in service.of_type("debtor.updated", debtor["id"])]
    assert segments == ["varejo-sp", "a" * 64, None]
    plain = await service.debtor()
    assert plain["segment"] is None
