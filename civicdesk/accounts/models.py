"""Staff users, their roles in organisations and their service-group memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import TimestampedModel
from civicdesk.organizations.models import Area, Organization, ServiceGroup


class User(AbstractUser):
    """A person who logs in: staff of an organisation, or a partner's or internal customer's user."""

    email = models.EmailField(_("email address"), blank=True, db_index=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="fi")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    TECHNICAL_ADMIN = "technical_admin", _("Technical administrator")
    CONTENT_ADMIN = "content_admin", _("Content administrator")
    SERVICE_ADVISOR = "service_advisor", _("Service advisor")
    EXPERT = "expert", _("Expert")
    REPORTER = "reporter", _("Reporter")
    VIEWER = "viewer", _("Viewer")
    INTERNAL_CUSTOMER = "internal_customer", _("Internal customer")
    EXTERNAL_PARTNER = "external_partner", _("External partner")


class Membership(TimestampedModel):
    """A role a user holds in an organisation; a user may hold several roles."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    areas = models.ManyToManyField(
        Area, blank=True, related_name="viewer_memberships", verbose_name=_("areas"),
        help_text=_("For viewers: the areas whose cases they may read."),
    )

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} ({self.organization})"


class GroupMembership(TimestampedModel):
    """A user's place in a service group (and so in its work queue)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships")
    service_group = models.ForeignKey(ServiceGroup, on_delete=models.CASCADE, related_name="memberships")
    is_lead = models.BooleanField(_("group lead"), default=False)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "service_group"], name="group_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.service_group}"
