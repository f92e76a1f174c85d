"""`manage.py demo_city`: load the demo city "Merilahti" (idempotent)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.demo.builder import DEFAULT_CASES, DEFAULT_PASSWORD, DEFAULT_SEED, demo_city_build, demo_city_exists
from civicdesk.demo.catalogue import DEMO_LOGINS


class Command(BaseCommand):
    help = (
        "Create the demo city Merilahti: units, service groups, districts, categories, a login for every role "
        "and two years of cases written through the case services. Does nothing if it is already loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=DEFAULT_CASES,
                            help=f"Number of cases (default {DEFAULT_CASES}).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help="Random seed; the same seed gives the same city.")
        parser.add_argument(
            "--reset", action="store_true",
            help="Not possible in place (the audit log is append-only); explains how to rebuild instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            # The cases' audit entries can never be deleted (DB triggers), and deleting the cases
            # without them would leave a log about cases that no longer exist.
            raise CommandError(
                "The demo city cannot be deleted from this database: the audit log is append-only. "
                "Rebuild it in a fresh database instead: `make demo-reset` deletes var/civicdesk.sqlite3, "
                "migrates and loads the demo again (or point DATABASE_URL at an empty database)."
            )
        if options["cases"] < 1:
            raise CommandError("--cases must be at least 1.")
        if demo_city_exists():
            self.stdout.write("The demo city (demo-city, Merilahti) is already loaded; nothing to do.")
            return
        # Read here rather than in settings: only this command uses it (listed in .env.example).
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        report = demo_city_build(
            cases=options["cases"], seed=options["seed"], password=password, progress=self.stdout.write
        )
        for line in report.lines():
            self.stdout.write(line)
        if report.skipped:
            for reason in report.skipped[:10]:
                self.stderr.write(f"  skipped: {reason}")
        shown = "from DEMO_PASSWORD" if password != DEFAULT_PASSWORD else DEFAULT_PASSWORD
        logins = ", ".join(login.username for login in DEMO_LOGINS)
        self.stdout.write(self.style.SUCCESS(f"Log in as one of {logins} (password {shown})."))
