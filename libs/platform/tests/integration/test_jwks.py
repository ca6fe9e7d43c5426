"""Asymmetric tokens verified through a JWKS served over real HTTP: EdDSA and
RS256, keys fetched asynchronously and cached, a rotated key picked up, an
unknown key refused without hammering the provider."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from regua_devtools.testing import serve
from regua_platform.auth import TokenVerifier, mint_token
from regua_platform.problems import Problem
from regua_platform.settings import AuthSettings


class Provider:
    """A stand-in identity provider: its JWKS and how often it was fetched."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        self.private: dict[str, bytes] = {}

    def add_ed25519(self, kid: str) -> None:
        key = ed25519.Ed25519PrivateKey.generate()
        jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
        self.keys.append({**jwk, "kid": kid, "use": "sig", "alg": "EdDSA"})
        self.private[kid] = _pem(key)

    def add_rsa(self, kid: str) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        self.keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        self.private[kid] = _pem(key)

    def token(self, kid: str, algorithm: str, **overrides: Any) -> tuple[str, str]:
        tenant = str(uuid4())
        args: dict[str, Any] = {
            "secret": self.private[kid].decode(),
            "tenant_id": tenant,
            "scopes": ["invoices:read"],
            "issuer": "https://idp.example",
            "audience": "regua",
            "ttl": timedelta(minutes=10),
            "now": datetime.now(UTC),
            "algorithm": algorithm,
            "key_id": kid,
        }
        args.update(overrides)
        return mint_token(**args), tenant


def _pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
async def idp() -> AsyncIterator[tuple[Provider, str]]:
    provider = Provider()

    async def jwks(request: Request) -> JSONResponse:
        provider.fetches += 1
        return JSONResponse({"keys": provider.keys})

    async def ready(request: Request) -> JSONResponse:
        return JSONResponse({})

    app = Starlette(routes=[Route("/jwks.json", jwks), Route("/readyz", ready)])
    async with serve(app) as client:
        yield provider, f"{client.base_url}/jwks.json"


def verifier(url: str, **overrides: Any) -> TokenVerifier:
    settings: dict[str, Any] = {
        "jwks_url": url,
        "issuer": "https://idp.example",
        "audience": "regua",
        "jwks_min_refresh_seconds": 30,
    }
    settings.update(overrides)
    return TokenVerifier(AuthSettings(**settings))


async def test_eddsa_and_rs256_tokens_verify_with_one_fetch(idp: tuple[Provider, str]) -> None:
    provider, url = idp
    provider.add_ed25519("ed-1")
    provider.add_rsa("rsa-1")
    check = verifier(url)
    for kid, algorithm in (("ed-1", "EdDSA"), ("rsa-1", "RS256"), ("ed-1", "EdDSA")):
        token, tenant = provider.token(kid, algorithm)
        principal = await check.verify(token)
        assert str(principal.tenant_id) == tenant and principal.scopes == {"invoices:read"}
    assert provider.fetches == 1  # cached


async def test_a_rotated_key_is_fetched_when_a_token_names_it(idp: tuple[Provider, str]) -> None:
    provider, url = idp
    provider.add_ed25519("2026-11")
    check = verifier(url, jwks_min_refresh_seconds=30)
    await check.verify(provider.token("2026-11", "EdDSA")[0])
    provider.add_ed25519("2026-12")  # the provider rotates
    token, tenant = provider.token("2026-12", "EdDSA")
    # Within the minimum refresh interval the unknown key is refused without a fetch...
    with pytest.raises(Problem) as refused:
        await check.verify(token)
    assert refused.value.status == 401 and provider.fetches == 1
    # ...after it, the new key is fetched once and accepted.
    check._jwks._fetched_at -= 31  # type: ignore[union-attr]  # as if 31 s had passed
    assert str((await check.verify(token)).tenant_id) == tenant
    assert provider.fetches == 2


async def test_hs256_and_unknown_keys_are_refused_in_jwks_mode(idp: tuple[Provider, str]) -> None:
    """In JWKS mode a token signed with a shared secret is refused (no
    algorithm confusion), as is one from a key the provider never published."""
    provider, url = idp
    provider.add_ed25519("ed-1")
    check = verifier(url)
    forged = mint_token(
        secret="a-shared-secret-of-at-least-32-characters",
        tenant_id=uuid4(),
        scopes=["admin"],
        issuer="https://idp.example",
        audience="regua",
        ttl=timedelta(minutes=5),
        now=datetime.now(UTC),
        key_id="ed-1",
    )
    stranger = Provider()
    stranger.add_ed25519("ed-1")  # same kid, another key
    for token in (forged, stranger.token("ed-1", "EdDSA")[0]):
        with pytest.raises(Problem) as refused:
            await check.verify(token)
        assert refused.value.status == 401
        assert refused.value.detail == "The token is not valid."


async def test_long_lived_and_revoked_tokens_are_refused(idp: tuple[Provider, str]) -> None:
    provider, url = idp
    provider.add_ed25519("ed-1")
    long_lived, _ = provider.token("ed-1", "EdDSA", ttl=timedelta(days=30))
    with pytest.raises(Problem, match="lifetime"):
        await verifier(url).verify(long_lived)
    import jwt

    token, _ = provider.token("ed-1", "EdDSA")
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    with pytest.raises(Problem, match="revoked"):
        await verifier(url, denied_token_ids=[jti]).verify(token)


async def test_an_unreachable_provider_is_503_not_401() -> None:
    check = verifier("http://127.0.0.1:9/jwks.json")
    provider = Provider()
    provider.add_ed25519("ed-1")
    with pytest.raises(Problem) as unavailable:
        await check.verify(provider.token("ed-1", "EdDSA")[0])
    assert unavailable.value.status == 503
