from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_scoping import (
    AuditedAdminMixin,
    OrganizationScopedInlineMixin,
    ScopedAdmin,
    managed_organization_ids,
)
from civicdesk.accounts.api_keys import api_client_issue_key, api_client_revoke
from civicdesk.accounts.models import ApiClient, GroupMembership, Membership, User
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


@admin.register(ApiClient)
class ApiClientAdmin(ScopedAdmin):
    """Open311 API keys per application and organisation: made here, shown once, revocable."""

    list_display = ("name", "organization", "channel", "key_prefix", "rate_limit", "is_active", "last_used_at")
    list_filter = ("organization", "is_active", "channel")
    search_fields = ("name", "key_prefix", "contact")
    fields = ("organization", "name", "contact", "channel", "rate_limit", "consent_text", "is_active",
              "key_prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    readonly_fields = ("key_prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ("revoke_keys", "issue_new_keys")

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        raw_key = None
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
            raw_key = api_client_issue_key(client=obj)
        elif "is_active" in form.changed_data and not obj.is_active:
            obj.revoked_at = timezone.now()
        super().save_model(request, obj, form, change)
        if raw_key:
            self._show_key(request, obj, raw_key)

    def _show_key(self, request: HttpRequest, obj: ApiClient, raw_key: str) -> None:
        messages.warning(request, _("The API key of “%(name)s” is %(key)s — copy it now: it is not shown again.")
                         % {"name": obj.name, "key": raw_key})

    @admin.action(description=_("Revoke the keys of the selected clients"))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            api_client_revoke(client=client)
            self._audit_admin(request, client, "admin.change", "revoked the API key")
        messages.success(request, _("Keys revoked."))

    @admin.action(description=_("Issue new keys to the selected clients (the old keys stop working)"))
    def issue_new_keys(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            raw_key = api_client_issue_key(client=client)
            client.save()
            self._audit_admin(request, client, "admin.change", "issued a new API key")
            self._show_key(request, client, raw_key)
