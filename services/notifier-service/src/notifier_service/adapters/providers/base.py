"""What every channel provider looks like to the sender."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from notifier_service.domain.channels import Channel


@dataclass(frozen=True)
class OutgoingMessage:
    channel: Channel
    to: str
    body: str
    idempotency_key: str
    subject: str | None = None


@dataclass(frozen=True)
class ProviderReceipt:
    provider: str
    provider_message_id: str | None


class ProviderError(Exception):
    """A send that did not go through. ``retryable``: a 5xx, 429, timeout or
    connection error; otherwise (a 4xx) retrying the same call cannot help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Provider(Protocol):
    name: str
    channel: Channel

    async def send(self, message: OutgoingMessage) -> ProviderReceipt: ...

    async def close(self) -> None: ...


class HttpJsonProvider:
    """A provider behind a JSON HTTP API with a bearer token: one client per
    provider, the idempotency key as ``Idempotency-Key``, errors sorted into
    retryable or not, and the provider's message id read from the answer."""

    name: str
    channel: Channel

    def __init__(self, *, base_url: str, token: str, timeout_seconds: float) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout_seconds,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def post(self, path: str, body: Mapping[str, object], message: OutgoingMessage) -> object:
        """POST ``body``; the decoded JSON answer, or :class:`ProviderError`."""
        try:
            response = await self._client.post(
                path, json=body, headers={"Idempotency-Key": message.idempotency_key}
            )
        except httpx.HTTPError as exc:
            raise http_error(exc) from None
        raise_for_http(response)
        try:
            return response.json()
        except ValueError:
            raise ProviderError("bad_response", retryable=False) from None

    def receipt(self, read_id: Callable[[], object]) -> ProviderReceipt:
        """The receipt, with the message id ``read_id`` finds in the answer."""
        try:
            return ProviderReceipt(self.name, str(read_id()))
        except (KeyError, IndexError, TypeError):
            raise ProviderError("bad_response", retryable=False) from None

    async def close(self) -> None:
        await self._client.aclose()


def raise_for_http(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    raise ProviderError(f"http_{response.status_code}", retryable=retryable)


def http_error(exc: httpx.HTTPError) -> ProviderError:
    return ProviderError(type(exc).__name__, retryable=True)
