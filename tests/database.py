"""Helpers for transactional tests (live servers, servers on other threads)."""

from __future__ import annotations

import importlib

from django.db import connection, transaction


def audit_log_empty_for_flush() -> None:
    """Let a transactional test's closing flush succeed on SQLite.

    On SQLite the flush is a DELETE, which the audit log's append-only triggers refuse
    (PostgreSQL flushes with TRUNCATE, which row triggers do not see). Called from a fixture torn
    down before the database's flush: it empties the log with the triggers dropped and puts them
    back exactly as the migration creates them.
    """
    if connection.vendor != "sqlite":
        return
    triggers = importlib.import_module("civicdesk.privacy.migrations.0003_audit_append_only_sqlite")
    operation = triggers.Migration.operations[0]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in operation.reverse_sql:
            cursor.execute(statement)
        cursor.execute("DELETE FROM privacy_auditentry")
        for statement in operation.sql:
            cursor.execute(statement)
