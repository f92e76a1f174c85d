"""Every write of the notifications app (R4.7, staff workspace items 4 and 5).

* `notify_case_event` is the one function the case services call, for each timeline entry they
  write. After the case's transaction commits, `notifications_create_for_entry` (in a task)
  decides who is told: the people the event is addressed to, then the case's followers; never
  the actor, never anyone who may not see the case, and never against their settings.
* Reading state, following, settings and presence are changed only here.
* `notification_bundles_send` mails each user who is away one bundle of what is waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civicdesk.accounts.models import GroupMembership, User
from civicdesk.accounts.permissions import HANDLING_ROLES
from civicdesk.cases.models import Case, EntryKind, Status, TimelineEntry
from civicdesk.cases.permissions import can_view_case, cases_visible_to
from civicdesk.core.errors import InvalidInputError, NotFoundError
from civicdesk.core.follow_ups import follow_up
from civicdesk.notifications import selectors
from civicdesk.notifications.models import (
    CaseFollow,
    Delivery,
    EmailInterval,
    Notification,
    NotificationKind,
    NotificationSettings,
    UserActivity,
)

logger = logging.getLogger(__name__)

# Notifications are about what just happened. An entry stamped longer ago than this (history
# written by an import, or by the demo builder, which moves the services' clock) tells nobody.
EVENT_MAX_AGE = dt.timedelta(minutes=15)
BUNDLE_MAX_LISTED = 50
OPEN_STATUSES = {Status.NEW, Status.OPEN, Status.WAITING}


# --- from case events to notifications ----------------------------------------------------


def notify_case_event(*, entry: TimelineEntry) -> None:
    """Called by the case services for each timeline entry, inside their transaction.

    The sender of a forward follows the case from then on (in the same transaction). Everything
    else happens after the commit, in a task, so rolled-back work tells nobody.
    """
    if entry.kind == EntryKind.CREATED:
        return  # a new case has no followers, and routing is not a hand-over by anyone
    if entry.kind == EntryKind.FORWARD and entry.actor_id is not None:
        CaseFollow.objects.get_or_create(user_id=entry.actor_id, case_id=entry.case_id)
    # The wall clock, not timezone.now(): the demo builder moves the latter to write history.
    if entry.created_at.timestamp() < time.time() - EVENT_MAX_AGE.total_seconds():
        return
    from civicdesk.notifications.tasks import notifications_for_entry_task

    # After the commit, in a task (or in the worker task that wrote the entry: `core.follow_ups`); a
    # broker that is down must not turn the committed action into an error page.
    follow_up(notifications_for_entry_task, entry.pk)


@dataclass(frozen=True)
class _Recipient:
    kind: str
    service_group_id: int | None = None


def _group_workers(service_group_id: Any, organization_id: int) -> list[int]:
    """Active members of the group who work cases there (advisors, experts, partners)."""
    if not isinstance(service_group_id, int):
        return []
    return list(
        GroupMembership.objects.filter(
            service_group_id=service_group_id,
            service_group__organization_id=organization_id,
            user__is_active=True,
            user__memberships__organization_id=organization_id,
            user__memberships__role__in=HANDLING_ROLES,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def _reopened_by_this_message(entry: TimelineEntry) -> bool:
    return TimelineEntry.objects.filter(
        case_id=entry.case_id, pk__gt=entry.pk, kind=EntryKind.STATUS_CHANGE, data__from=Status.CLOSED,
        data__reason="customer_message",
    ).exists()


def _is_follower_news(entry: TimelineEntry) -> bool:
    """Whether followers hear of the entry. Status changes between open states come with a reply
    (which they hear of), and a reopening by the customer comes with their message."""
    if entry.kind != EntryKind.STATUS_CHANGE:
        return True
    data = entry.data or {}
    if data.get("by_customer"):
        return False
    return not (data.get("from") in OPEN_STATUSES and data.get("to") in OPEN_STATUSES)


def _addressees(entry: TimelineEntry, case: Case) -> dict[int, _Recipient]:
    """Who the entry is addressed to, most specific reason first; followers last."""
    found: dict[int, _Recipient] = {}

    def add(user_id: Any, kind: str, service_group_id: int | None = None) -> None:
        if isinstance(user_id, int) and user_id not in found:
            found[user_id] = _Recipient(kind=kind, service_group_id=service_group_id)

    def add_group(group_id: Any, kind: str) -> None:
        for user_id in _group_workers(group_id, case.organization_id):
            add(user_id, kind, group_id)

    data = entry.data or {}
    if entry.kind == EntryKind.HANDLER_CHANGE:
        add(data.get("to"), NotificationKind.CASE_ASSIGNED)
    elif entry.kind == EntryKind.FORWARD:
        add(data.get("handler"), NotificationKind.CASE_ASSIGNED)
        add_group(data.get("to_group"), NotificationKind.CASE_TO_GROUP)
    elif entry.kind == EntryKind.INFORMATION:
        add(data.get("to_user"), NotificationKind.CASE_SHARED)
        add_group(data.get("to_group"), NotificationKind.CASE_SHARED)
    elif entry.kind == EntryKind.COMMENT_REQUEST:
        add(data.get("from_user"), NotificationKind.COMMENT_REQUESTED)
        add_group(data.get("from_group"), NotificationKind.COMMENT_REQUESTED)
    elif entry.kind == EntryKind.COMMENT_REPLY and entry.comment_request is not None:
        add(entry.comment_request.requested_by_id, NotificationKind.COMMENT_ANSWERED)
    elif entry.kind == EntryKind.INBOUND_MESSAGE:
        add(case.handler_id, NotificationKind.CUSTOMER_MESSAGE)
    elif (
        entry.kind == EntryKind.STATUS_CHANGE and data.get("from") == Status.CLOSED and not data.get("by_customer")
    ):
        add(case.handler_id, NotificationKind.CASE_REOPENED)
    elif entry.kind == EntryKind.SERVICE_LEVEL and data.get("notify", True):
        add(case.handler_id, NotificationKind.SERVICE_LEVEL)
        if case.handler_id is None or data.get("event") == "breach":
            add_group(case.owner_group_id, NotificationKind.SERVICE_LEVEL)
    if _is_follower_news(entry):
        for user_id in CaseFollow.objects.filter(case_id=case.pk).values_list("user_id", flat=True):
            add(user_id, NotificationKind.FOLLOWED_CASE)
    return found


_ENTRY_FIELDS = (
    "id", "case_id", "kind", "actor_id", "data", "comment_request_id",
    "case__id", "case__organization_id", "case__handler_id", "case__owner_group_id",
    "comment_request__id", "comment_request__requested_by_id",
)


def notifications_create_for_entry(*, entry_id: int) -> int:
    """Tell everyone the entry concerns; idempotent (one notification per user and entry).

    Returns how many notifications were created. Queries: a few for the entry and the people it
    is addressed to, then 3 per candidate recipient for the visibility check.
    """
    # Only what deciding the recipients reads: the visibility check and the rows need only the case's id.
    entry = next(iter(
        TimelineEntry.objects.select_related("case", "comment_request").only(*_ENTRY_FIELDS).filter(pk=entry_id)[:1]
    ), None)
    if entry is None or entry.kind == EntryKind.CREATED:
        return 0
    case = entry.case
    addressed = _addressees(entry, case)
    if entry.actor_id is not None:
        addressed.pop(entry.actor_id, None)  # never the actor themself
    if not addressed:
        return 0
    users = User.objects.filter(pk__in=list(addressed), is_active=True)
    # The special-categories rule and lost access: only people who may open the case hear of it.
    recipients = [user for user in users if can_view_case(user, case)]
    chosen = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=[u.pk for u in recipients])}
    params: dict[str, Any] = {}
    if entry.kind == EntryKind.INBOUND_MESSAGE and _reopened_by_this_message(entry):
        params["reopened"] = True
    notifications = []
    for user in recipients:
        reason = addressed[user.pk]
        user_settings = chosen.get(user.pk) or NotificationSettings(user_id=user.pk)
        delivery = user_settings.delivery_for(reason.kind)
        if delivery == Delivery.OFF:
            continue
        extra: dict[str, Any] = {}
        if entry.kind == EntryKind.SERVICE_LEVEL:
            extra = {"service_level": entry.data.get("event", ""), "entry_kind": entry.kind}
        elif reason.kind == NotificationKind.FOLLOWED_CASE:
            extra = {"entry_kind": entry.kind, **({"by_customer": True} if entry.data.get("by_customer") else {})}
        notifications.append(Notification(
            recipient=user, case=case, entry=entry, kind=reason.kind, actor_id=entry.actor_id,
            service_group_id=reason.service_group_id, params={**params, **extra},
            by_email=delivery == Delivery.EMAIL,
        ))
    created = Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    return len(created)


# --- reading ------------------------------------------------------------------------------


def _own(user: Any, notification_id: Any) -> Notification:
    """The user's own notification; another user's, or none, is NotFoundError."""
    if not isinstance(notification_id, int):
        raise NotFoundError()
    found = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).select_related("case").first()
    if found is None:
        raise NotFoundError()
    return found


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    """Mark one of the user's notifications as read (no change if it already was)."""
    notification = _own(user, notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    """Mark all of the user's unread notifications as read; returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


def notification_open(*, user: Any, notification_id: int) -> Case:
    """The notification's case, for a redirect; the user's unread notifications about it become read.

    A case the user may no longer see is NotFoundError, and nothing changes.
    """
    notification = _own(user, notification_id)
    if not can_view_case(user, notification.case):
        raise NotFoundError()
    Notification.objects.filter(recipient_id=user.pk, case_id=notification.case_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return notification.case


# --- following ----------------------------------------------------------------------------


def case_follow(*, user: Any, case: Case) -> CaseFollow:
    """Follow a case the user may see (idempotent)."""
    if not can_view_case(user, case):
        raise NotFoundError()
    follow, _created = CaseFollow.objects.get_or_create(user_id=user.pk, case_id=case.pk)
    return follow


def case_unfollow(*, user: Any, case: Case) -> None:
    """Stop following (idempotent). Allowed without access, so that anyone can leave a case."""
    CaseFollow.objects.filter(user_id=user.pk, case_id=case.pk).delete()


# --- settings and presence ----------------------------------------------------------------


@transaction.atomic
def notification_settings_save(
    *, user: Any, deliveries: Mapping[str, str], email_interval: int
) -> NotificationSettings:
    """Save the user's choice per kind and their bundle interval.

    Notifications waiting for a mail whose kind is no longer wanted by email are not mailed.
    """
    cleaned: dict[str, str] = {}
    for kind in NotificationKind.values:
        value = deliveries.get(kind)
        if value not in Delivery.values:
            raise InvalidInputError(_("Choose how you want to hear of each kind of event."), field=kind)
        cleaned[kind] = value
    unknown = set(deliveries) - set(NotificationKind.values)
    if unknown:
        raise InvalidInputError(_("Choose how you want to hear of each kind of event."), field=sorted(unknown)[0])
    if email_interval not in EmailInterval.values:
        raise InvalidInputError(_("Choose how often you want email at most."), field="email_interval")
    saved, _created = NotificationSettings.objects.update_or_create(
        user_id=user.pk, defaults={"deliveries": cleaned, "email_interval": email_interval}
    )
    not_by_email = [kind for kind, value in cleaned.items() if value != Delivery.EMAIL]
    Notification.objects.filter(
        recipient_id=user.pk, kind__in=not_by_email, by_email=True, emailed_at__isnull=True
    ).update(by_email=False)
    return saved


def user_activity_touch(*, user: Any, now: dt.datetime | None = None) -> None:
    """Record that the user is in the staff pages now (the middleware calls this every few minutes)."""
    UserActivity.objects.update_or_create(user_id=user.pk, defaults={"last_seen_at": now or timezone.now()})


# --- bundled email (R4.7) -----------------------------------------------------------------


def _language_of(user: User) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    preferred = getattr(user, "preferred_language", "") or ""
    return preferred if preferred in languages else settings.LANGUAGE_CODE


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def notification_bundles_send(*, now: dt.datetime | None = None) -> int:
    """Mail each user who is due (see `selectors.users_due_an_email_bundle`) one bundle; returns how many.

    Idempotent: each user's rows are locked and marked in the transaction that sends the mail,
    so a notification is mailed once. A failed mail rolls its user's marks back for the next run.
    """
    now = now or timezone.now()
    sent = 0
    for user_id in selectors.users_due_an_email_bundle(now=now):
        try:
            if _bundle_send(user_id=user_id, now=now):
                sent += 1
        except Exception:  # one bad address or a mail server hiccup must not stop the others
            logger.exception("notification bundle to user %s failed", user_id)
    return sent


@transaction.atomic
def _bundle_send(*, user_id: int, now: dt.datetime) -> bool:
    pending = Notification.objects.filter(
        recipient_id=user_id, by_email=True, emailed_at__isnull=True, read_at__isnull=True
    )
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        pending.update(by_email=False)  # nowhere to send them; they stay in the app
        return False
    # skip_locked: a second run at the same time leaves these rows to the first.
    rows = list(
        pending.select_for_update(skip_locked=True, of=("self",))
        .select_related("case", "actor", "service_group")
        .order_by("created_at", "id")
    )
    if not rows:
        return False
    visible = set(cases_visible_to(user).filter(pk__in={n.case_id for n in rows}).values_list("pk", flat=True))
    hidden = [n.pk for n in rows if n.case_id not in visible]
    if hidden:
        Notification.objects.filter(pk__in=hidden).update(by_email=False)
    rows = [n for n in rows if n.case_id in visible]
    if not rows:
        return False
    language = _language_of(user)
    with translation.override(language):
        listed = [
            {"summary": n.summary(), "url": _absolute(reverse("cases:detail", args=[n.case.reference]))}
            for n in rows[:BUNDLE_MAX_LISTED]
        ]
        context = {
            "user": user, "language": language, "items": listed, "more": len(rows) - len(listed),
            "list_url": _absolute(reverse("notifications:list")),
            "settings_url": _absolute(reverse("notifications:settings")),
        }
        subject = ngettext(
            "CivicDesk: %(count)d new notification", "CivicDesk: %(count)d new notifications", len(rows)
        ) % {"count": len(rows)}
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string("notifications/email/bundle.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(render_to_string("notifications/email/bundle.html", context), "text/html")
    Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now)
    message.send(fail_silently=False)
    return True
