"""Work that follows a commit: a background task, or, inside a worker task that opts in, the same task's body
run right there.

Services queue what follows a change (routing a new case, acknowledging a mail, notifying people) with
`follow_up(task, …)` inside their transaction. Normally that queues the task after the commit. A worker
task whose follow-ups would each cost a task of their own (handling an incoming mail: one task per
mail instead of up to three) runs inside `follow_ups_here()`, and its follow-ups then run in it, after
the commit and in the order they were registered. A follow-up that fails there is queued as its task
(which has its own retries); a broker that cannot take a task is logged, never raised: the committed
change stands.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

_here: contextvars.ContextVar[bool] = contextvars.ContextVar("follow_ups_here", default=False)


@contextlib.contextmanager
def follow_ups_here() -> Iterator[None]:
    """Inside: follow-ups registered run in this process after their commit instead of being queued."""
    token = _here.set(True)
    try:
        yield
    finally:
        _here.reset(token)


def follow_up(task: Any, *args: Any, **kwargs: Any) -> None:
    """After the current transaction commits, run the Celery `task` with these arguments: here, inside
    `follow_ups_here()`, else queued. Never raises."""
    here = _here.get()

    def run() -> None:
        if here:
            try:
                task(*args, **kwargs)
                return
            except Exception:
                logger.warning("%s failed in the task that followed it; queueing it", task.name, exc_info=True)
        try:
            task.delay(*args, **kwargs)
        except Exception:
            logger.exception("could not queue %s", task.name)

    transaction.on_commit(run)
