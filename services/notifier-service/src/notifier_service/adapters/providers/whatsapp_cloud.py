"""WhatsApp in the shape of the WhatsApp Cloud API messages endpoint:
``POST {base_url}/{phone_number_id}/messages`` with a text message.

Note: outside a 24-hour customer-service window Meta only delivers approved
*template* messages; the text shape is what the sandbox and a live session
accept. Switching to ``"type": "template"`` needs the templates approved first.
"""

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
from notifier_service.settings import WhatsAppSettings


class WhatsAppCloudProvider:
    name = "whatsapp-cloud"
    channel: Channel = "whatsapp"

    def __init__(self, settings: WhatsAppSettings) -> None:
        self._s = settings
        self._client = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            timeout=settings.timeout_seconds,
            headers={"Authorization": f"Bearer {settings.token.get_secret_value()}"},
        )

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            "type": "text",
            "text": {"preview_url": False, "body": message.body},
        }
        try:
            response = await self._client.post(
                f"/{self._s.phone_number_id}/messages",
                json=body,
                headers={"Idempotency-Key": message.idempotency_key},
            )
        except httpx.HTTPError as exc:
            raise http_error(exc) from None
        raise_for_http(response)
        try:
            provider_id = str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderError("bad_response", retryable=False) from None
        return ProviderReceipt(self.name, provider_id)

    async def close(self) -> None:
        await self._client.aclose()
