"""Tenants, their units and service groups, areas, and working calendars."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import TimestampedModel

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{1,62}$", _("Use lowercase letters, digits and hyphens."))


class Organization(TimestampedModel):
    """A tenant: a city, an affiliate of a city, or another organisation served by this deployment."""

    slug = models.SlugField(_("identifier"), max_length=63, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=20, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    default_language = models.CharField(_("default language"), max_length=8, default="fi")
    country = models.CharField(_("country"), max_length=2, default="FI")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(TimestampedModel):
    """A part of the organisation chart (department, office); units nest."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent unit")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], condition=~models.Q(code=""), name="unit_code_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkingCalendar(TimestampedModel):
    """Opening hours and holidays; public holidays of `holiday_country` are computed, not typed in."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="calendars")
    name = models.CharField(_("name"), max_length=200)
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, default="FI", help_text=_("ISO country code; empty for none.")
    )
    # Eves (e.g. Midsummer Eve, Christmas Eve) are days off in Finnish offices though not public holidays.
    observe_eves = models.BooleanField(_("closed on Midsummer Eve and Christmas Eve"), default=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opening_hours_closes_after_opens"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class CalendarException(models.Model):
    """A date that differs from the weekly hours: an extra closing day or special hours."""

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField(_("date"))
    name = models.CharField(_("reason"), max_length=200, blank=True)
    opens = models.TimeField(_("opens"), null=True, blank=True, help_text=_("Empty means closed all day."))
    closes = models.TimeField(_("closes"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_unique_date"),
            models.CheckConstraint(
                condition=(models.Q(opens__isnull=True, closes__isnull=True))
                | (models.Q(opens__isnull=False, closes__isnull=False, closes__gt=models.F("opens"))),
                name="calendar_exception_hours_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ServiceGroup(TimestampedModel):
    """A group of staff that owns a work queue."""

    class Kind(models.TextChoices):
        EXPERTS = "experts", _("Expert group")
        ADVISORS = "advisors", _("Service advisors")
        PARTNER = "partner", _("External partner")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="service_groups")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="service_groups", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=63)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.EXPERTS)
    email = models.EmailField(_("sender address"), blank=True)
    calendar = models.ForeignKey(
        WorkingCalendar, on_delete=models.PROTECT, null=True, blank=True, related_name="service_groups",
        verbose_name=_("working calendar"),
    )
    is_intake = models.BooleanField(
        _("receives unclear contacts"), default=False,
        help_text=_("Contacts with no clear recipient go to this group's queue (R4.4)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="service_group_code_unique_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Area(TimestampedModel):
    """A named region (district, maintenance area) stored as a GeoJSON Polygon or MultiPolygon.

    The bounding box columns let the database narrow candidates before the exact
    point-in-polygon test, so lookups stay fast without a spatial extension.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="areas")
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=63)
    kind = models.CharField(_("kind"), max_length=50, default="district")
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    min_lat = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)
    min_lon = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="area_code_unique_per_org")]
        indexes = [models.Index(fields=["organization", "min_lat", "max_lat"], name="area_bbox_idx")]

    def __str__(self) -> str:
        return self.name
