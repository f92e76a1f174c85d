"""Celery application. Tasks are just another interface: they take ids and call services."""

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("civicdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport (the embedded default) does not create its folders, and a
    # task queued before they exist fails after the change it belongs to was already saved.
    options = sender.conf.broker_transport_options or {}
    if str(sender.conf.broker_url or "").startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)



# Database connections in workers (docs/operations.md, "Workers and the database"). Celery's Django
# fixup closes every connection before and after each task, and with Django's connection pool it
# also closes the pool in prefork children (celery/celery#10554): about three new PostgreSQL
# connections per task, which cost PostgreSQL more CPU than the task's own statements
# (bench/email_worker.sh). Instead, as the upstream fix (celery/celery#10555) does, a task hands its
# connections back to the pool when it ends (or closes them, without a pool), and the fixup drops the
# whole pool only every 2 × CELERY_DB_REUSE_MAX tasks (config/settings/base.py).
@task_prerun.connect
@task_postrun.connect
def _release_database_connections(sender: object = None, **kwargs: object) -> None:
    request = getattr(sender, "request", None)
    if getattr(request, "is_eager", False):  # inside the caller's transaction (tests, eager mode)
        return
    from django.db import close_old_connections

    # Returns a pooled connection to the pool, closes an unpooled one (CONN_MAX_AGE 0) and any
    # connection that had an error: the next task starts on a good one.
    close_old_connections()


# One configuration generation per task (core/config_generation.py): a task that reads several kept
# values checks the generation once, not once per value.
_close_generation_scope: list[Callable[[], None]] = []


@task_prerun.connect
def _open_config_generation_scope(sender: object = None, **kwargs: object) -> None:
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from civicdesk.core.config_generation import config_generation_scope_open

    _close_generation_scope.append(config_generation_scope_open())


@task_postrun.connect
def _close_config_generation_scope(sender: object = None, **kwargs: object) -> None:
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    while _close_generation_scope:
        close = _close_generation_scope.pop()
        with contextlib.suppress(ValueError):  # opened in another context: nothing to reset here
            close()
