"""A cursor whose statements PostgreSQL prepares: parsed and planned once per connection, not per run.

Django's psycopg cursors bind parameters on the client, which sends every statement as new text, so
PostgreSQL parses and plans it on every run; for the hottest written-out statements (the Open311
request list, the form map's nearby lookup) that is a fifth of their cost. `prepared_cursor`
binds on the server instead, and psycopg prepares a statement once it has run `prepare_threshold`
times on a connection (`DATABASE_PREPARED_STATEMENTS`, config/settings/base.py). The cursor is
Django's wrapper around it, so query logging, `execute_wrapper` and query counts see it as any other.

Only for statements written with plain `%s` / `%(name)s` parameters whose types PostgreSQL can
infer; the ORM's statements stay on Django's cursors (Django #20516).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


def prepared_statements_enabled() -> bool:
    """Whether this connection prepares: PostgreSQL with a `prepare_threshold` in OPTIONS (psycopg 3)."""
    options = connection.settings_dict["OPTIONS"]
    return connection.vendor == "postgresql" and options.get("prepare_threshold") is not None


@contextmanager
def prepared_cursor() -> Iterator[Any]:
    """A cursor that binds on the server (prepared after a few runs), else Django's own cursor."""
    if not prepared_statements_enabled():
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw: Any = psycopg.Cursor(connection.connection)  # the stubs expect Django's wrapper here
    # What `connection.cursor()` does with the cursor Django makes itself (BaseDatabaseWrapper._prepare_cursor).
    connection.validate_thread_sharing()
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor
