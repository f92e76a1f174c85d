"""Load an organisation's address list for the contact form's address search from a CSV file."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.intake.services import ADDRESS_COLUMNS, addresses_load
from civicdesk.organizations.models import Organization


class Command(BaseCommand):
    help = (
        "Replace an organisation's address list with a UTF-8 CSV file whose header names the columns "
        f"{', '.join(ADDRESS_COLUMNS)} (WGS84 latitude and longitude; number, postal_code and municipality "
        "may be empty)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organisation's identifier (slug)")
        parser.add_argument("csv_file", type=Path)
        parser.add_argument("--delimiter", default=",", help="column separator (default ,)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organisation {options['organization']!r}.")
        path: Path = options["csv_file"]
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle, delimiter=options["delimiter"])
                missing = [c for c in ("street", "lat", "lon") if c not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(f"The header lacks the columns {', '.join(missing)}.")
                report = addresses_load(organization=organization, rows=reader)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        for problem in report.refused[:20]:
            self.stderr.write(f"line {problem}")
        if len(report.refused) > 20:
            self.stderr.write(f"… and {len(report.refused) - 20} more lines refused")
        self.stdout.write(f"Loaded {report.loaded} addresses for {organization.slug}; refused {len(report.refused)}.")
