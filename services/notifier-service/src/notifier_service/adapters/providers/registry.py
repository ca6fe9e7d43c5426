"""The providers of a running worker, one per channel, each behind its own
token bucket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from notifier_service.adapters.providers.base import OutgoingMessage, Provider, ProviderReceipt
from notifier_service.adapters.providers.sms_http import SmsHttpProvider
from notifier_service.adapters.providers.smtp import SmtpProvider
from notifier_service.adapters.providers.whatsapp_cloud import WhatsAppCloudProvider
from notifier_service.domain.channels import Channel
from notifier_service.settings import Settings
from regua_br.rate_limit import TokenBucket
from regua_platform.clock import Clock


class RateLimitedProviders:
    def __init__(self, providers: Mapping[Channel, Provider], rates: Mapping[Channel, float]) -> None:
        self._providers = dict(providers)
        self._buckets = {ch: TokenBucket(rate=rates[ch], capacity=max(1.0, rates[ch])) for ch in providers}
        self._locks = {ch: asyncio.Lock() for ch in providers}

    def provider_name(self, channel: Channel) -> str:
        return self._providers[channel].name

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The channels with a provider."""
        return tuple(self._providers)

    def has(self, channel: Channel) -> bool:
        return channel in self._providers

    async def acquire(self, channel: Channel) -> None:
        """Wait until ``channel``'s rate limit allows one more call, and take it."""
        async with self._locks[channel]:
            wait = self._buckets[channel].wait_time(time.monotonic())
            while wait > 0:
                await asyncio.sleep(wait)
                wait = self._buckets[channel].wait_time(time.monotonic())

    async def call(self, message: OutgoingMessage) -> ProviderReceipt:
        """Call the channel's provider: after :meth:`acquire`."""
        return await self._providers[message.channel].send(message)

    async def close(self) -> None:
        for provider in self._providers.values():
            await provider.close()


def build_providers(settings: Settings, clock: Clock) -> RateLimitedProviders:
    providers: dict[Channel, Provider] = {
        "email": SmtpProvider(settings.smtp, clock),
        "sms": SmsHttpProvider(settings.sms),
        "whatsapp": WhatsAppCloudProvider(settings.whatsapp),
    }
    r = settings.rate_limits
    return RateLimitedProviders(providers, {"email": r.email, "sms": r.sms, "whatsapp": r.whatsapp})
