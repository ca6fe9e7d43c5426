"""What stands between the internet and the webhook routes before any
signature is checked: a per-source token bucket, and refusals counted and
logged at a bounded rate, so a loop of junk requests costs a counter
increment, not a log line or a database row each."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from payments_service.metrics import WEBHOOKS_REFUSED
from regua_br.rate_limit import TokenBucket

log = logging.getLogger("payments.webhooks")


@dataclass
class _Window:
    until: float
    suppressed: int = 0


@dataclass
class RefusalLog:
    """At most one WARN line per reason per ``interval`` seconds; the next line
    of that reason says how many were suppressed in between. Every refusal is
    counted in ``regua_webhooks_refused_total{reason}``."""

    interval: float = 10.0
    monotonic: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)

    def refused(self, reason: str, **extra: Any) -> bool:
        """Count a refusal; True when it was logged."""
        WEBHOOKS_REFUSED.labels(reason).inc()
        now = self.monotonic()
        window = self._windows.get(reason)
        if window is not None and now < window.until:
            window.suppressed += 1
            return False
        suppressed = window.suppressed if window is not None else 0
        self._windows[reason] = _Window(now + self.interval)
        log.warning("payments.webhook.refused", extra={"reason": reason, "suppressed": suppressed, **extra})
        return True


class SourceLimiter:
    """One token bucket per client address (the real one behind trusted proxies)."""

    def __init__(
        self,
        burst: int,
        per_second: float,
        *,
        max_keys: int = 50_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self.max_keys = max_keys
        self.monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, source: str) -> int:
        """0 when the request may go on, else the whole seconds to wait."""
        now = self.monotonic()
        bucket = self._buckets.get(source)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                # Full buckets carry no information: forget them first.
                self._buckets = {k: b for k, b in self._buckets.items() if not b.full_at(now)}
            bucket = self._buckets[source] = TokenBucket(self.per_second, self.burst)
        wait = bucket.wait_time(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))
