"""Staff users, their roles in organisations and their service-group memberships; API clients."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
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


rate_validator = RegexValidator(
    r"^[1-9][0-9]{0,6}/[0-9]{0,4}[smhd]$",
    _('Write the limit as count/period, e.g. "120/m", "1000/h" or "5000/d".'),
)


class ApiClient(TimestampedModel):
    """An application that posts contacts through the Open311 API for one organisation (R10.7).

    The key is shown once when it is made and stored only as a SHA-256 hash; the prefix, which is
    also part of the key, finds the row. A key is random (256 bits), so a fast hash is enough: a
    slow password hash protects guessable secrets, not random ones. See docs/open311.md.
    """

    class ClientChannel(models.TextChoices):
        # The subset of cases.Channel an API client may post as (values must stay equal to those).
        MOBILE_APP = "mobile_app", _("Mobile app")
        API = "api", _("API")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_clients", verbose_name=_("organisation")
    )
    name = models.CharField(
        _("name"), max_length=200, help_text=_("The application, e.g. “City app (iOS and Android)”.")
    )
    contact = models.CharField(
        _("contact"), max_length=300, blank=True, help_text=_("Who runs the application and how to reach them.")
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=ClientChannel.choices, default=ClientChannel.MOBILE_APP,
        help_text=_("The channel recorded on the contacts this application sends."),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    rate_limit = models.CharField(
        _("rate limit"), max_length=16, default="120/m", validators=[rate_validator],
        help_text=_('Contacts this key may send, as count/period, e.g. "120/m" or "5000/d".'),
    )
    consent_text = models.TextField(
        _("consent text"), blank=True,
        help_text=_("What the application's users agree to when they send contact details; recorded with "
                    "each contact that has them."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"
