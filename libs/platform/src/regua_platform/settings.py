"""Settings blocks shared by every service.

Each service declares one ``Settings(ServiceSettings)`` with its own env prefix
(``REGUA_<SERVICE>_``) and ``__`` nesting, e.g. ``REGUA_INVOICE_DATABASE__URL``.
Nested blocks are ``BaseModel`` so they load from the environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

#: Secrets we refuse to run with: the examples people copy.
_KNOWN_DEFAULT_SECRETS = frozenset({"changeme", "secret", "changethis", "dev", "test"})


class DatabaseSettings(BaseModel):
    url: str = "postgresql+asyncpg://regua@127.0.0.1:55432/regua"
    #: Connections kept open per process. Sized so the usual concurrency (API
    #: requests in flight, a consumer per lane, the relay and its leader lock,
    #: the workers) is served from the pool: a connection opened beyond it
    #: (overflow) is closed again when returned, and opening one costs a
    #: PostgreSQL backend start (several ms). Budget: processes × (pool_size +
    #: max_overflow) + one listener each must stay under max_connections.
    pool_size: int = Field(default=10, ge=1, le=100)
    max_overflow: int = Field(default=5, ge=0, le=100)
    #: Test each connection with a round trip when taken from the pool. Off by
    #: default: it costs a round trip per transaction, and without it a
    #: connection that died (database restarted) fails one transaction, after
    #: which the whole pool is invalidated and reconnects; consumers retry that
    #: transaction, an API caller gets a 503 problem and retries.
    pre_ping: bool = False
    statement_timeout_ms: int = Field(default=15_000, ge=100)


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    #: Prefix of every topic and consumer group (share a cluster between environments).
    topic_namespace: str = ""
    #: Handler attempts before an event goes to the dead-letter topic.
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_backoff_ms: int = Field(default=200, ge=1)
    retry_backoff_max_ms: int = Field(default=5_000, ge=1)
    relay_batch_size: int = Field(default=500, ge=1, le=10_000)
    #: The relay's first pause when the outbox is empty; it doubles while idle
    #: up to ``relay_idle_max_ms``. A commit that writes events wakes it at once
    #: (``NOTIFY``), so the pauses bound only the latency of a lost notification.
    relay_poll_interval_ms: int = Field(default=50, ge=5)
    relay_idle_max_ms: int = Field(default=1_000, ge=5, le=60_000)
    #: After publishing a batch that was not full, wait this long before the
    #: next read: under steady traffic, a few more commits join each Kafka
    #: transaction (each costs a round trip or three to the broker).
    relay_linger_ms: int = Field(default=5, ge=0, le=1_000)
    #: Run an urgent lane's consumer on a thread of its own (own event loop,
    #: a pool of 2 connections): it gets CPU at once however busy the
    #: process's loop is (see :mod:`regua_platform.lane_thread`).
    urgent_lane_thread: bool = True
    #: Records per consumer batch: one database transaction each.
    consumer_max_records: int = Field(default=200, ge=1, le=5_000)
    #: ``PLAINTEXT`` (a private dev broker only), ``SSL``, ``SASL_PLAINTEXT``
    #: or ``SASL_SSL`` (production: TLS plus SCRAM credentials).
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    #: CA bundle that signed the brokers' certificates (system CAs when unset),
    #: and a client certificate and key for mutual TLS.
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    @model_validator(mode="after")
    def _sasl_credentials(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL") and not (self.sasl_username and self.sasl_password):
            raise ValueError("kafka.security_protocol SASL_* needs kafka.sasl_username and sasl_password")
        return self


class AuthSettings(BaseModel):
    """Bearer JWTs: keys from the JWKS URL of an identity provider (asymmetric:
    RS256, ES256, EdDSA; recommended), or HS256 with a shared secret (the dev
    stack). One of the two is required; a default or short secret is refused
    at start-up."""

    jwt_secret: SecretStr | None = None
    jwks_url: str | None = None
    #: How long fetched keys are trusted before they are fetched again.
    jwks_cache_seconds: int = Field(default=300, ge=10, le=86_400)
    #: A token naming an unknown key id refetches the keys (the provider
    #: rotated), at most this often.
    jwks_min_refresh_seconds: int = Field(default=30, ge=1, le=3_600)
    issuer: str = "regua-dev"
    audience: str = "regua"
    algorithms: list[str] = Field(default_factory=lambda: ["HS256", "RS256", "ES256", "EdDSA"])
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    #: Tokens whose ``exp - iat`` is longer are refused: short lifetimes are how
    #: a leaked token stops working (one day by default).
    max_token_lifetime_seconds: int = Field(default=86_400, ge=60, le=31 * 86_400)
    #: ``jti`` of tokens revoked before they expire (a deny-list for emergencies).
    denied_token_ids: list[str] = Field(default_factory=list)
    max_token_chars: int = Field(default=8_192, ge=256, le=65_536)

    @model_validator(mode="after")
    def _one_key_source(self) -> AuthSettings:
        if self.jwks_url:
            return self
        if self.jwt_secret is None:
            raise ValueError("set auth.jwt_secret (or auth.jwks_url): no default secret exists")
        secret = self.jwt_secret.get_secret_value()
        if secret.lower() in _KNOWN_DEFAULT_SECRETS or len(secret) < 32:
            raise ValueError("auth.jwt_secret must be a random string of at least 32 characters")
        return self


class HttpSettings(BaseModel):
    host: str = "0.0.0.0"  # noqa: S104 - containers listen on every interface
    port: int = Field(default=8000, ge=1, le=65535)
    #: Seconds granted to in-flight work on shutdown.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    #: Largest request body accepted (413 beyond it, answered before reading
    #: the rest); routes that take files declare more (``ServiceDefinition.body_limits``).
    max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    #: Largest single header value, and most headers, a request may carry (431 beyond).
    max_header_bytes: int = Field(default=8_192, ge=256)
    max_headers: int = Field(default=100, ge=10)
    #: Addresses or networks (CIDR) of the load balancers in front of us: only
    #: their ``X-Forwarded-For``/``-Proto`` are believed, for the client address
    #: that rate limits key on. Empty: the socket's address is the client's.
    trusted_proxies: list[str] = Field(default_factory=list)
    #: Serve ``/docs`` and ``/openapi.json`` to anyone. Off: ``/openapi.json``
    #: needs a valid bearer token and ``/docs`` is not served.
    public_docs: bool = False


class RetentionSettings(BaseModel):
    """What the retention worker (:mod:`regua_platform.retention`) prunes, and how often."""

    #: Days an inbox row (a handled event id) is kept; longer than any Kafka
    #: redelivery window: see :mod:`regua_platform.retention` for why that is safe.
    inbox_days: int = Field(default=7, ge=1)
    interval_seconds: float = Field(default=3600.0, ge=1.0)
    #: Rows per DELETE transaction: short locks, small WAL bursts.
    batch_size: int = Field(default=1000, ge=1, le=100_000)


class TelemetrySettings(BaseModel):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: OTLP/HTTP traces endpoint (e.g. http://otel-collector:4318/v1/traces); none = no export.
    otlp_endpoint: str | None = None
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    #: ``/metrics`` answers only ``Authorization: Bearer <metrics_token>``
    #: (Prometheus' ``bearer_token``), unless ``public_metrics`` is on.
    metrics_token: SecretStr | None = None
    public_metrics: bool = False


class ServiceSettings(BaseSettings):
    """The blocks every service has. Subclasses set ``env_prefix``."""

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings
    http: HttpSettings = Field(default_factory=HttpSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    #: The tenants' default time zone, for calendar dates such as due dates.
    default_timezone: str = "America/Sao_Paulo"
    #: Shift this process's clock (tests and simulations only; keep 0 in production).
    clock_offset_seconds: int = 0
