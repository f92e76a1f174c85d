"""Django admin limited to the organisations a technical or content admin manages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from modeltranslation.admin import TranslationAdmin

from civicdesk.accounts.permissions import MANAGING_ROLES, organizations_administered_by


def managed_organization_ids(request: HttpRequest, roles: tuple[str, ...]) -> frozenset[int] | None:
    """None means every organisation (superuser); the rule lives in accounts.permissions."""
    return organizations_administered_by(request.user, roles)


class OrganizationScopedRowsMixin:
    """Rows and choices restricted to the admin's organisations; `organization_path` reaches the tenant."""

    organization_path = "organization"
    admin_roles: tuple[str, ...] = MANAGING_ROLES

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)  # type: ignore[misc]
        orgs = managed_organization_ids(request, self.admin_roles)
        if orgs is None:
            return qs
        return qs.filter(**{f"{self.organization_path}__in": orgs})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        orgs = managed_organization_ids(request, self.admin_roles)
        if orgs is not None and formfield is not None and hasattr(formfield, "queryset"):
            model = formfield.queryset.model
            if model._meta.label == "organizations.Organization":
                formfield.queryset = formfield.queryset.filter(pk__in=orgs)
            elif any(f.name == "organization" for f in model._meta.fields):
                formfield.queryset = formfield.queryset.filter(organization__in=orgs)
        return formfield

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]
        orgs = managed_organization_ids(request, self.admin_roles)
        if orgs is not None and formfield is not None and hasattr(formfield, "queryset"):
            model = formfield.queryset.model
            if any(f.name == "organization" for f in model._meta.fields):
                formfield.queryset = formfield.queryset.filter(organization__in=orgs)
        return formfield


class AuditedAdminMixin:
    """Every change made in the Django admin also goes to the tamper-evident audit log (R4.8)."""

    def _audit_admin(self, request: HttpRequest, obj: Any, action: str, message: Any) -> None:
        from civicdesk.privacy.services import audit_record

        organization_id = getattr(obj, "organization_id", None)
        if organization_id is None and obj.__class__.__name__ == "Organization":
            organization_id = obj.pk
        audit_record(
            action=action,
            actor=request.user,
            organization_id=organization_id,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            object_label=str(obj)[:200],
            changes={"message": message if isinstance(message, list | str) else str(message)},
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit_admin(request, obj, "admin.add", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit_admin(request, obj, "admin.change", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit_admin(request, obj, "admin.delete", "")
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class OrganizationScopedInlineMixin(OrganizationScopedRowsMixin):
    """An inline whose rows the admin may edit when they administer some organisation.

    The rows and the choices are limited to those organisations, so nothing can be granted
    elsewhere.
    """

    def _manages_some(self, request: HttpRequest) -> bool:
        return managed_organization_ids(request, self.admin_roles) != frozenset()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages_some(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages_some(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages_some(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._manages_some(request)


class OrganizationScopedAdminMixin(AuditedAdminMixin, OrganizationScopedRowsMixin):
    """Scoped rows and choices, and permissions from the admin's roles rather than Django's."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return managed_organization_ids(request, self.admin_roles) != frozenset()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


class ScopedAdmin(OrganizationScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedTranslationAdmin(OrganizationScopedAdminMixin, TranslationAdmin):
    pass
