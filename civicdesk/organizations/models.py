"""Tenants, their units and service groups, areas, and working calendars."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.core.models import TimestampedModel

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{1,62}$", _("Use lowercase letters, digits and hyphens."))
# A web origin as CSP's frame-ancestors takes it: scheme, host (optionally *.domain), optional port.
EMBED_ORIGIN_RE = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")


def parse_embed_origins(text: str) -> list[str]:
    """The origins of a text field or setting, one a line or comma-separated, lower-cased, without a final slash."""
    return [part.strip().lower().rstrip("/") for part in re.split(r"[\s,]+", text or "") if part.strip()]


def validate_embed_origins(text: str) -> None:
    bad = [origin for origin in parse_embed_origins(text) if not EMBED_ORIGIN_RE.fullmatch(origin)]
    if bad:
        raise ValidationError(
            _("Not a web origin: %(origins)s. Write the scheme and host, e.g. https://www.example.fi.")
            % {"origins": ", ".join(bad)}
        )


class Organization(TimestampedModel):
    """A tenant: a city, an affiliate of a city, or another organisation served by this deployment."""

    slug = models.SlugField(_("identifier"), max_length=63, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=20, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    default_language = models.CharField(_("default language"), max_length=8, default="fi")
    country = models.CharField(_("country"), max_length=2, default="FI")
    is_active = models.BooleanField(_("active"), default=True)
    embed_origins = models.TextField(
        _("sites that may embed the contact form"), blank=True, validators=[validate_embed_origins],
        help_text=_("One origin a line, e.g. https://www.example.fi or https://*.example.fi. Empty: the "
                    "deployment's default (PORTAL_EMBED_ORIGINS)."),
    )

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


# --- The residents' portal: allowed embedding sites and the theme (R1.4, R1.8) ------------------------

HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
FONT_FAMILY_RE = re.compile(r"^[A-Za-z0-9 ,'\"._-]{1,200}$")
hex_colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Write the colour as #rrggbb, e.g. #0a4f9e."))
# Only characters a font list needs: nothing that could end the CSS declaration it is written into.
font_family_validator = RegexValidator(
    r"^[A-Za-z0-9 ,'\"._-]{1,200}$",
    _("Write font names separated by commas, e.g. \"Source Sans 3\", Arial, sans-serif."),
)
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_PIXELS = 2000
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def validate_logo(file: Any) -> None:
    """A PNG, JPEG or WebP image of at most 512 KB and 2000 × 2000 px; SVG is refused (it can carry scripts)."""
    from PIL import Image, UnidentifiedImageError

    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo may be at most %(size)s KB.") % {"size": LOGO_MAX_BYTES // 1024})
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        with Image.open(file) as image:
            image_format, width, height = image.format, image.width, image.height
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image.")) from exc
    finally:
        file.seek(position)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image."))
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise ValidationError(_("The logo may be at most %(px)s × %(px)s pixels.") % {"px": LOGO_MAX_PIXELS})


def logo_upload_to(instance: Theme, filename: str) -> str:
    return f"themes/{instance.organization_id}/{secrets.token_hex(8)}"


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class Theme(TimestampedModel):
    """The organisation's design tokens for the residents' pages: colours, fonts and logo (R1.8).

    Written into a stylesheet of CSS custom properties (`portal:theme_css`), so that a city can
    apply its design system without touching templates. Colours are checked against WCAG AA
    contrast; the admin warns about any pair that falls short.
    """

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="theme",
                                        verbose_name=_("organisation"))
    text_colour = models.CharField(_("text colour"), max_length=7, default="#1a1a1a",
                                   validators=[hex_colour_validator])
    background_colour = models.CharField(_("background colour"), max_length=7, default="#ffffff",
                                         validators=[hex_colour_validator])
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#0a4f9e",
                                     validators=[hex_colour_validator],
                                     help_text=_("Links, the header's line and the brand name."))
    muted_colour = models.CharField(_("secondary text colour"), max_length=7, default="#595959",
                                    validators=[hex_colour_validator])
    focus_colour = models.CharField(_("focus colour"), max_length=7, default="#ffbf47",
                                    validators=[hex_colour_validator],
                                    help_text=_("The ring around the element that has the keyboard focus."))
    font_family = models.CharField(_("font"), max_length=200, blank=True, validators=[font_family_validator],
                                   help_text=_("Fonts must be installed on residents' devices or be system fonts: "
                                               "the portal loads nothing from other sites."))
    heading_font_family = models.CharField(_("heading font"), max_length=200, blank=True,
                                           validators=[font_family_validator])
    logo = models.ImageField(_("logo"), upload_to=logo_upload_to, blank=True, validators=[validate_logo],
                             help_text=_("PNG, JPEG or WebP, at most 512 KB. Shown at 48 px high."))

    class Meta:
        verbose_name = _("portal theme")
        verbose_name_plural = _("portal themes")

    def __str__(self) -> str:
        return str(self.organization)

    def contrast_warnings(self) -> list[str]:
        """The colour pairs below WCAG 2.1 AA: 4.5:1 for text (1.4.3), 3:1 for the focus ring (1.4.11).

        The focus ring is two-tone (civicdesk.css): an outline in the text colour and a halo in the
        focus colour, so it is visible when either of them stands out from the background.
        """
        pairs = [
            (self.text_colour, self.background_colour, 4.5, _("Text on the background")),
            (self.accent_colour, self.background_colour, 4.5, _("Links (accent colour) on the background")),
            (self.muted_colour, self.background_colour, 4.5, _("Secondary text on the background")),
            (self.focus_colour, self.background_colour, 3.0, _("The focus ring on the background")),
        ]
        warnings = []
        for first, second, needed, label in pairs:
            if not (HEX_COLOUR_RE.match(first) and HEX_COLOUR_RE.match(second)):
                continue
            ratio = contrast_ratio(first, second)
            if first == self.focus_colour and HEX_COLOUR_RE.match(self.text_colour):
                ratio = max(ratio, contrast_ratio(self.text_colour, second))
            if ratio < needed:
                warnings.append(str(_("%(what)s: contrast %(ratio).2f:1, WCAG AA needs %(needed).1f:1.")
                                    % {"what": label, "ratio": ratio, "needed": needed}))
        return warnings

    def css_tokens(self) -> dict[str, str]:
        """The tokens for the stylesheet; a value failing its validator (saved around the admin) is left out."""
        tokens: dict[str, str] = {}
        for name in ("text_colour", "background_colour", "accent_colour", "muted_colour", "focus_colour"):
            value = getattr(self, name)
            if HEX_COLOUR_RE.match(value or ""):
                tokens[name] = value
        for name in ("font_family", "heading_font_family"):
            value = getattr(self, name)
            if value and FONT_FAMILY_RE.match(value):
                tokens[name] = value
        return tokens
