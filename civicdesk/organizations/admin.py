from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from civicdesk.accounts.admin_scoping import ScopedAdmin, ScopedTranslationAdmin
from civicdesk.accounts.models import Role
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
    admin_roles = (Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN)
    list_display = ("name", "code", "kind", "is_intake", "unit", "organization", "is_active")
    list_filter = ("organization", "kind", "is_intake", "is_active")
    search_fields = ("name", "code")


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(ScopedAdmin):
    admin_roles = (Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN)
    inlines = (OpeningHoursInline, CalendarExceptionInline)
    list_display = ("name", "holiday_country", "organization")


@admin.register(Area)
class AreaAdmin(ScopedTranslationAdmin):
    admin_roles = (Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN)
    list_display = ("name", "code", "kind", "organization")
    list_filter = ("organization", "kind")
    search_fields = ("name", "code")
    readonly_fields = ("min_lat", "max_lat", "min_lon", "max_lon")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Through the service, so the outline is validated and its bounding box kept in step.
        from civicdesk.organizations.services import area_save

        saved = area_save(organization=obj.organization, code=obj.code, name=obj.name, geometry=obj.geometry,
                          kind=obj.kind)
        obj.pk = saved.pk


