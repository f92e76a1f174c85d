from django.db import migrations

from civicdesk.core.migration_operations import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            sql="CREATE INDEX IF NOT EXISTS case_search_vector_gin ON cases_case USING gin (search_vector);",
            reverse_sql="DROP INDEX IF EXISTS case_search_vector_gin;",
        ),
    ]
