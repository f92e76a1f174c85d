"""`manage.py demo_mailboxes`: give the demo city its intake addresses (idempotent) and print them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from civicdesk.cases.models import CaseType
from civicdesk.demo import catalogue as cat
from civicdesk.intake.models import Mailbox
from civicdesk.organizations.models import Organization, ServiceGroup

# address → code of the service group its new contacts go to ("" → the advisors' intake)
DEMO_MAILBOXES: dict[str, tuple[str, str]] = {
    f"palaute@{cat.STAFF_EMAIL_DOMAIN}": ("Palaute", ""),
    f"kadut@{cat.STAFF_EMAIL_DOMAIN}": ("Katujen kunnossapito", cat.STREETS_GROUP),
}


class Command(BaseCommand):
    help = "Create the demo city's intake mailboxes if they are missing, and print every active intake address."

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=cat.ORGANIZATION_SLUG).first()
        case_type = CaseType.objects.filter(organization=organization, kind="feedback", is_active=True).order_by(
            "id").first() if organization else None
        if organization is not None and case_type is not None:
            for address, (name, group_code) in DEMO_MAILBOXES.items():
                group = ServiceGroup.objects.filter(organization=organization, code=group_code).first() \
                    if group_code else None
                Mailbox.objects.get_or_create(address=address, defaults={
                    "organization": organization, "name": name, "case_type": case_type, "service_group": group})
        for address in Mailbox.objects.filter(is_active=True).order_by("address").values_list("address", flat=True):
            self.stdout.write(address)
