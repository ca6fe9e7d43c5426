"""What every channel provider looks like to the sender."""

from __future__ import annotations

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


def raise_for_http(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    raise ProviderError(f"http_{response.status_code}", retryable=retryable)


def http_error(exc: httpx.HTTPError) -> ProviderError:
    return ProviderError(type(exc).__name__, retryable=True)
