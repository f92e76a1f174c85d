"""Work that follows a commit: a background task, or, inside a worker task that opts in, the same task's body
run right there.

Services queue what follows a change (routing a new case, acknowledging a mail, notifying people) with
`follow_up(task, …)` inside their transaction. Normally that queues the task after the commit. A worker
task whose follow-ups would each cost a task of their own (handling an incoming mail: one task per
mail instead of up to three) runs inside `follow_ups_here()`, and its follow-ups then run in it, after
the commit and in the order they were registered. A follow-up that fails there is queued as its task
(which has its own retries); a broker that cannot take a task is logged, never raised: the committed
change stands. A step can hand the rows it committed to the follow-ups after it (`committed_row_keep`,
`committed_row`), which then need not read them again (the acknowledgement of a mail uses the case as
routing left it).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)

_here: contextvars.ContextVar[bool] = contextvars.ContextVar("follow_ups_here", default=False)
# Inside follow_ups_here(): rows as this task committed them, by (model, primary key).
_committed: contextvars.ContextVar[dict[tuple[type[Model], Any], Model] | None] = contextvars.ContextVar(
    "follow_ups_committed", default=None)


@contextlib.contextmanager
def follow_ups_here() -> Iterator[None]:
    """Inside: follow-ups registered run in this process after their commit instead of being queued."""
    token = _here.set(True)
    rows = _committed.set({})
    try:
        yield
    finally:
        _committed.reset(rows)
        _here.reset(token)


def committed_row_keep(row: Model) -> None:
    """Inside `follow_ups_here()`: hand `row` to the follow-ups that run after the current transaction
    commits, so that they need not read it again. Elsewhere: nothing.

    Call it with the row as the transaction leaves it. If the transaction rolls back instead, the
    follow-ups it registered never run, and the task's next steps read from the database (as
    `inbound_email_process`'s failure path does)."""
    kept = _committed.get()
    if kept is not None:
        kept[(type(row), row.pk)] = row


def committed_row(model: type[M], pk: Any) -> M | None:
    """The row of `model` this task kept with `committed_row_keep`, as it committed it; None if none.
    Shared between the task's steps: a caller that changes it must save it."""
    kept = _committed.get()
    row = kept.get((model, pk)) if kept is not None else None
    return row if isinstance(row, model) else None


def follow_up(task: Any, *args: Any, **kwargs: Any) -> None:
    """After the current transaction commits, run the Celery `task` with these arguments: here, inside
    `follow_ups_here()`, else queued. Never raises."""
    here = _here.get()
    kept = _committed.get()  # the registering task's rows, also when the commit runs this after it ended

    def run() -> None:
        if here:
            token = _committed.set(kept)
            try:
                task(*args, **kwargs)
                return
            except Exception:
                logger.warning("%s failed in the task that followed it; queueing it", task.name, exc_info=True)
            finally:
                _committed.reset(token)
        try:
            task.delay(*args, **kwargs)
        except Exception:
            logger.exception("could not queue %s", task.name)

    transaction.on_commit(run)
