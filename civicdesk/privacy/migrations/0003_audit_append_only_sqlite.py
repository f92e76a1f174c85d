from django.db import migrations


class SQLiteOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_audit_append_only_trigger")]

    operations = [
        SQLiteOnlySQL(
            sql=[
                "CREATE TRIGGER IF NOT EXISTS privacy_audit_no_update BEFORE UPDATE ON privacy_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
                "CREATE TRIGGER IF NOT EXISTS privacy_audit_no_delete BEFORE DELETE ON privacy_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
            ],
            reverse_sql=[
                "DROP TRIGGER IF EXISTS privacy_audit_no_update;",
                "DROP TRIGGER IF EXISTS privacy_audit_no_delete;",
            ],
        )
    ]
