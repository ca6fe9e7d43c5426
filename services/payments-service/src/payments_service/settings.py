"""Settings of payments-service: environment variables ``REGUA_PAYMENTS_*``."""

from __future__ import annotations

from datetime import date

from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings


class GatewaySettings(BaseModel):
    """The worker that talks to tenants' PSPs and banks, and the reconciliation sweep."""

    timeout_s: float = Field(default=10.0, gt=0, le=120)
    #: Charges claimed and recorded per transaction.
    batch_size: int = Field(default=100, ge=1, le=1000)
    #: Gateway calls in flight at once per worker process. PSPs and banks rate
    #: limit per client (a 429 is retried with backoff): keep
    #: ``concurrency`` × worker processes within what the tenant's PSP allows.
    concurrency: int = Field(default=16, ge=1, le=256)
    poll_interval_ms: int = Field(default=500, ge=10, le=60_000)
    #: While nothing is due, the pause between passes doubles up to this; a
    #: commit that queues gateway work wakes the worker at once (NOTIFY).
    idle_max_seconds: float = Field(default=5.0, gt=0, le=300)
    #: A claimed call not recorded after this long is tried again (same txid).
    lease_seconds: float = Field(default=120.0, gt=0, le=3600)
    retry_base_seconds: float = Field(default=5.0, gt=0, le=3600)
    retry_max_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    debtor_wait_seconds: float = Field(default=60.0, gt=0, le=86_400)
    #: ``GET /v2/pix`` per tenant every so often, overlapping the last window.
    reconcile_interval_seconds: float = Field(default=300.0, gt=0, le=86_400)
    reconcile_overlap_seconds: float = Field(default=600.0, ge=0, le=86_400)
    reconcile_first_window_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    #: Hosts a gateway URL may name over plain http: the dev sandboxes (this
    #: machine; docker-compose.yml adds its ``sandbox`` container). Every other
    #: PSP or bank URL must be https. Set ``[]`` in production.
    plain_http_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost", "::1"], max_length=20
    )


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_PAYMENTS_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8005))
    #: Fernet keys (``Fernet.generate_key()``) encrypting tenants' webhook and
    #: PSP/bank client secrets at rest; env ``REGUA_PAYMENTS_ENCRYPTION_KEYS``, a
    #: JSON list. The first encrypts, all decrypt (MultiFernet): to rotate, put a
    #: new key first, run ``payments-service rotate-keys``, then drop the old one.
    encryption_keys: list[SecretStr] = Field(min_length=1, max_length=20)
    #: Rates for ``invoice.issued`` events older than the frozen rates
    #: (invoice-service's defaults; every current event carries the invoice's own).
    fallback_fine_bps: int = Field(default=200, ge=0, le=200)
    fallback_monthly_interest_bps: int = Field(default=100, ge=0, le=10_000)
    gateways: GatewaySettings = Field(default_factory=GatewaySettings)
    #: How far a webhook's signature timestamp may be from now, either way.
    webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    #: How long a process keeps a tenant's decrypted webhook secret: the longest
    #: another process may still accept a secret after it was replaced (0: no cache).
    webhook_secret_ttl_seconds: float = Field(default=5.0, ge=0, le=300)

    #: Signatures of the old scheme (HMAC over ``t.body`` only, ``v1=``) are
    #: accepted through this day (UTC), counted in
    #: ``regua_webhooks_legacy_signatures_total``; refused after it.
    webhook_legacy_signatures_until: date = date(2027, 3, 31)
    #: Per client address on the webhook routes: a token bucket of ``burst``
    #: requests refilled at ``per_second``; beyond it 429 with Retry-After.
    webhook_rate_burst: int = Field(default=300, ge=1, le=100_000)
    webhook_rate_per_second: float = Field(default=100.0, gt=0, le=100_000)
    #: A Pix ``horario`` (or boleto/card time) may be at most this far in the
    #: future (clock skew between the gateway and us); later is refused.
    webhook_future_skew_seconds: int = Field(default=300, ge=0, le=86_400)
    #: ...and at most this many days in the past; older is refused.
    webhook_max_age_days: int = Field(default=400, ge=1, le=3650)
    #: Rows of ``webhook_rejections`` older than this are deleted by the worker.
    webhook_rejections_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            try:
                Fernet(key.get_secret_value().encode())
            except (ValueError, TypeError):
                raise ValueError("each encryption key must be a Fernet key (Fernet.generate_key())") from None
        return keys
