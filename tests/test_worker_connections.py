"""A worker hands its database connection back between tasks instead of opening new ones (config/celery.py).

The effect on PostgreSQL (3 new connections per task before, none after) is measured by
bench/email_worker.sh; here, that the pieces are in place.
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

from config.celery import _release_database_connections, app


def _task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_the_fixup_keeps_the_pool_across_tasks():
    assert app.conf.get("CELERY_DB_REUSE_MAX") >= 1, "without it the fixup closes the pool around every task"


def test_a_task_hands_its_connections_back_before_and_after_it_runs():
    with mock.patch("django.db.close_old_connections") as release:
        _release_database_connections(sender=_task(eager=False))
    release.assert_called_once_with()


def test_an_eager_task_leaves_the_callers_connection_alone():
    with mock.patch("django.db.close_old_connections") as release:
        _release_database_connections(sender=_task(eager=True))
    release.assert_not_called()
