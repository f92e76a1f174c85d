"""What the residents' contact form is made of: topics in residents' words, their questions, the
organisation's form settings and its address list (R1.1, R1.3, R9.3, R10.8).

Topics are not categories. A category is how staff file and route work ("Street maintenance");
a topic is what a resident recognises ("A pothole or a loose kerb"), and it files the contact
under one category. Several topics may share a category; a topic may send the resident to
another service altogether (`redirect_url`) instead of taking a contact.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import CaseKind, CaseType, Category, FeedbackSubtype
from civicdesk.core.models import TimestampedModel
from civicdesk.organizations.models import Organization


class ContactKind(models.TextChoices):
    """The types a resident chooses from: the feedback subtypes and the other case kinds, flattened."""

    THANKS = "thanks", _("Thanks")
    COMPLAINT = "complaint", _("Complaint")
    WISH = "wish", _("Wish")
    IDEA = "idea", _("Idea")
    QUESTION = "question", _("Question")
    FAULT_REPORT = "fault_report", _("Fault report")
    SERVICE_REQUEST = "service_request", _("Service request")


# ContactKind → (CaseKind, FeedbackSubtype) of the case it creates.
CASE_KIND_OF: dict[str, tuple[str, str]] = {
    ContactKind.THANKS: (CaseKind.FEEDBACK, FeedbackSubtype.THANKS),
    ContactKind.COMPLAINT: (CaseKind.FEEDBACK, FeedbackSubtype.COMPLAINT),
    ContactKind.WISH: (CaseKind.FEEDBACK, FeedbackSubtype.WISH),
    ContactKind.IDEA: (CaseKind.FEEDBACK, FeedbackSubtype.IDEA),
    ContactKind.QUESTION: (CaseKind.QUESTION, FeedbackSubtype.NONE),
    ContactKind.FAULT_REPORT: (CaseKind.FAULT_REPORT, FeedbackSubtype.NONE),
    ContactKind.SERVICE_REQUEST: (CaseKind.SERVICE_REQUEST, FeedbackSubtype.NONE),
}


class LocationNeed(models.TextChoices):
    REQUIRED = "required", _("Required")
    OPTIONAL = "optional", _("Optional")
    NONE = "none", _("Not asked")


class Topic(TimestampedModel):
    """A matter in residents' words, the category it files under and what the form asks about it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_topics")
    slug = models.SlugField(
        _("identifier"), max_length=63, db_index=False,
        help_text=_("Part of the form's address, e.g. for links from the city's web pages."),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("In residents' words, not a unit's name."))
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Words residents may search with, separated by commas."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="contact_topics",
        verbose_name=_("category"), help_text=_("Contacts about this topic are filed under this category."),
    )
    kinds = models.JSONField(
        _("types offered"), default=list, blank=True,
        help_text=_("The types of message residents may choose for this topic."),
    )
    case_types = models.ManyToManyField(
        CaseType, blank=True, related_name="contact_topics", verbose_name=_("case types"),
        help_text=_("Leave empty to use the organisation's case type of each kind."),
    )
    location = models.CharField(_("location"), max_length=16, choices=LocationNeed.choices,
                                default=LocationNeed.OPTIONAL)
    asks_for_photos = models.BooleanField(_("asks for photos"), default=False)
    redirect_url = models.URLField(
        _("handled elsewhere: address"), blank=True,
        help_text=_("If set, the form is not shown: residents are sent to this address instead."),
    )
    redirect_text = models.TextField(_("handled elsewhere: explanation"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contact topic")
        verbose_name_plural = _("contact topics")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="topic_slug_unique_per_org")]
        indexes = [models.Index(fields=["organization", "is_active", "position"], name="topic_org_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_redirect(self) -> bool:
        return bool(self.redirect_url)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        unknown = [k for k in (self.kinds or []) if k not in ContactKind.values]
        if not isinstance(self.kinds, list) or unknown:
            errors["kinds"] = _("Choose types from the list.")
        if not self.redirect_url:
            if not self.kinds:
                errors["kinds"] = _("Choose at least one type, or give the address where the matter is handled.")
            if self.category_id is None:
                errors["category"] = _("Choose the category, or give the address where the matter is handled.")
        category = self.category if self.category_id else None
        if category is not None and self.organization_id and category.organization_id != self.organization_id:
            errors["category"] = _("Choose a category of the same organisation.")
        if errors:
            raise ValidationError(errors)


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Text")
    CHOICE = "choice", _("Choice")
    YES_NO = "yes_no", _("Yes or no")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")


class TopicQuestion(models.Model):
    """One question a topic adds to the form (R1.3); the answers are stored with the case."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="questions", verbose_name=_("topic"))
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For a choice: one option per line."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        """The options in the current language, one per non-empty line."""
        return [line.strip() for line in (self.choices or "").splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == QuestionKind.CHOICE and len(self.choice_list) < 2:
            raise ValidationError({"choices": _("Give at least two options, one per line.")})


class ContactFormSettings(models.Model):
    """An organisation's settings for the residents' form: the consent text (R9.3) and privacy notice."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="contact_form_settings", verbose_name=_("organisation"),
    )
    intro_text = models.TextField(_("introduction"), blank=True, help_text=_("Shown above the list of topics."))
    consent_text = models.TextField(
        _("consent text"), blank=True,
        help_text=_("What residents agree to when they send the form. Recorded with every contact. "
                    "Empty: a general text."),
    )
    privacy_notice_url = models.URLField(_("privacy notice address"), blank=True)

    class Meta:
        verbose_name = _("contact form settings")
        verbose_name_plural = _("contact form settings")

    def __str__(self) -> str:
        return str(self.organization)


_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[,.;:()\"']")


def address_key(text: str) -> str:
    """An address as the search compares it: case-folded, composed, without punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


class AddressPoint(models.Model):
    """One address of the organisation's own address list, with its point, for the form's address search.

    Loaded from a CSV file (`manage.py addresses_load`); no address typed by a resident leaves the site.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="address_points")
    street = models.CharField(_("street"), max_length=200)
    number = models.CharField(_("number"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    search_key = models.CharField(max_length=240, editable=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["search_key"]
        indexes = [
            # Prefix search (LIKE 'x%') needs the pattern operator class on PostgreSQL unless the
            # database's collation is C; SQLite ignores operator classes.
            models.Index(fields=["organization", "search_key"], name="address_search_idx",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="address_point_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_key = address_key(f"{self.street} {self.number}")[:240]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        street = f"{self.street} {self.number}".strip()
        place = f"{self.postal_code} {self.municipality}".strip()
        return f"{street}, {place}" if place else street
