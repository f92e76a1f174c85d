"""core.prepared_statements: server-bound, prepared statements on PostgreSQL; Django's cursor elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicdesk.core.prepared_statements import prepared_cursor, prepared_statements_enabled

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def test_the_cursor_runs_statements_and_is_counted_as_any_other() -> None:
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT %s + 1", [41])
        assert cursor.fetchone()[0] == 42
    assert len(queries) == 1


@postgres_only
@pytest.mark.postgres
def test_on_postgresql_a_statement_is_prepared_after_the_threshold() -> None:
    assert prepared_statements_enabled()
    sql = "SELECT count(*) FROM cases_case WHERE organization_id = %(organization)s AND lat >= %(south)s"
    for _ in range(connection.connection.prepare_threshold + 1):
        with prepared_cursor() as cursor:
            cursor.execute(sql, {"organization": 1, "south": 60.1})
            assert cursor.fetchone()[0] == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("cases_case WHERE organization_id = $1 AND lat >= $2" in statement for statement in prepared)
