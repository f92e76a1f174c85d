"""Work kept as rows and done by one task per burst ("a drain"), not by one task per row.

A row that waits (a stored mail, an accepted contact) calls `drain_soon(task, key=…)` after its
commit. The first such call of a time window in a process adds the window's flag in the cache and, if
it was the first anywhere, queues `task` for the window's end; later calls in the window cost
nothing. The task then does every row waiting at that moment. So a burst of 600 mails costs a handful
of broker messages and task runs instead of 600, and a single row waits at most about a window.

Correctness does not depend on the cache: a process whose cache is its own (the embedded default's
local memory) queues its own drain per window, and every row committed before a drain starts is seen
by it. A beat schedule drains as a safety net, for a trigger lost with a broker that was down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

# Per process: the last window for which this process asked the cache, per drain.
_asked: dict[str, int] = {}


def drain_soon(task: Any, *, key: str, window_seconds: float = 1.0) -> None:
    """Make sure `task` (no arguments) runs after the current window of `window_seconds`, at most once per
    window in all. Call it after the commit of the row to drain; with eager Celery (tests) callers run
    their task themselves instead. Never raises: the beat drains what a failed trigger left."""
    now = time.time()
    window = int(now // window_seconds)
    if _asked.get(key) == window:
        return
    try:
        if cache.add(f"drain:{key}:{window}", 1, timeout=max(10, int(window_seconds * 10))):
            task.apply_async(countdown=(window + 1) * window_seconds - now + 0.1)
        _asked[key] = window
    except Exception:
        logger.warning("could not queue the drain %s; the beat will run it", key, exc_info=True)


def waiting_ids(rows: Any, *, batch: int) -> Iterator[int]:
    """The ids of `rows` (a queryset of what waits), oldest first, read `batch` at a time: each id once,
    and a row that stops waiting meanwhile is not read again."""
    last_id = 0
    while True:
        ids = list(rows.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield from ids
        last_id = ids[-1]
