"""E-mail over SMTP (aiosmtplib). The Message-ID is derived from the
idempotency key, so a resend after a crash carries the same id and mail
systems can drop the copy."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from notifier_service.adapters.providers.base import OutgoingMessage, ProviderError, ProviderReceipt
from notifier_service.domain.channels import Channel
from notifier_service.domain.delivery import smtp_message_id
from notifier_service.settings import SmtpSettings
from regua_platform.clock import Clock


class SmtpProvider:
    name = "smtp"
    channel: Channel = "email"

    def __init__(self, settings: SmtpSettings, clock: Clock) -> None:
        self._s = settings
        self._clock = clock

    async def send(self, message: OutgoingMessage) -> ProviderReceipt:
        msg = EmailMessage()
        message_id = smtp_message_id(message.idempotency_key, self._s.message_id_domain)
        msg["From"] = self._s.from_address
        msg["To"] = message.to
        msg["Subject"] = message.subject or ""
        msg["Message-ID"] = message_id
        msg["Date"] = format_datetime(self._clock.now())
        msg["Idempotency-Key"] = message.idempotency_key
        msg.set_content(message.body)
        s = self._s
        try:
            await aiosmtplib.send(
                msg,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password.get_secret_value() if s.password else None,
                use_tls=s.use_tls,
                start_tls=s.start_tls if s.start_tls else False,
                timeout=s.timeout_seconds,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx replies are transient in SMTP, 5xx permanent.
            raise ProviderError(f"smtp_{exc.code}", retryable=exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderError(type(exc).__name__, retryable=True) from None
        return ProviderReceipt(self.name, message_id)

    async def close(self) -> None:
        return None
