"""Reads of the audit log, for technical admins and log-data requests (R4.8)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from civicdesk.core.errors import InvalidInputError
from civicdesk.privacy.models import AuditEntry

EXPORT_COLUMNS = ("sequence", "created_at", "actor_id", "actor", "actor_label", "action", "object_type",
                  "object_id", "object_label", "source_ip", "channel", "changes")


def audit_entries_of_organizations(
    entries: QuerySet[AuditEntry], organization_ids: Iterable[int]
) -> QuerySet[AuditEntry]:
    """Entries of these organisations, plus those without one (logins, changes to user accounts)
    made by their members, so that a technical admin also sees their staff's logins."""
    from civicdesk.accounts.models import Membership

    ids = list(organization_ids)
    by_member = Exists(Membership.objects.filter(organization_id__in=ids, user_id=OuterRef("actor_id")))
    return entries.filter(Q(organization_id__in=ids) | (Q(organization__isnull=True) & by_member))


def audit_entries_for_log_request(
    *,
    organization_id: int | None = None,
    case_ids: Iterable[int] = (),
    subject: str = "",
    actor_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """Entries answering a log-data request: who saw or handled these cases, or this person's data.

    `subject` is a customer's email address or phone number as stored on cases.
    """
    subject = subject.strip().lower()
    case_ids = [int(c) for c in case_ids]
    if not case_ids and not subject and actor_id is None:
        raise InvalidInputError(_("Name a case, a person or an actor."))
    wanted = Q()
    if case_ids:
        wanted |= Q(object_type="case", object_id__in=[str(c) for c in case_ids])
    if subject:
        # SQLite stores JSON with non-ASCII characters escaped (an IDN email address), PostgreSQL
        # does not; match either spelling.
        wanted |= Q(subjects__icontains=f'"{subject}"') | Q(subjects__icontains=json.dumps(subject))
    if actor_id is not None:
        wanted |= Q(actor_id=actor_id)
    entries: QuerySet[AuditEntry] = AuditEntry.objects.filter(wanted)
    if organization_id is not None:
        entries = audit_entries_of_organizations(entries, [organization_id])
    return entries.select_related("actor").order_by("sequence")


def audit_entries_as_csv(entries: Iterable[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        writer.writerow(_row(entry))
    return out.getvalue()


def _row(entry: AuditEntry) -> list[Any]:
    return [
        entry.sequence, entry.created_at.isoformat(), entry.actor_id or "",
        entry.actor.get_username() if entry.actor else "", entry.actor_label, entry.action, entry.object_type,
        entry.object_id, entry.object_label, entry.source_ip or "", entry.channel, entry.changes,
    ]
