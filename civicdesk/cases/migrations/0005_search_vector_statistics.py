from django.db import migrations

from civicdesk.core.migration_operations import PostgresOnlySQL


class Migration(migrations.Migration):
    """Finer statistics on the search vector, so the planner can tell common words from rare ones.

    With the default target PostgreSQL guesses badly between "scan the GIN index" and "walk the
    activity index and filter": a common word then costs a second, a rare one several (see
    docs/benchmarks.md).
    """

    dependencies = [("cases", "0004_queue_and_search_indexes")]

    operations = [
        PostgresOnlySQL(
            sql="ALTER TABLE cases_case ALTER COLUMN search_vector SET STATISTICS 1000;",
            reverse_sql="ALTER TABLE cases_case ALTER COLUMN search_vector SET STATISTICS -1;",
        )
    ]
