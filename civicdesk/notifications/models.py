"""Notifications to staff about cases, the cases they follow, and how each wants to be told.

A notification stores what happened as a kind and parameters, never as rendered text: the
sentence is built when it is shown or mailed, in the reader's language.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case, EntryKind, TimelineEntry
from civicdesk.organizations.models import ServiceGroup


class NotificationKind(models.TextChoices):
    """What a notification is about, from the recipient's point of view; also the unit of preference."""

    CASE_ASSIGNED = "case_assigned", _("A case is assigned to me")
    CASE_TO_GROUP = "case_to_group", _("A case is forwarded to my service group")
    COMMENT_REQUESTED = "comment_requested", _("My comment is requested")
    COMMENT_ANSWERED = "comment_answered", _("My comment request is answered")
    CASE_SHARED = "case_shared", _("A case is sent to me for information")
    CUSTOMER_MESSAGE = "customer_message", _("The customer writes on a case I handle")
    CASE_REOPENED = "case_reopened", _("A case I handle is reopened")
    FOLLOWED_CASE = "followed_case", _("Something happens on a case I follow")
    SERVICE_LEVEL = "service_level", _("A case of mine or of my group is about to miss or missed its service level")


class Delivery(models.TextChoices):
    IN_APP = "in_app", _("In CivicDesk only")
    EMAIL = "email", _("In CivicDesk and by email (bundled)")
    OFF = "off", _("Off")


class EmailInterval(models.IntegerChoices):
    """How long the first unread notification waits for others before the bundle is mailed (minutes)."""

    QUARTER_HOUR = 15, _("Every 15 minutes at most")
    HOUR = 60, _("Hourly at most")
    DAY = 24 * 60, _("Daily at most")


# What a user who never saved the settings page gets: mail for what is addressed to them,
# the in-app list only for cases they merely follow.
DEFAULT_DELIVERY: dict[str, str] = {
    **dict.fromkeys(NotificationKind.values, str(Delivery.EMAIL)),
    NotificationKind.FOLLOWED_CASE.value: str(Delivery.IN_APP),
}
DEFAULT_EMAIL_INTERVAL = EmailInterval.HOUR


class Notification(models.Model):
    """One event on a case, told to one user. At most one per recipient and timeline entry."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The recipient's group, when the event was addressed to a group rather than to them.
    service_group = models.ForeignKey(
        ServiceGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Codes only (entry_kind, reopened); translated when shown.
    params = models.JSONField(default=dict, blank=True)
    by_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # A task run twice, or an event that concerns someone in two ways, still tells them once.
            models.UniqueConstraint(fields=["recipient", "entry"], name="notification_once_per_entry"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_recipient_idx"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(by_email=True, emailed_at__isnull=True, read_at__isnull=True),
                name="notification_email_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind} on {self.case_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    def summary(self) -> str:
        """One sentence in the active language. Reads `case`, `actor` and `service_group` (select them)."""
        values = {
            "actor": str(self.actor) if self.actor_id is not None and self.actor is not None else gettext("Someone"),
            "reference": self.case.reference,
            "group": str(self.service_group) if self.service_group is not None else "",
        }
        group = self.service_group_id is not None
        if self.kind == NotificationKind.CASE_ASSIGNED:
            text = gettext("%(actor)s made you the handler of case %(reference)s.")
        elif self.kind == NotificationKind.CASE_TO_GROUP:
            text = gettext("%(actor)s forwarded case %(reference)s to your group %(group)s.")
        elif self.kind == NotificationKind.COMMENT_REQUESTED:
            text = (gettext("%(actor)s asks your group %(group)s for a comment on case %(reference)s.") if group
                    else gettext("%(actor)s asks for your comment on case %(reference)s."))
        elif self.kind == NotificationKind.COMMENT_ANSWERED:
            text = gettext("%(actor)s answered your comment request on case %(reference)s.")
        elif self.kind == NotificationKind.CASE_SHARED:
            text = (gettext("%(actor)s sent case %(reference)s to your group %(group)s for information.") if group
                    else gettext("%(actor)s sent case %(reference)s to you for information."))
        elif self.kind == NotificationKind.CUSTOMER_MESSAGE:
            text = (gettext("The customer wrote on case %(reference)s, which you handle, and so reopened it.")
                    if self.params.get("reopened")
                    else gettext("The customer wrote on case %(reference)s, which you handle."))
        elif self.kind == NotificationKind.CASE_REOPENED:
            text = gettext("%(actor)s reopened case %(reference)s, which you handle.")
        elif self.kind == NotificationKind.SERVICE_LEVEL:
            event = self.params.get("service_level", "")
            if event == "warning":
                text = gettext("Case %(reference)s will miss its service level soon.")
            elif event == "response_breach":
                text = gettext("Case %(reference)s has had no answer within its service level.")
            elif event == "workflow_escalation":
                text = gettext("Case %(reference)s stayed too long in one step of its workflow and was escalated.")
            else:
                text = gettext("Case %(reference)s missed its service level and was escalated.")
        else:
            entry_kind = self.params.get("entry_kind", "")
            values["event"] = str(EntryKind(entry_kind).label) if entry_kind in EntryKind.values else "?"
            if self.params.get("by_customer"):
                text = gettext("Case %(reference)s, which you follow: %(event)s (customer).")
            elif self.actor_id is None:
                text = gettext("Case %(reference)s, which you follow: %(event)s.")
            else:
                text = gettext("Case %(reference)s, which you follow: %(event)s (%(actor)s).")
        return text % values


class CaseFollow(models.Model):
    """A user who wants to hear about everything that happens on a case (while they may see it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_follows")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("followed case")
        verbose_name_plural = _("followed cases")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="case_follow_unique")]
        indexes = [models.Index(fields=["case", "user"], name="case_follow_case_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.case_id}"


class NotificationSettings(models.Model):
    """A user's choices; a user without a row gets DEFAULT_DELIVERY and DEFAULT_EMAIL_INTERVAL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_settings"
    )
    # kind -> Delivery value; a kind missing here takes its default (kinds added later included).
    deliveries = models.JSONField(default=dict, blank=True)
    email_interval = models.PositiveIntegerField(
        _("email at most"), choices=EmailInterval.choices, default=DEFAULT_EMAIL_INTERVAL
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"

    def delivery_for(self, kind: str) -> str:
        value = self.deliveries.get(kind)
        return value if value in Delivery.values else DEFAULT_DELIVERY[kind]


class UserActivity(models.Model):
    """When the user was last seen in the staff pages (written at most every few minutes)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="notification_activity"
    )
    last_seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("user activity")
        verbose_name_plural = _("user activity")

    def __str__(self) -> str:
        return f"{self.user_id} seen {self.last_seen_at:%Y-%m-%d %H:%M}"
