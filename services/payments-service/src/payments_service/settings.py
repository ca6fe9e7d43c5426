"""Settings of payments-service: environment variables ``REGUA_PAYMENTS_*``."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator
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
    #: Plain-HTTP gateway URLs are refused unless they point at this machine (the sandboxes).
    allow_loopback_http: bool = True


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_PAYMENTS_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8005))
    #: Key material for encrypting tenants' webhook and PSP/bank client secrets at rest (HKDF-SHA256 ->
    #: Fernet). Falls back to ``auth.jwt_secret`` when unset; rotating it makes
    #: stored secrets unreadable, so tenants must PUT them again.
    encryption_key: SecretStr | None = None
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

    @model_validator(mode="after")
    def _has_key_material(self) -> Settings:
        if self.encryption_key is None and self.auth.jwt_secret is None:
            raise ValueError("set encryption_key: without auth.jwt_secret there is no key to fall back to")
        if self.encryption_key is not None and len(self.encryption_key.get_secret_value()) < 32:
            raise ValueError("encryption_key must be a random string of at least 32 characters")
        return self

    def key_material(self) -> bytes:
        key = self.encryption_key or self.auth.jwt_secret
        assert key is not None  # the validator guarantees one of them
        return key.get_secret_value().encode()
