"""A token bucket per provider: ``rate`` sends a second, bursts up to ``capacity``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    capacity: float
    _tokens: float = field(init=False)
    _last: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self._tokens = self.capacity

    def take(self, now: float) -> float:
        """Take one token at monotonic time ``now``; returns 0 when granted, else
        the seconds to wait before asking again (nothing is taken then)."""
        if self._last is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate
