"""SMS over HTTP in a common provider shape (Zenvia/Twilio-like):
``POST {base_url}/sms/messages`` ``{"to", "text", "from"}``, bearer token,
``Idempotency-Key`` header; the answer carries the provider's message ``id``."""

from __future__ import annotations

import httpx

from notifier_service.adapters.providers.base import (
    OutgoingMessage,
    ProviderError,
    ProviderReceipt,
    http_error,
    raise_for_http,
)
from notifier_service.domain.channels import Channel
from notifier_service.settings import SmsSettings


class SmsHttpProvider:
    name = "sms-http"
    channel: Channel = "sms"

    def __init__(self, settings: SmsSettings) -> None:
        self._s = settings
        self._client = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            timeout=settings.timeout_seconds,
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}"},
        )

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        try:
            response = await self._client.post(
                "/sms/messages",
                json={"to": message.to, "text": message.body, "from": self._s.sender},
                headers={"Idempotency-Key": message.idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise http_error(exc) from None
        raise_for_http(response)
        try:
            provider_id = str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise ProviderError("bad_response", retryable=False) from None
        return ProviderReceipt(self.name, provider_id)

    async def close(self) -> None:
        await self._client.aclose()
