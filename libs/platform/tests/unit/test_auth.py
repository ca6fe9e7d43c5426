from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from regua_platform.auth import TokenVerifier, mint_token
from regua_platform.problems import Problem
from regua_platform.settings import AuthSettings

SECRET = "0123456789abcdef0123456789abcdef-unit"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def verifier() -> TokenVerifier:
    return TokenVerifier(AuthSettings(jwt_secret=SECRET))


async def test_a_minted_token_verifies_to_its_tenant_and_scopes() -> None:
    tenant = uuid4()
    token = mint_token(
        secret=SECRET,
        tenant_id=tenant,
        scopes=["invoices:write", "reports:read"],
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=12),
        now=datetime.now(UTC),
    )
    principal = await verifier().verify(token)
    assert principal.tenant_id == tenant
    assert principal.scopes == {"invoices:write", "reports:read"}
    assert principal.has("reports:read") and not principal.has("admin")


async def test_admin_holds_every_scope() -> None:
    token = mint_token(
        secret=SECRET,
        tenant_id=uuid4(),
        scopes=["admin"],
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=1),
        now=datetime.now(UTC),
    )
    assert (await verifier().verify(token)).has("anything:at-all")


async def test_expired_token_is_refused_with_401() -> None:
    token = mint_token(
        secret=SECRET,
        tenant_id=uuid4(),
        scopes=[],
        issuer="regua-dev",
        audience="regua",
        ttl=timedelta(hours=1),
        now=NOW - timedelta(days=1),
    )
    with pytest.raises(Problem) as caught:
        await verifier().verify(token)
    assert caught.value.status == 401
    assert "expired" in (caught.value.detail or "")


async def test_a_token_without_tenant_is_refused() -> None:
    import jwt

    token = jwt.encode(
        {"iss": "regua-dev", "aud": "regua", "sub": "x", "exp": int(datetime.now(UTC).timestamp()) + 60},
        SECRET,
    )
    with pytest.raises(Problem) as caught:
        await verifier().verify(token)
    # The body never echoes the JWT library's text (which check failed, which claim is missing).
    assert caught.value.status == 401
    assert caught.value.detail == "The token is not valid."


async def test_tenant_must_be_a_uuid() -> None:
    with pytest.raises(ValueError, match="badly formed"):
        mint_token(
            secret=SECRET,
            tenant_id="acme",
            scopes=[],
            issuer="i",
            audience="a",
            ttl=timedelta(hours=1),
            now=NOW,
        )


@pytest.mark.parametrize("secret", [None, "changeme", "short-secret"])
async def test_settings_refuse_a_missing_default_or_short_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="jwt_secret"):
        AuthSettings(jwt_secret=secret)


async def test_a_jwks_url_replaces_the_secret() -> None:
    settings = AuthSettings(jwks_url="https://idp.example/.well-known/jwks.json", algorithms=["RS256"])
    assert settings.jwt_secret is None
