"""The portal's defences over real HTTP: the first-device challenge (and its
lock), revocation, logout, security headers, cookies over HTTPS, the rate
limiter behind trusted proxies, and forged cross-tenant debtor events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from fastapi import Response

from negotiation_service.adapters.db.tables import debtors
from negotiation_service.api.portal.deps import Cookies
from negotiation_service.main import DEFINITION
from negotiation_service.settings import Settings
from regua_contracts.debtor.v1 import DebtorUpdatedV1
from regua_platform.app import create_app
from regua_platform.auth import mint_token
from regua_platform.clock import FixedClock
from regua_platform.db import create_engine
from regua_platform.settings import AuthSettings, DatabaseSettings, HttpSettings, KafkaSettings

from .conftest import PORTAL_KEYS, SECRET, START, Service
from .portal_helpers import debtor_updated, enter, field, link

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]


def fresh(service: Service) -> httpx.AsyncClient:
    """Another device: no cookies."""
    return httpx.AsyncClient(base_url=str(service.client.base_url))


def token(service: Service, *scopes: str) -> dict[str, str]:
    minted = mint_token(
        secret=SECRET,
        tenant_id=service.tenant,
        scopes=scopes,
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC),
    )
    return {"Authorization": f"Bearer {minted}"}


async def test_a_new_device_answers_the_challenge_before_any_data(service: Service, migrated: str) -> None:
    debtor = uuid4()
    a = await service.issued(debtor, 100_000)
    await debtor_updated(service, debtor, "Ana Lima")
    await service.known(debtor, [a])
    await enter(service, debtor, a, introduce=False)  # the debtor's event is in

    url = link(service, debtor, a)
    async with fresh(service) as device:
        page = await device.get(url)
        assert page.status_code == 200 and "Confirme que é você" in page.text
        assert "3 primeiros números do CPF" in page.text and "R$" not in page.text and "Ana" not in page.text
        assert (await device.get("/portal")).status_code == 401  # no session before the answer
        assert (await device.get("/portal/negociar")).status_code == 401
        csrf = field(page.text, "csrf")
        # Without the challenge cookie's token (a form from another site): refused, not counted.
        assert (await device.post(url, data={"csrf": "x" * 40, "digitos": "529"})).status_code == 403
        malformed = await device.post(url, data={"csrf": csrf, "digitos": "52"})
        assert malformed.status_code == 400 and "3 primeiros números" in malformed.text
        for left in (4, 3, 2, 1):
            wrong = await device.post(url, data={"csrf": csrf, "digitos": "123"})
            assert wrong.status_code == 400 and "não conferem" in wrong.text
            assert f"Restam {left} tentativa" in wrong.text and "set-cookie" not in wrong.headers
        fifth = await device.post(url, data={"csrf": csrf, "digitos": "123"})
        assert fifth.status_code == 403 and "Link bloqueado" in fifth.text
        # Locked: even the right answer opens nothing now, and the link shows the lock.
        assert (await device.post(url, data={"csrf": csrf, "digitos": "529"})).status_code == 403
        assert "Link bloqueado" in (await device.get(url)).text
        assert (await device.get("/portal")).status_code == 401

    other = link(service, debtor, await service.issued(debtor, 5_000))  # another link still works
    async with fresh(service) as device:
        page = await device.get(other)
        r = await device.post(other, data={"csrf": field(page.text, "csrf"), "digitos": "529."})
        assert r.status_code == 303 and r.headers["location"] == "/portal"
        assert "Olá, Ana." in (await device.get("/portal")).text
        # The device is remembered for this debtor: the next link opens at once.
        third = link(service, debtor, await service.issued(debtor, 7_000))
        assert (await device.get(third)).status_code == 303

    # Only a keyed hash of the 3 characters is kept, never the document.
    engine = create_engine(DatabaseSettings(url=migrated), application_name="negotiation-tests")
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(sa.select(debtors).where(debtors.c.id == debtor))).one()
    finally:
        await engine.dispose()
    assert len(row.challenge_digest) == 64 and "529" not in row.challenge_digest
    assert "52998224725" not in str(tuple(row))


async def test_revocation_voids_links_sessions_and_devices(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor)
    await enter(service, debtor, a)
    old = link(service, debtor, a)
    assert (await service.client.get("/portal")).status_code == 200
    path = f"/v1/debtors/{debtor}/portal-links/revoke"
    r = await service.client.post(path, headers=token(service, "debtors:read", "agreements:write"))
    assert r.status_code == 403 and r.json()["required_scope"] == "debtors:write"

    service.clock.advance(timedelta(minutes=1))
    r = await service.client.post(path, headers=token(service, "debtors:write"))
    assert r.status_code == 200 and r.json()["debtor_id"] == str(debtor)
    assert (await service.client.get("/portal")).status_code == 401  # the open session ended
    gone = await service.client.get(old)
    assert gone.status_code == 410 and "não vale mais" in gone.text and "set-cookie" not in gone.headers

    # A link sent after the revocation works, but the device must prove itself again.
    service.clock.advance(timedelta(minutes=1))
    fresh_link = await service.client.get(link(service, debtor, a))
    assert fresh_link.status_code == 200 and "Confirme que é você" in fresh_link.text
    assert (await enter(service, debtor, a, introduce=False)).status_code == 303
    assert (await service.client.get("/portal")).status_code == 200


async def test_logout_and_headers_of_every_portal_response(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor)
    await enter(service, debtor, a)
    home = await service.client.get("/portal")
    assert "Sair" in home.text and 'action="/portal/sair"' in home.text
    for r in (
        home,
        await service.client.get(f"/portal/faturas/{a}"),
        await service.client.get("/portal/l/junk"),
        await service.client.get("/portal/nada-aqui"),
        await service.client.get("/portal/static/pay.js"),
    ):
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert (
            r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
        )
        assert "strict-transport-security" not in r.headers  # plain HTTP here
        if r.headers["content-type"].startswith("text/html"):
            assert "<script>" not in r.text and "<style>" not in r.text  # nothing inline
    assert (await service.client.get("/portal/nada-aqui")).status_code == 404

    assert (await service.client.post("/portal/sair", data={"csrf": "x" * 40})).status_code == 403
    bye = await service.client.post("/portal/sair", data={"csrf": field(home.text, "csrf")})
    assert bye.status_code == 200 and "Você saiu" in bye.text
    assert 'regua_portal=""' in bye.headers["set-cookie"]
    assert (await service.client.get("/portal")).status_code == 401


def test_cookies_over_https_are_secure_and_host_prefixed() -> None:
    response = Response()
    Cookies(https=True).put(response, "regua_portal", "v", 60)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-regua_portal=v;")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/;" in cookie and "SameSite=lax" in cookie
    assert "Domain" not in cookie


async def test_a_forged_debtor_event_of_another_tenant_changes_nothing(service: Service) -> None:
    debtor = uuid4()
    a = await service.issued(debtor)
    await debtor_updated(service, debtor, "Ana Lima")
    await service.known(debtor, [a])
    await enter(service, debtor, a, introduce=False)
    # A debtor.updated of tenant B carrying A's debtor id, another name and document.
    await service.produce(
        DebtorUpdatedV1(
            debtor_id=debtor,
            external_id="forged",
            name="Forjado",
            document="98765432100",
            consents={},
            updated_at=service.clock.now() + timedelta(days=1),
        ),
        tenant=uuid4(),
    )
    await service.settled()
    async with fresh(service) as device:
        url = link(service, debtor, a)
        page = await device.get(url)
        refused = await device.post(url, data={"csrf": field(page.text, "csrf"), "digitos": "987"})
        assert refused.status_code == 400  # the forged document's digits are not A's
        r = await device.post(url, data={"csrf": field(page.text, "csrf"), "digitos": "529"})
        assert r.status_code == 303
        assert "Olá, Ana." in (await device.get("/portal")).text


PROXIED = {"http": HttpSettings(port=8004, trusted_proxies=["127.0.0.1"]), "portal_rate_capacity": 3}


@pytest.mark.parametrize("overrides", [PROXIED], indirect=True)
async def test_debtors_behind_one_trusted_proxy_get_their_own_buckets(service: Service) -> None:
    async def codes(client_ip: str) -> list[int]:
        headers = {"X-Forwarded-For": client_ip}
        return [(await service.client.get("/portal/l/junk", headers=headers)).status_code for _ in range(4)]

    assert await codes("203.0.113.10") == [401, 401, 401, 429]
    assert await codes("203.0.113.20") == [401, 401, 401, 429]  # another debtor: a bucket of its own


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    migrated: str, kafka_settings: KafkaSettings
) -> None:
    """The peer (198.51.100.7) is not a trusted proxy: its X-Forwarded-For is
    ignored and every request falls in its own address's one bucket."""
    settings = Settings(
        auth=AuthSettings(jwt_secret=SECRET),
        portal_keys=PORTAL_KEYS,
        portal_https=False,
        database=DatabaseSettings(url=migrated),
        kafka=kafka_settings,
        http=HttpSettings(port=8004, trusted_proxies=["127.0.0.1"]),
        portal_rate_capacity=3,
    )
    app = create_app(DEFINITION, settings, role="api", clock=FixedClock(START))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40_000))
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
            seen = [
                (
                    await client.get("/portal/l/junk", headers={"X-Forwarded-For": f"203.0.113.{n}"})
                ).status_code
                for n in range(4)
            ]
    assert seen == [401, 401, 401, 429]
