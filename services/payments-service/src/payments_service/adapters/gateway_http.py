"""What the PSP and bank adapters share: an mTLS-ready HTTP client, OAuth2
client-credentials tokens cached until shortly before they expire, and the
mapping of failures to :class:`GatewayError`.

Logs carry the method, path template and status only: never a body (bodies
hold CPFs and names) nor a token.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Mapping
from typing import Any

import httpx

from payments_service.domain.gateways import GatewayError

log = logging.getLogger("payments.gateway")

#: Refresh a token this long before the expiry its server announced.
EXPIRY_MARGIN_S = 60


def gateway_http_client(
    *,
    timeout_s: float,
    client_cert: str | None = None,
    client_key: str | None = None,
    ca_bundle: str | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for a PSP or bank: TLS verified (against
    ``ca_bundle`` when given), presenting ``client_cert``/``client_key`` for
    mTLS (the API Pix requires it in production), no redirects followed."""
    context = ssl.create_default_context(cafile=ca_bundle)
    if client_cert is not None:
        context.load_cert_chain(certfile=client_cert, keyfile=client_key)
    return httpx.AsyncClient(
        verify=context, timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False
    )


class OAuthSession:
    """Bearer requests with an OAuth2 client-credentials token (RFC 6749 §4.4),
    fetched with HTTP Basic client authentication, cached until ``expires_in``
    minus a margin, and fetched again once when a call answers 401."""

    def __init__(
        self, *, http: httpx.AsyncClient, token_url: str, client_id: str, client_secret: str, what: str
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._what = what
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch_token(self) -> str:
        async with self._lock:
            if self._token is not None and time.monotonic() < self._expires_at:
                return self._token
            response = await self._send(
                "POST", self._token_url, "token", data={"grant_type": "client_credentials"}, auth=self._auth
            )
            if response.status_code != 200:
                raise error_of(response, f"{self._what} token")
            try:
                body = response.json()
                token = str(body["access_token"])
                expires_in = int(body.get("expires_in", 300))
            except (ValueError, KeyError, TypeError):
                raise GatewayError(
                    f"{self._what} token answer is malformed", status=200, retryable=True
                ) from None
            self._token = token
            self._expires_at = time.monotonic() + max(expires_in - EXPIRY_MARGIN_S, expires_in / 2)
            return token

    async def request(
        self,
        method: str,
        url: str,
        route: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        """Send with the cached token; on 401 drop it, fetch a new one and retry once.
        Transport failures become a retryable :class:`GatewayError`; the
        response is returned whatever its status (callers map it)."""
        for attempt in (1, 2):
            token = await self._fetch_token()
            response = await self._send(
                method, url, route, json=json, params=params, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code != 401 or attempt == 2:
                return response
            self._token = None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, method: str, url: str, route: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            log.warning("payments.gateway.timeout", extra={"gateway": self._what, "route": route})
            raise GatewayError(f"{self._what} timed out on {route}", retryable=True) from None
        except httpx.HTTPError as exc:
            log.warning("payments.gateway.unreachable", extra={"gateway": self._what, "route": route})
            raise GatewayError(
                f"{self._what} unreachable on {route}: {type(exc).__name__}", retryable=True
            ) from None
        log.info(
            "payments.gateway.call",
            extra={"gateway": self._what, "method": method, "route": route, "status": response.status_code},
        )
        return response


def error_of(response: httpx.Response, what: str) -> GatewayError:
    """A non-success answer as a :class:`GatewayError`: retryable for 408, 429
    and 5xx; otherwise the request is wrong and ``detail`` says why (the
    problem's title and violated properties, which carry no personal data)."""
    status = response.status_code
    retryable = status in (408, 425, 429) or status >= 500
    reason = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if isinstance(body.get("title"), str):
            reason = body["title"]
            props = [v.get("propriedade") for v in body.get("violacoes") or [] if isinstance(v, dict)]
            if props:
                reason += f" ({', '.join(str(p) for p in props if p)})"
        elif isinstance(body.get("error"), dict):
            reason = str(body["error"].get("code", ""))
        elif isinstance(body.get("error"), str):
            reason = body["error"]
    return GatewayError(
        f"{what} answered {status}{': ' + reason if reason else ''}", status=status, retryable=retryable
    )
