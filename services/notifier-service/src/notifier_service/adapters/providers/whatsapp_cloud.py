"""WhatsApp in the shape of the WhatsApp Cloud API messages endpoint:
``POST {base_url}/{phone_number_id}/messages`` with a text message.

Note: outside a 24-hour customer-service window Meta only delivers approved
*template* messages; the text shape is what the sandbox and a live session
accept. Switching to ``"type": "template"`` needs the templates approved first.
"""

from __future__ import annotations

from typing import Any

from notifier_service.adapters.providers.base import HttpJsonProvider, OutgoingMessage, ProviderReceipt
from notifier_service.domain.channels import Channel
from notifier_service.settings import WhatsAppSettings


class WhatsAppCloudProvider(HttpJsonProvider):
    name = "whatsapp-cloud"
    channel: Channel = "whatsapp"

    def __init__(self, settings: WhatsAppSettings) -> None:
        super().__init__(
            base_url=settings.base_url,
            token=settings.token.get_secret_value(),
            timeout_seconds=settings.timeout_seconds,
        )
        self._phone_number_id = settings.phone_number_id

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            "type": "text",
            "text": {"preview_url": False, "body": message.body},
        }
        answer: Any = await self.post(f"/{self._phone_number_id}/messages", body, message)
        return self.receipt(lambda: answer["messages"][0]["id"])
