"""When to poll an endpoint again: its interval, doubled per consecutive failure, capped."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Backoff:
    max_s: float = 900.0
    max_doublings: int = 6
    _failures: dict[str, int] = field(default_factory=dict)
    _next_at: dict[str, float] = field(default_factory=dict)

    def due(self, key: str, now: float) -> bool:
        return now >= self._next_at.get(key, 0.0)

    def failures(self, key: str) -> int:
        return self._failures.get(key, 0)

    def next_at(self, key: str) -> float:
        return self._next_at.get(key, 0.0)

    def record(self, key: str, ok: bool, now: float, interval_s: float) -> None:
        """Only repeated failures delay the next try beyond the regular schedule."""
        if ok:
            self._failures.pop(key, None)
            self._next_at.pop(key, None)
            return
        n = self._failures.get(key, 0) + 1
        self._failures[key] = n
        if n >= 2:
            delay = min(self.max_s, interval_s * 2 ** min(n - 1, self.max_doublings))
            self._next_at[key] = now + delay
        else:
            self._next_at.pop(key, None)
