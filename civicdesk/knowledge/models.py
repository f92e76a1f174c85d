"""What the city tells residents: current topics and disruption notices (R1.6, R3.4).

Articles, answer templates and the FAQ (R3.1–R3.3) will live here too; today the app holds the
notices that content admins write for the portal's news page and for the contact form.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Category
from civicdesk.core.models import TimestampedModel
from civicdesk.organizations.models import Area, Organization


class NoticeKind(models.TextChoices):
    DISRUPTION = "disruption", _("Disruption notice")
    TOPIC = "topic", _("Current topic")


class Severity(models.IntegerChoices):
    """How much the notice matters to a resident; the portal lists the most severe first."""

    INFO = 1, _("Information")
    WARNING = 2, _("Disruption")
    CRITICAL = 3, _("Serious disruption")


class Notice(TimestampedModel):
    """A current topic or a disruption notice, shown on the news page while it is valid.

    Restricted to categories and/or areas, it also appears above the contact form when the
    resident's topic or place matches ("this is already known: water outage in Kaleva until 18:00").
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="notices",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices, default=NoticeKind.DISRUPTION)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.WARNING)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    valid_from = models.DateTimeField(_("shown from"), default=timezone.now)
    valid_until = models.DateTimeField(
        _("shown until"), null=True, blank=True,
        help_text=_("For a disruption, when it is expected to end; residents see this time. Empty: until removed."),
    )
    categories = models.ManyToManyField(
        Category, blank=True, related_name="notices", verbose_name=_("categories"),
        help_text=_("Shown above the contact form for these topics (and the topics under them). Empty: any topic."),
    )
    areas = models.ManyToManyField(
        Area, blank=True, related_name="notices", verbose_name=_("areas"),
        help_text=_("Shown above the contact form for places in these areas. Empty: anywhere."),
    )
    is_published = models.BooleanField(_("published"), default=True,
                                       help_text=_("Untick to keep the notice as a draft."))

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["organization", "is_published", "valid_from"], name="notice_current_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="notice_valid_until_after_from",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.valid_until is not None and self.valid_from is not None and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("The end must be after the start.")})

    @property
    def ends_today(self) -> bool:
        """The notice ends today (local time): residents read "until 18:00" rather than a date."""
        return self.valid_until is not None and timezone.localtime(self.valid_until).date() == timezone.localdate()
