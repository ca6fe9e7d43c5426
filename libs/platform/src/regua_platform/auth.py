"""Bearer-token auth: JWTs carrying the tenant id and scopes, and the access
every route declares.

Every service checks issuer, audience, expiry, lifetime and signature. Keys come
from the JWKS URL of an identity provider (RS256/ES256/EdDSA; the recommended
mode: services hold no signing key), or from an HS256 shared secret (the dev
stack). The scope ``admin`` grants every scope.

Every route declares its access: a scope (:func:`require_scope`, through a
``Scoped`` alias) or, for the few that take no bearer token, why it is public
(:func:`public`). :func:`declared_access` reads the declaration back; a test
walks every service's route table with it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol, cast
from uuid import UUID, uuid4

import httpx
import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from regua_platform.problems import Problem
from regua_platform.settings import AuthSettings

TENANT_CLAIM = "tenant_id"
ADMIN_SCOPE = "admin"

#: Every scope a Régua route may require, and what it grants. One vocabulary
#: for the five services (``invoices:read`` reads invoices on invoice-service
#: and their timelines on scheduler-service); ``admin`` grants all of them and
#: alone the tenant's settings (Pix/PSP and bank accounts, creditor, webhooks).
SCOPES: dict[str, str] = {
    ADMIN_SCOPE: (
        "every scope, and the tenant's settings: time zone and late rates, "
        "Pix/PSP and bank accounts, creditor, portal"
    ),
    "invoices:read": "read invoices, their amount due on a day, and their dunning timelines",
    "invoices:write": "issue, import (batch) and cancel invoices",
    "debtors:read": "read debtors and their consent history",
    "debtors:write": (
        "create and change debtors (channels, opt-outs with their legal basis), revoke portal links"
    ),
    "policies:read": "read dunning policies",
    "policies:write": "create dunning policies",
    "messages:read": "read sent messages and the message templates",
    "offers:read": "read renegotiation offer rules and simulate offers",
    "offers:write": "set renegotiation offer rules",
    "agreements:read": "read renegotiation agreements",
    "agreements:write": "create renegotiation agreements and pay them off early",
    "payments:read": "read payments and charges (Pix, boleto, card)",
    "payments:write": "refund payments",
}

log = logging.getLogger("regua.auth")


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
    algorithm: str = "HS256",
    key_id: str | None = None,
) -> str:
    """A token for ``tenant_id`` with ``scopes`` (space-separated ``scope``
    claim), signed with ``secret``: the HS256 secret, or a PEM private key for
    an asymmetric ``algorithm`` (then ``key_id`` names it in the JWKS)."""
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
    headers = {"kid": key_id} if key_id else None
    return jwt.encode(claims, secret, algorithm=algorithm, headers=headers)


class KeySet:
    """The JWKS of an identity provider, fetched with async HTTP and cached.

    Keys are refetched after ``jwks_cache_seconds``, and at once (at most every
    ``jwks_min_refresh_seconds``) when a token names a key id we do not hold:
    the provider rotated. A failed refresh keeps the keys we had.
    """

    def __init__(self, settings: AuthSettings, *, client: httpx.AsyncClient | None = None) -> None:
        assert settings.jwks_url is not None
        self._url = settings.jwks_url
        self._ttl = settings.jwks_cache_seconds
        self._min_refresh = settings.jwks_min_refresh_seconds
        self._client = client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -float("inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        now = time.monotonic()
        age = now - self._fetched_at
        if age > self._ttl or (kid not in self._keys and age > self._min_refresh):
            await self._refresh()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        try:
            return self._keys[kid or ""]
        except KeyError:
            raise _unauthorized() from None

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at <= self._min_refresh and self._keys:
                return  # another request refreshed while we waited
            try:
                client = self._client or httpx.AsyncClient(timeout=5.0)
                try:
                    response = await client.get(self._url)
                    response.raise_for_status()
                    document = json.loads(response.content)
                finally:
                    if self._client is None:
                        await client.aclose()
                keys = {}
                for entry in document.get("keys", []):
                    if entry.get("use", "sig") != "sig" or "kid" not in entry:
                        continue
                    try:
                        keys[str(entry["kid"])] = jwt.PyJWK(entry)
                    except jwt.PyJWTError:
                        log.warning("auth.jwks.key_skipped", extra={"kid": str(entry.get("kid"))})
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                log.warning("auth.jwks.fetch_failed", extra={"error": type(exc).__name__})
                self._fetched_at = time.monotonic()  # retry after min_refresh, not per request
                if not self._keys:
                    raise Problem(
                        503,
                        "Service unavailable",
                        "The identity provider's keys could not be fetched; retry.",
                        headers={"Retry-After": "5"},
                    ) from None
                return
            self._keys = keys
            self._fetched_at = time.monotonic()


class TokenVerifier:
    def __init__(self, settings: AuthSettings, *, http: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._jwks = KeySet(settings, client=http) if settings.jwks_url else None
        self._denied = frozenset(settings.denied_token_ids)

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`Problem` 401 otherwise."""
        s = self._settings
        if len(token) > s.max_token_chars:
            raise _unauthorized()
        try:
            if self._jwks is not None:
                header = jwt.get_unverified_header(token)
                jwk = await self._jwks.key(header.get("kid"))
                key: Any = jwk.key
                algorithms = [a for a in s.algorithms if not a.startswith("HS")]
            else:
                assert s.jwt_secret is not None
                key = s.jwt_secret.get_secret_value()
                algorithms = [a for a in s.algorithms if a.startswith("HS")]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub", TENANT_CLAIM]},
            )
            tenant = UUID(str(claims[TENANT_CLAIM]))
            lifetime = int(claims["exp"]) - int(claims["iat"])
        except jwt.ExpiredSignatureError:
            raise _unauthorized("The token has expired.") from None
        except (jwt.PyJWTError, ValueError, TypeError):
            # Never echo the library's text: it tells an attacker which check failed.
            raise _unauthorized() from None
        if lifetime > s.max_token_lifetime_seconds:
            raise _unauthorized("The token's lifetime is longer than this service accepts.")
        if self._denied and str(claims.get("jti")) in self._denied:
            raise _unauthorized("The token has been revoked.")
        scope = claims.get("scope", "")
        scopes = frozenset(scope.split() if isinstance(scope, str) else map(str, scope))
        return Principal(tenant_id=tenant, subject=str(claims["sub"]), scopes=scopes)


def _unauthorized(detail: str = "The token is not valid.") -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


bearer_scheme = HTTPBearer(
    auto_error=False, description="A JWT minted by `regua token` or the identity provider."
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Send 'Authorization: Bearer <token>'.")
    verifier: TokenVerifier = request.app.state.runtime.verifier
    return await verifier.verify(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]

_SCOPE_ATTR = "__regua_scope__"
_PUBLIC_ATTR = "__regua_public__"


def require_scope(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets only principals holding ``scope`` through (403
    otherwise). Services alias it once per scope:
    ``InvoicesRead = Annotated[Principal, Depends(require_scope("invoices:read"))]``."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has(scope):
            raise Problem(403, "Forbidden", f"This call needs the scope '{scope}'.", required_scope=scope)
        return principal

    setattr(check, _SCOPE_ATTR, scope)
    check.__name__ = f"require_scope_{scope.replace(':', '_')}"
    return check


def public(reason: str) -> Callable[[], Coroutine[Any, Any, None]]:
    """Declare that a route takes no bearer token, and why (``reason`` says what
    protects it instead): ``dependencies=[Depends(public("HMAC signature"))]``."""

    async def no_token() -> None:
        return None

    setattr(no_token, _PUBLIC_ATTR, reason)
    return no_token


@dataclass(frozen=True, slots=True)
class Access:
    """What a route declared: the scope it needs, or why it is public."""

    scope: str | None = None
    public: str | None = None


class RouteLike(Protocol):
    """What :func:`api_routes` yields: an :class:`APIRoute` or FastAPI's view of
    one inside an included router (with the router's dependencies merged in)."""

    path_format: str
    path_regex: re.Pattern[str]
    methods: set[str]
    include_in_schema: bool

    @property
    def dependant(self) -> Dependant | None: ...


def api_routes(app: FastAPI) -> list[RouteLike]:
    """Every API route of ``app``, through included routers, as served."""
    found: list[RouteLike] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append(cast(RouteLike, route))
        elif hasattr(route, "effective_route_contexts"):  # an included router (FastAPI ≥ 0.16x)
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    found.append(cast(RouteLike, context))
    return found


def declared_access(route: RouteLike) -> Access | None:
    """The access ``route`` declared (searched through its whole dependency
    tree), or ``None`` when it declared none."""
    stack = [route.dependant] if route.dependant is not None else []
    while stack:
        dependant = stack.pop()
        call = dependant.call
        if (scope := getattr(call, _SCOPE_ATTR, None)) is not None:
            return Access(scope=scope)
        if (reason := getattr(call, _PUBLIC_ATTR, None)) is not None:
            return Access(public=reason)
        stack.extend(dependant.dependencies)
    return None
