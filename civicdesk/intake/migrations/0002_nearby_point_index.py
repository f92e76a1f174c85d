"""A GiST index over the point of the cases the contact form's map may show (intake.selectors.contacts_nearby).

PostgreSQL's own geometric `point` type, no PostGIS (ADR 0010): a B-tree on (lat, lon) reads a whole
band of the city for a small box; the GiST index reads only the box. Partial, like the lookup: open or
published cases with a location, no special categories, not merged. SQLite skips it.
"""

from django.db import migrations

from civicdesk.core.migration_operations import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial"), ("cases", "0007_form_answers")]

    operations = [
        PostgresOnlySQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS case_nearby_point_gist ON cases_case USING gist (point(lon, lat)) "
                "WHERE lat IS NOT NULL AND NOT contains_special_categories AND merged_into_id IS NULL "
                "AND (is_published OR status <> 'closed');"
            ),
            reverse_sql="DROP INDEX IF EXISTS case_nearby_point_gist;",
        ),
    ]
