"""Settings of invoice-service: environment variables ``REGUA_INVOICE_*``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from regua_platform.settings import HttpSettings, ServiceSettings

#: The body cap of ``POST /v1/invoices:batch`` (the platform's default is 1 MiB):
#: 10,000 rows of a few hundred bytes with room to spare.
BATCH_BODY_LIMIT = 32 * 2**20


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGUA_INVOICE_", env_nested_delimiter="__")

    http: HttpSettings = Field(default_factory=lambda: HttpSettings(port=8001))
    #: How often the worker looks for invoices that just went overdue.
    overdue_scan_interval_seconds: float = Field(default=2.0, gt=0, le=3600)
    #: Invoices flagged per transaction.
    overdue_scan_batch_size: int = Field(default=500, ge=1, le=10_000)
    #: Bulk load limits (``POST /v1/invoices:batch``).
    batch_max_rows: int = Field(default=10_000, ge=1, le=100_000)
    batch_max_bytes: int = Field(default=BATCH_BODY_LIMIT, ge=1_000, le=BATCH_BODY_LIMIT)
    #: Rows of a bulk load written per transaction.
    batch_chunk_rows: int = Field(default=500, ge=1, le=5_000)
