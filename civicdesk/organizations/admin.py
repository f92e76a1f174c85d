from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

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
    Unit,
    WorkingCalendar,
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


class OpeningHoursInline(OrganizationScopedInlineMixin, admin.TabularInline):
    organization_path = "calendar__organization"
    admin_roles = CONFIGURING_ROLES
    model = OpeningHours
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


