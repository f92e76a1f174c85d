"""A covering GiST index for the contact form's map (intake.selectors.contacts_nearby).

Like `case_nearby_point_gist` (intake migration 0002), over the cases the map may show (open or
published, located, no special categories, not merged), but on point(lat, lon) and carrying the
organisation, the date, the id and the point: the lookup finds the candidates of a 400 m box
index-only, instead of visiting the table for each of the thousands of cases in a dense box, and
reads only the rows it shows (docs/benchmarks.md, issue 4). SQLite skips it.
"""

from django.db import migrations

from civicdesk.core.migration_operations import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_timeline_workflow_kind")]

    operations = [
        PostgresOnlySQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS case_nearby_covering_gist ON cases_case USING gist (point(lat, lon)) "
                "INCLUDE (organization_id, created_at, id, lat, lon) "
                "WHERE lat IS NOT NULL AND NOT contains_special_categories AND merged_into_id IS NULL "
                "AND (is_published OR status <> 'closed');"
            ),
            reverse_sql="DROP INDEX IF EXISTS case_nearby_covering_gist;",
        ),
    ]
