"""LGPD: an opt-out the debtor made themselves (the portal's
debtor.consent-changed) is reversed only by the debtor or by an API change that
records a legal basis; every change is kept with who, when and on what basis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from regua_contracts.debtor.v1 import DebtorConsentChangedV1
from regua_devtools.testing import wait_for
from regua_platform.auth import mint_token

from .conftest import SECRET, Service

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def as_subject(service: Service, subject: str) -> dict[str, str]:
    minted = mint_token(
        secret=SECRET,
        tenant_id=service.tenant,
        scopes=["debtors:write", "debtors:read"],
        subject=subject,
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {minted}"}


async def debtor_opts(service: Service, debtor_id: str, channel: Any, consent: bool) -> None:
    await service.produce(
        DebtorConsentChangedV1(
            debtor_id=UUID(debtor_id), channel=channel, consent=consent, changed_at=service.clock.now()
        )
    )
    await service.settled()


async def history(service: Service, debtor_id: str) -> list[tuple[Any, ...]]:
    items = (await service.get(f"/v1/debtors/{debtor_id}/consents")).json()["items"]
    return [
        (c["channel"], c["consent"], c["source"], c["actor"], c["basis"] and c["basis"]["kind"])
        for c in items
    ]


async def test_the_api_cannot_undo_the_debtors_own_opt_out_without_a_legal_basis(service: Service) -> None:
    debtor = await service.debtor(email="ana@example.com", consents={"email": True, "sms": True})
    d = debtor["id"]
    await debtor_opts(service, d, "email", False)
    assert (await service.get(f"/v1/debtors/{d}")).json()["consents"] == {"email": False, "sms": True}

    # Without a basis: 409 naming why and which channel; nothing changes, not even the rest of the PATCH.
    attempt = {"consents": {"email": True}, "name": "Ana Maria"}
    r = await service.client.patch(f"/v1/debtors/{d}", json=attempt, headers=as_subject(service, "crm"))
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["reason"] == "consent_withdrawn_by_debtor" and r.json()["channels"] == ["email"]
    unchanged = (await service.get(f"/v1/debtors/{d}")).json()
    assert unchanged["consents"] == {"email": False, "sms": True} and unchanged["name"] == "Ana"

    # A basis outside the fixed list, or without its evidence, is a 422.
    for basis in ({"kind": "because", "reference": "x-123"}, {"kind": "legal_obligation"}):
        r = await service.client.patch(
            f"/v1/debtors/{d}",
            json={"consents": {"email": True}, "consent_basis": basis},
            headers=service.auth(),
        )
        assert r.status_code == 422, r.text

    # Other channels the tenant changes freely, off and on again (no opt-out of the debtor's there).
    for value in (False, True):
        r = await service.client.patch(
            f"/v1/debtors/{d}", json={"consents": {"sms": value}}, headers=as_subject(service, "crm")
        )
        assert r.status_code == 200 and r.json()["consents"]["sms"] is value

    # With a recorded legal basis: applied, and the history says who, when and why.
    with_basis = {
        "consents": {"email": True},
        "consent_basis": {"kind": "debtor_request_recorded", "reference": "Protocolo 2026-000123"},
    }
    r = await service.client.patch(
        f"/v1/debtors/{d}", json=with_basis, headers=as_subject(service, "ops-maria")
    )
    assert r.status_code == 200 and r.json()["consents"]["email"] is True
    assert await history(service, d) == [
        ("email", True, "api", f"tenant:{service.tenant}", None),
        ("sms", True, "api", f"tenant:{service.tenant}", None),
        ("email", False, "debtor", "debtor", None),
        ("sms", False, "api", "crm", None),
        ("sms", True, "api", "crm", None),
        ("email", True, "api", "ops-maria", "debtor_request_recorded"),
    ]
    page = (await service.get(f"/v1/debtors/{d}/consents", limit=5)).json()
    [last] = (await service.get(f"/v1/debtors/{d}/consents", cursor=page["next_cursor"])).json()["items"]
    assert last["actor"] == "ops-maria" and last["basis"]["reference"] == "Protocolo 2026-000123"
    assert last["changed_at"] == last["recorded_at"] == "2026-03-10T15:00:00Z"  # the test's fixed clock
    await wait_for(
        lambda: any(
            e.data["consents"] == {"email": True, "sms": True} for e in service.of_type("debtor.updated", d)
        )
    )


async def test_the_debtor_may_undo_their_own_opt_out(service: Service) -> None:
    debtor = await service.debtor(email="bia@example.com")
    d = debtor["id"]
    await debtor_opts(service, d, "whatsapp", False)
    await debtor_opts(service, d, "whatsapp", True)
    assert (await service.get(f"/v1/debtors/{d}")).json()["consents"] == {"whatsapp": True}
    # The last word is the debtor's yes: the tenant may switch it off and on again.
    for value in (False, True):
        r = await service.client.patch(
            f"/v1/debtors/{d}", json={"consents": {"whatsapp": value}}, headers=service.auth()
        )
        assert r.status_code == 200, r.text
    assert [h[:3] for h in await history(service, d)] == [
        ("whatsapp", False, "debtor"),
        ("whatsapp", True, "debtor"),
        ("whatsapp", False, "api"),
        ("whatsapp", True, "api"),
    ]


async def test_consent_history_of_another_tenants_debtor_is_not_found(service: Service) -> None:
    debtor = await service.debtor()
    from uuid import uuid4

    r = await service.get(f"/v1/debtors/{debtor['id']}/consents", tenant=uuid4())
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
