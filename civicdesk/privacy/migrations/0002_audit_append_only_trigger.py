from django.db import migrations

from civicdesk.core.migration_operations import PostgresOnlySQL

# On PostgreSQL the database itself refuses UPDATE and DELETE on the audit log, so even code
# that bypasses the model (raw SQL, a mistaken migration) cannot rewrite history unnoticed.
SQL = """
CREATE OR REPLACE FUNCTION privacy_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS privacy_audit_append_only ON privacy_auditentry;
CREATE TRIGGER privacy_audit_append_only BEFORE UPDATE OR DELETE ON privacy_auditentry
  FOR EACH ROW EXECUTE FUNCTION privacy_audit_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS privacy_audit_append_only ON privacy_auditentry;
DROP FUNCTION IF EXISTS privacy_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [PostgresOnlySQL(sql=SQL, reverse_sql=REVERSE)]
