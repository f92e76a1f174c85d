"""Reads for the notification pages, the nav badge, the follow button and the email bundles.

Each selector states how many queries it makes (not counting `access_for`, which is loaded once
per request); the pages' tests assert those counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Q, Value

from civicdesk.accounts.permissions import access_for
from civicdesk.cases.models import Case
from civicdesk.cases.permissions import cases_visible_to
from civicdesk.core.kept_queries import KeptQuery
from civicdesk.notifications.models import (
    DEFAULT_EMAIL_INTERVAL,
    CaseFollow,
    EmailInterval,
    Notification,
    NotificationSettings,
)

BADGE_CAP = 99
UNREAD_LISTED = 100
READ_LISTED = 30
FOLLOWED_LISTED = 100
LONG_CASE_FIELDS = ("description", "search_vector", "public_text", "public_answer", "consent_text")
# Someone seen in the staff pages this recently is at work and reads notifications there.
ACTIVE_WINDOW = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class UnreadBadge:
    count: int
    more: bool  # there are more than `count` (the badge says "99+")


# The badge's count on every staff page, its SQL kept per process (core.kept_queries).
_BADGE_COUNT = KeptQuery("notifications.badge_count", reads_configuration=False)


def unread_badge_for(*, user: Any) -> UnreadBadge:
    """The nav badge: unread notifications, counted up to BADGE_CAP + 1 (1 query, none when anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return UnreadBadge(count=0, more=False)
    count = _BADGE_COUNT.count(
        lambda user_id: Notification.objects.filter(recipient_id=user_id, read_at__isnull=True),
        limit=BADGE_CAP + 1, user_id=user.pk,
    )
    return UnreadBadge(count=min(count, BADGE_CAP), more=count > BADGE_CAP)


def _with_case_access(notifications: Any, user: Any) -> Any:
    """Each notification gets `case_visible`: whether the user may still open its case.

    A notification about a case the user can no longer see is listed without its title, so that
    it can still be marked as read but tells nothing about the case.
    """
    access = access_for(user)
    if access.user_id is None or (not access.roles and not access.is_superuser):
        return notifications.annotate(case_visible=Value(False, output_field=BooleanField()))
    visible = cases_visible_to(user).filter(pk=OuterRef("case_id"))
    return notifications.annotate(case_visible=Exists(visible))


@dataclass(frozen=True)
class NotificationsPage:
    unread: list[Notification]
    unread_more: bool  # more unread exist than are listed
    read: list[Notification]
    followed: list[Case]


def notifications_page_for(*, user: Any) -> NotificationsPage:
    """The notifications page: newest unread (up to 100), the latest read ones, followed cases (3 queries)."""
    mine = _with_case_access(
        Notification.objects.filter(recipient_id=user.pk)
        .select_related("case", "actor", "service_group")
        .defer(*(f"case__{name}" for name in LONG_CASE_FIELDS)),
        user,
    )
    unread = list(mine.filter(read_at__isnull=True).order_by("-created_at", "-id")[: UNREAD_LISTED + 1])
    read = list(mine.filter(read_at__isnull=False).order_by("-created_at", "-id")[:READ_LISTED])
    return NotificationsPage(
        unread=unread[:UNREAD_LISTED],
        unread_more=len(unread) > UNREAD_LISTED,
        read=read,
        followed=cases_followed_by(user=user, limit=FOLLOWED_LISTED),
    )


def cases_followed_by(*, user: Any, limit: int) -> list[Case]:
    """Cases the user follows and may still see, latest activity first (1 query)."""
    return list(
        cases_visible_to(user)
        .filter(Exists(CaseFollow.objects.filter(case_id=OuterRef("pk"), user_id=user.pk)))
        .only("id", "reference", "title", "status", "last_activity_at")
        .order_by("-last_activity_at", "-id")[:limit]
    )


def case_is_followed(*, user: Any, case: Case) -> bool:
    """1 query."""
    return CaseFollow.objects.filter(user_id=user.pk, case_id=case.pk).exists()


def notification_settings_for(*, user: Any) -> NotificationSettings:
    """The user's settings, or unsaved defaults (1 query)."""
    found = NotificationSettings.objects.filter(user_id=user.pk).first()
    return found if found is not None else NotificationSettings(user_id=user.pk)


def users_due_an_email_bundle(*, now: dt.datetime) -> list[int]:
    """Users to mail now (1 query).

    A user is due when a notification they want by email, unread and not yet mailed, has waited
    their interval, and they have not been seen in the staff pages for ACTIVE_WINDOW.
    """
    waited = Q()
    for interval in EmailInterval:
        chose = Q(recipient__notification_settings__email_interval=interval.value)
        if interval == DEFAULT_EMAIL_INTERVAL:
            chose |= Q(recipient__notification_settings__isnull=True)
        waited |= chose & Q(created_at__lte=now - dt.timedelta(minutes=interval.value))
    return list(
        Notification.objects.filter(by_email=True, emailed_at__isnull=True, read_at__isnull=True)
        .filter(waited)
        .exclude(recipient__notification_activity__last_seen_at__gte=now - ACTIVE_WINDOW)
        .order_by("recipient_id")
        .values_list("recipient_id", flat=True)
        .distinct()
    )
