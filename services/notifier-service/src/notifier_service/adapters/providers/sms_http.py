"""SMS over HTTP in a common provider shape (Zenvia/Twilio-like):
``POST {base_url}/sms/messages`` ``{"to", "text", "from"}``, bearer token,
``Idempotency-Key`` header; the answer carries the provider's message ``id``."""

from __future__ import annotations

from typing import Any

from notifier_service.adapters.providers.base import HttpJsonProvider, OutgoingMessage, ProviderReceipt
from notifier_service.domain.channels import Channel
from notifier_service.settings import SmsSettings


class SmsHttpProvider(HttpJsonProvider):
    name = "sms-http"
    channel: Channel = "sms"

    def __init__(self, settings: SmsSettings) -> None:
        super().__init__(
            base_url=settings.base_url,
            token=settings.token.get_secret_value(),
            timeout_seconds=settings.timeout_seconds,
        )
        self._sender = settings.sender

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        answer: Any = await self.post(
            "/sms/messages", {"to": message.to, "text": message.body, "from": self._sender}, message
        )
        return self.receipt(lambda: answer["id"])
