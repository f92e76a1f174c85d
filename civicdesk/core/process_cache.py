"""Values kept in one process for a few seconds, then read again: configuration a hot path reads on
every message or request (a mailbox's mapping, the active classifier versions) and that changes
rarely. A change shows within the time given; 0 seconds reads every time (the tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ProcessCache(Generic[V]):
    """A bounded per-process cache with a time limit per read. The values are shared: only read them."""

    def __init__(self, *, max_entries: int = 500) -> None:
        self._entries: dict[Hashable, tuple[float, int | None, V]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: Hashable, *, seconds: float, load: Callable[[], V], generation: int | None = None) -> V:
        """The value kept for `key` if read less than `seconds` ago (and under the same `generation`,
        when one is given: `config_generation`), else `load()` (kept unless None)."""
        if seconds <= 0:
            return load()
        cached = self._entries.get(key)
        if cached is not None and cached[1] == generation and time.monotonic() - cached[0] <= seconds:
            return cached[2]
        value = load()
        if value is not None:
            with self._lock:
                if len(self._entries) >= self._max_entries:
                    self._entries.clear()
                self._entries[key] = (time.monotonic(), generation, value)
        return value

    def clear(self) -> None:
        """Forget every value (the tests, between cache periods)."""
        with self._lock:
            self._entries.clear()
