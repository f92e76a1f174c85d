from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicdesk.privacy.services import audit_verify_chain


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and report the first altered, removed or inserted entry."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify_chain()
        if not result.ok:
            raise CommandError(
                f"Audit log chain broken at entry {result.first_bad_sequence}: {result.reason} "
                f"({result.checked} entries verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {result.checked} entries verified."))
