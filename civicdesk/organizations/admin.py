from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_scoping import OrganizationScopedInlineMixin, ScopedAdmin, ScopedTranslationAdmin
from civicdesk.accounts.permissions import CONFIGURING_ROLES
from civicdesk.core.errors import InvalidInputError
from civicdesk.organizations.geometry import parse_area_geometry
from civicdesk.organizations.models import (
    Area,
    CalendarException,
    OpeningHours,
    Organization,
    ServiceGroup,
    Theme,
    Unit,
    WorkingCalendar,
    parse_embed_origins,
)


@admin.register(Organization)
class OrganizationAdmin(ScopedTranslationAdmin):
    organization_path = "pk"
    list_display = ("name", "slug", "is_active")
    search_fields = ("name", "slug")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Unit)
class UnitAdmin(ScopedTranslationAdmin):
    list_display = ("name", "code", "parent", "organization")
    list_filter = ("organization",)
    search_fields = ("name", "code")


@admin.register(ServiceGroup)
class ServiceGroupAdmin(ScopedTranslationAdmin):
    admin_roles = CONFIGURING_ROLES
    list_display = ("name", "code", "kind", "is_intake", "unit", "organization", "is_active")
    list_filter = ("organization", "kind", "is_intake", "is_active")
    search_fields = ("name", "code")


class OpeningHoursFormSet(forms.BaseInlineFormSet):
    """Refuses hours that close before they open, and two spans of one weekday that overlap."""

    def clean(self) -> None:
        super().clean()
        spans: dict[int, list[tuple[Any, Any]]] = {}
        problems: list[str] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            weekday, opens, closes = data.get("weekday"), data.get("opens"), data.get("closes")
            if weekday is None or opens is None or closes is None:
                continue
            day = OpeningHours.Weekday(weekday).label
            if closes <= opens:
                problems.append(str(_("%(day)s: the closing time %(closes)s must be after the opening time "
                                      "%(opens)s.") % {"day": day, "opens": f"{opens:%H:%M}",
                                                       "closes": f"{closes:%H:%M}"}))
                continue
            for other_opens, other_closes in spans.get(weekday, []):
                if opens < other_closes and other_opens < closes:
                    problems.append(str(_("%(day)s: %(first)s and %(second)s overlap; join them or make them "
                                          "follow each other.") % {
                        "day": day, "first": f"{other_opens:%H:%M}–{other_closes:%H:%M}",
                        "second": f"{opens:%H:%M}–{closes:%H:%M}"}))
            spans.setdefault(weekday, []).append((opens, closes))
        if problems:
            raise forms.ValidationError(problems)


class OpeningHoursInline(OrganizationScopedInlineMixin, admin.TabularInline):
    organization_path = "calendar__organization"
    admin_roles = CONFIGURING_ROLES
    model = OpeningHours
    formset = OpeningHoursFormSet
    extra = 0


class CalendarExceptionInline(OrganizationScopedInlineMixin, admin.TabularInline):
    organization_path = "calendar__organization"
    admin_roles = CONFIGURING_ROLES
    model = CalendarException
    extra = 0


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(ScopedAdmin):
    admin_roles = CONFIGURING_ROLES
    inlines = (OpeningHoursInline, CalendarExceptionInline)
    list_display = ("name", "holiday_country", "organization")


class AreaForm(forms.ModelForm):
    def clean_geometry(self) -> Any:
        # Checked here too, so that a bad outline comes back as a form error with the input kept.
        geometry = self.cleaned_data.get("geometry")
        try:
            parse_area_geometry(geometry)
        except InvalidInputError as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return geometry


@admin.register(Area)
class AreaAdmin(ScopedTranslationAdmin):
    form = AreaForm
    admin_roles = CONFIGURING_ROLES
    list_display = ("name", "code", "kind", "organization")
    list_filter = ("organization", "kind")
    search_fields = ("name", "code")
    readonly_fields = ("min_lat", "max_lat", "min_lon", "max_lon")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # area_save finds the area by organisation and code: changing either would create a copy.
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "organization", "code") if obj is not None else readonly

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Through the service, so the outline is validated and its bounding box kept in step.
        from civicdesk.organizations.services import area_save

        saved = area_save(organization=obj.organization, code=obj.code, name=obj.name, geometry=obj.geometry,
                          kind=obj.kind,
                          translations={lang: getattr(obj, f"name_{lang}") for lang, _name in settings.LANGUAGES})
        obj.pk = saved.pk




class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ("organization", "text_colour", "background_colour", "accent_colour", "muted_colour", "focus_colour",
                  "font_family", "heading_font_family", "logo")
        # Native colour pickers; the value is still checked as #rrggbb on the server.
        widgets = {name: forms.TextInput(attrs={"type": "color"}) for name in (
            "text_colour", "background_colour", "accent_colour", "muted_colour", "focus_colour")}


@admin.register(Theme)
class ThemeAdmin(ScopedAdmin):
    """The portal's look per organisation, and the snippet that embeds the contact form on another site."""

    form = ThemeForm
    admin_roles = CONFIGURING_ROLES
    list_display = ("organization", "accent_colour", "updated_at")
    readonly_fields = ("contrast", "embedding")
    fieldsets = (
        (None, {"fields": ("organization",)}),
        (_("Colours"), {"fields": ("text_colour", "background_colour", "accent_colour", "muted_colour",
                                   "focus_colour", "contrast")}),
        (_("Fonts and logo"), {"fields": ("font_family", "heading_font_family", "logo")}),
        (_("Embedding the contact form on other sites"), {"fields": ("embedding",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "organization") if obj is not None else readonly

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # A warning, not a refusal: a city may knowingly use its brand colours on large text only.
        for warning in obj.contrast_warnings():
            messages.warning(request, warning)

    @admin.display(description=_("Contrast (WCAG 2.1 AA)"))
    def contrast(self, obj: Theme | None) -> str:
        if obj is None or obj.pk is None:
            return str(_("Checked when saved."))
        warnings = obj.contrast_warnings()
        if not warnings:
            return str(_("Every colour pair meets WCAG AA."))
        return format_html_join(mark_safe("<br>"), "{}", ((w,) for w in warnings))

    @admin.display(description=_("Snippet to copy"))
    def embedding(self, obj: Theme | None) -> str:
        if obj is None or obj.pk is None:
            return str(_("Save the theme first."))
        return render_to_string("organizations/admin/embed_snippet.html", embed_snippet_context(obj.organization))


def embed_snippet_context(organization: Organization) -> dict[str, Any]:
    """What the snippet page shows: the allowed origins and the tags to paste, per language."""
    site = settings.SITE_URL.rstrip("/")
    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
    origins = parse_embed_origins(organization.embed_origins)
    languages = []
    for code, name in settings.LANGUAGES:
        with translation.override(code):
            path = reverse("portal:contact", args=[organization.slug])
        languages.append({"code": code, "name": name, "url": f"{site}{path}",
                          "src": f"{site}/embed/{organization.slug}{path}"})
    return {
        "organization": organization,
        "origins": origins,
        "default_origins": parse_embed_origins(",".join(settings.PORTAL_EMBED_ORIGINS)),
        "script_url": f"{site}{static_url}js/embed.js",
        "languages": languages,
    }
