from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.accounts.models import User
from civicdesk.cases.models import Case
from civicdesk.core.errors import ApplicationError
from civicdesk.organizations.models import Organization
from civicdesk.privacy.selectors import audit_entries_as_csv, audit_entries_for_log_request


class Command(BaseCommand):
    help = (
        "Export the audit entries a log-data request needs: who has seen or handled a case "
        "(--case REF, merged cases included) or a person's data (--subject EMAIL_OR_PHONE), or what "
        "a staff member did (--actor USERNAME). Writes CSV to stdout or --output."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--organization", required=True, help="organisation identifier (slug)")
        parser.add_argument("--case", action="append", default=[], help="case reference, e.g. 2026-000123")
        parser.add_argument("--subject", default="", help="customer's email address or phone number")
        parser.add_argument("--actor", default="", help="staff username")
        parser.add_argument("--output", default="", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = Organization.objects.get(slug=options["organization"])
        except Organization.DoesNotExist as exc:
            raise CommandError("No such organisation.") from exc
        cases = Case.objects.filter(organization=organization, reference__in=options["case"])
        found = {c.reference: c.pk for c in cases}
        missing = set(options["case"]) - set(found)
        if missing:
            raise CommandError(f"No such cases: {', '.join(sorted(missing))}")
        case_ids = set(found.values())
        # A merged case's history lives on in the case it was merged into, and vice versa.
        case_ids |= set(Case.objects.filter(merged_into_id__in=case_ids).values_list("pk", flat=True))
        case_ids |= set(Case.objects.filter(pk__in=case_ids, merged_into__isnull=False)
                        .values_list("merged_into_id", flat=True))
        actor_id = None
        if options["actor"]:
            actor = User.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError("No such user.")
            actor_id = actor.pk
        try:
            entries = audit_entries_for_log_request(
                organization_id=organization.pk, case_ids=case_ids, subject=options["subject"], actor_id=actor_id
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        text = audit_entries_as_csv(entries.iterator(chunk_size=2000))
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {text.count(chr(10)) - 1} entries to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
