"""Token buckets: one per provider (the notifier) or per client (the portal)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` tokens a second, bursts up to ``capacity``; time is passed in
    (a monotonic clock), so the rule is pure."""

    rate: float
    capacity: float
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.tokens = self.capacity

    def wait_time(self, now: float) -> float:
        """Take one token at ``now``: 0 when granted, else the seconds to wait
        before asking again (nothing is taken then)."""
        if self.updated is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self, now: float) -> bool:
        """Take one token at ``now`` if there is one."""
        return self.wait_time(now) == 0.0

    def full_at(self, now: float) -> bool:
        """Whether the bucket would be full at ``now`` (it carries no information then)."""
        if self.updated is None:
            return True
        return self.tokens + (now - self.updated) * self.rate >= self.capacity


class RateLimiter:
    """One bucket per key (a session's debtor, a client address), in memory:
    each replica limits on its own, which bounds abuse well enough for an edge."""

    def __init__(self, capacity: int, rate: float, max_keys: int = 50_000) -> None:
        self.capacity = capacity
        self.rate = rate
        self.max_keys = max_keys
        self.buckets: dict[str, TokenBucket] = {}

    def allow(self, key: str, now: float) -> bool:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                # Full buckets carry no information: forget them first.
                self.buckets = {k: b for k, b in self.buckets.items() if not b.full_at(now)}
            bucket = self.buckets[key] = TokenBucket(self.rate, self.capacity)
        return bucket.take(now)
