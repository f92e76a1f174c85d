"""Reads for the residents' pages. Nothing here may return staff-only data."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from civicdesk.cases.models import Case, CaseType, Category, EntryKind, TimelineEntry
from civicdesk.core.errors import NotFoundError
from civicdesk.organizations.models import Organization

CUSTOMER_VISIBLE_KINDS = (EntryKind.CREATED, EntryKind.INBOUND_MESSAGE, EntryKind.OUTBOUND_REPLY)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def organizations_taking_contacts() -> QuerySet[Organization]:
    return Organization.objects.filter(is_active=True).order_by("name")


def organization_for_contact(*, slug: str) -> Organization:
    organization = organizations_taking_contacts().filter(slug=slug).first()
    if organization is None:
        raise NotFoundError()
    return organization


def contact_topics(*, organization: Organization) -> QuerySet[Category]:
    """The categories a resident may choose, in the current language's alphabetical order."""
    return Category.objects.filter(organization=organization, is_active=True).order_by("name")


def contact_case_types(*, organization: Organization) -> QuerySet[CaseType]:
    return CaseType.objects.filter(organization=organization, is_active=True).order_by("name")


def case_for_tracking(*, token: str) -> Case:
    """The case behind a private tracking link; a merged case leads to the one it was merged into.

    Anything but an exact, current token gives NotFoundError, with no hint whether it existed.
    """
    if not TOKEN_RE.fullmatch(token or ""):
        raise NotFoundError()
    case = Case.objects.select_related("organization", "merged_into").filter(tracking_token=token).first()
    if case is None:
        raise NotFoundError()
    return case.merged_into or case


def case_customer_timeline(*, case: Case) -> list[TimelineEntry]:
    """What the customer may see of the case's history: their own messages and the city's replies.

    Internal notes, comment requests, forwards and staff names never appear (1 query).
    """
    return list(
        TimelineEntry.objects.filter(case=case, is_internal=False, kind__in=CUSTOMER_VISIBLE_KINDS)
        .only("id", "kind", "body", "created_at", "data", "case_id")
        .order_by("created_at", "id")
    )
