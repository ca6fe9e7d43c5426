"""Bearer-token auth: JWTs carrying the tenant id and scopes.

Every service checks issuer, audience, expiry and signature, with a key from
settings (HS256 shared secret) or from the JWKS URL of an external identity
provider. The scope ``admin`` grants every scope.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from regua_platform.problems import Problem
from regua_platform.settings import AuthSettings

TENANT_CLAIM = "tenant_id"
ADMIN_SCOPE = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    subject: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        return ADMIN_SCOPE in self.scopes or scope in self.scopes


def mint_token(
    *,
    secret: str,
    tenant_id: str | UUID,
    scopes: Sequence[str],
    issuer: str,
    audience: str,
    ttl: timedelta,
    now: datetime,
    subject: str | None = None,
) -> str:
    """An HS256 token for ``tenant_id`` with ``scopes`` (space-separated ``scope`` claim)."""
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject or f"tenant:{tenant_id}",
        TENANT_CLAIM: str(UUID(str(tenant_id))),
        "scope": " ".join(scopes),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`Problem` 401 otherwise."""
        s = self._settings
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = [a for a in s.algorithms if not a.startswith("HS")] or ["RS256"]
            else:
                assert s.jwt_secret is not None
                key = s.jwt_secret.get_secret_value()
                algorithms = s.algorithms
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub", TENANT_CLAIM]},
            )
            tenant = UUID(str(claims[TENANT_CLAIM]))
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The token has expired.") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise _unauthorized(f"The token is not valid: {exc}") from None
        scope = claims.get("scope", "")
        scopes = frozenset(scope.split() if isinstance(scope, str) else scope)
        return Principal(tenant_id=tenant, subject=str(claims["sub"]), scopes=scopes)


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


_bearer = HTTPBearer(auto_error=False, description="A JWT minted by `regua token`.")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Send 'Authorization: Bearer <token>'.")
    verifier: TokenVerifier = request.app.state.runtime.verifier
    return verifier.verify(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets only principals holding ``scope`` through (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has(scope):
            raise Problem(403, "Forbidden", f"This call needs the scope '{scope}'.")
        return principal

    return check
