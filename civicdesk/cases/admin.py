"""Configuration only: case types and categories. Cases themselves change only through services."""

from django.contrib import admin

from civicdesk.accounts.admin_scoping import ScopedTranslationAdmin
from civicdesk.accounts.models import Role
from civicdesk.cases.models import CaseType, Category


@admin.register(CaseType)
class CaseTypeAdmin(ScopedTranslationAdmin):
    admin_roles = (Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN)
    list_display = ("name", "code", "kind", "organization", "is_active")
    list_filter = ("organization", "kind", "is_active")
    filter_horizontal = ("special_data_groups",)


@admin.register(Category)
class CategoryAdmin(ScopedTranslationAdmin):
    admin_roles = (Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN)
    list_display = ("name", "code", "parent", "default_group", "organization", "is_active")
    list_filter = ("organization", "is_active")
    search_fields = ("name", "code", "keywords")
