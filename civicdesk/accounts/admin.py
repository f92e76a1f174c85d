from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_scoping import (
    AuditedAdminMixin,
    OrganizationScopedInlineMixin,
    managed_organization_ids,
)
from civicdesk.accounts.models import GroupMembership, Membership, User
from civicdesk.accounts.permissions import MANAGING_ROLES


# Technical admins grant roles and group memberships, but only in the organisations where they
# are technical admin: rows and choices are limited to those.
class MembershipInline(OrganizationScopedInlineMixin, admin.TabularInline):
    model = Membership
    extra = 0
    filter_horizontal = ("areas",)


class GroupMembershipInline(OrganizationScopedInlineMixin, admin.TabularInline):
    organization_path = "service_group__organization"
    model = GroupMembership
    extra = 0
    autocomplete_fields = ("service_group",)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    inlines = (MembershipInline, GroupMembershipInline)
    list_display = ("username", "email", "first_name", "last_name", "is_active", "last_login")
    search_fields = ("username", "email", "first_name", "last_name")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("preferred_language",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        orgs = managed_organization_ids(request, MANAGING_ROLES)
        if orgs is None:
            return qs
        return qs.filter(memberships__organization__in=orgs).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return managed_organization_ids(request, MANAGING_ROLES) != frozenset()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if request.user.is_superuser:
            return ()
        # Only superusers grant superuser or Django-level permissions.
        return ("is_superuser", "user_permissions", "groups")
