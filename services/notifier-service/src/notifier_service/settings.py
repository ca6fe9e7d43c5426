"""Settings of notifier-service: environment variables ``REGUA_NOTIFIER_*``
(``__`` nests: ``REGUA_NOTIFIER_SMTP__HOST``, ``REGUA_NOTIFIER_RATE_LIMITS__SMS``)."""

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings

SANDBOX_URL = "http://127.0.0.1:8025"


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=1025, ge=1, le=65535)
    from_address: str = "Régua Cobrança <cobranca@regua.local>"
    username: str | None = None
    password: SecretStr | None = None
    #: Implicit TLS (port 465).
    use_tls: bool = False
    #: STARTTLS after connecting (port 587).
    start_tls: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0)
    #: Right-hand side of the Message-ID derived from the idempotency key.
    message_id_domain: str = "regua.local"


class SmsSettings(BaseModel):
    """A common SMS provider shape: ``POST {base_url}/sms/messages`` ``{to, text, from}``."""

    base_url: str = SANDBOX_URL
    token: SecretStr = SecretStr("sandbox")
    sender: str = "REGUA"
    timeout_seconds: float = Field(default=10.0, gt=0)


class WhatsAppSettings(BaseModel):
    """WhatsApp Cloud API: ``POST {base_url}/{phone_number_id}/messages``."""

    base_url: str = f"{SANDBOX_URL}/v20.0"
    phone_number_id: str = "100000000000001"
    token: SecretStr = SecretStr("sandbox")
    timeout_seconds: float = Field(default=10.0, gt=0)


class RateLimits(BaseModel):
    """Sends per second per channel (per worker process): each channel's loop
    has its own token bucket, with a burst of one second's worth."""

    email: float = Field(default=20.0, gt=0)
    sms: float = Field(default=10.0, gt=0)
    whatsapp: float = Field(default=20.0, gt=0)


class SenderSettings(BaseModel):
    """The sender worker: a router that decides each due delivery's channel,
    and one loop per channel that sends (see
    :mod:`notifier_service.service_layer.sender`)."""

    #: How often the router and each idle channel loop look for due work
    #: (a channel loop is also woken at once when the router queues for it).
    poll_interval_ms: int = Field(default=200, ge=10)
    #: While a loop finds nothing, its pause doubles from ``poll_interval_ms``
    #: up to this: an idle notifier costs little. A new delivery, or news that
    #: waiting ones may go, wakes the router at once (``NOTIFY``), and the
    #: router wakes the channel loops; the pauses only bound how late a retry
    #: or a send window's opening is noticed.
    idle_max_ms: int = Field(default=2_000, ge=10, le=60_000)
    #: Deliveries decided per transaction (router), claimed at most per
    #: transaction (channel loop).
    batch_size: int = Field(default=20, ge=1, le=500)
    #: Sends in flight per channel (waiting for the rate limit, re-checking,
    #: calling the provider, recording). A channel reaches its rate limit when
    #: this is at least rate × provider latency: 16 covers 20/s at 0.8 s.
    concurrency_per_channel: int = Field(default=16, ge=1, le=256)
    #: Provider attempts per channel before falling back to the next channel.
    max_attempts_per_channel: int = Field(default=3, ge=1, le=20)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    #: How long a step waits for its invoice (event order across topics is not
    #: guaranteed) before failing with ``invoice_unknown``; also for the debtor.
    invoice_wait_seconds: float = Field(default=300.0, ge=0)
    #: How long a step waits, from its step-due, for the charges (Pix code,
    #: boleto line) its channel's message shows. Charges come on another topic
    #: and are normally known within a second; the deadline bounds how late a
    #: message gets when payments-service is down or lagging. Past it the
    #: message goes with what exists (the portal link always) and the delivery
    #: records ``missing_instruments``.
    charge_wait_seconds: float = Field(default=600.0, ge=0)
    #: A waiting delivery is looked at again after this long, or at once when
    #: an event about its invoice or debtor arrives.
    wait_poll_seconds: float = Field(default=5.0, gt=0)
    #: A claimed send not recorded within this time (crash) is tried again,
    #: under the same idempotency key.
    lease_seconds: float = Field(default=120.0, gt=0)


class CreditorDefaults(BaseModel):
    """The creditor shown in messages until a tenant sets its own
    (``PUT /v1/settings/creditor``): a demo company with a valid CNPJ."""

    name: str = "Régua Demonstração Ltda"
    document: str = "11222333000181"
    address: str = "Av. Paulista, 1000, Bela Vista, São Paulo - SP, 01310-100"
    portal_base_url: str = "http://127.0.0.1:8004"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_NOTIFIER_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8003))
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    whatsapp: WhatsAppSettings = Field(default_factory=WhatsAppSettings)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    sender: SenderSettings = Field(default_factory=SenderSettings)
    creditor: CreditorDefaults = Field(default_factory=CreditorDefaults)
    #: Keys of the portal links (JSON list of random strings, ≥ 32 characters):
    #: the first signs, all verify (rotation: put the new key first, drop the
    #: old one once its links have expired). negotiation-service holds the same
    #: list (``REGUA_NEGOTIATION_PORTAL_KEYS``). Never derived from the JWT secret.
    portal_keys: list[SecretStr] = Field(min_length=1)
    #: A portal link opens the portal this many days after it is sent (it can be
    #: revoked sooner: ``POST /v1/debtors/{id}/portal-links/revoke`` at negotiation-service).
    portal_link_ttl_days: int = Field(default=7, ge=1, le=14)

    @field_validator("portal_keys")
    @classmethod
    def _strong_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        if any(len(k.get_secret_value()) < 32 for k in keys):
            raise ValueError("each portal key needs at least 32 characters (generate random ones)")
        return keys
