"""Configuration only: case types and categories. Cases themselves change only through services."""

from django.contrib import admin

from civicdesk.accounts.admin_scoping import ScopedTranslationAdmin
from civicdesk.accounts.permissions import CONFIGURING_ROLES
from civicdesk.cases.models import CaseType, Category


@admin.register(CaseType)
class CaseTypeAdmin(ScopedTranslationAdmin):
    admin_roles = CONFIGURING_ROLES
    list_display = ("name", "code", "kind", "organization", "is_active")
    list_filter = ("organization", "kind", "is_active")
    filter_horizontal = ("special_data_groups",)


@admin.register(Category)
class CategoryAdmin(ScopedTranslationAdmin):
    admin_roles = CONFIGURING_ROLES
    list_display = ("name", "code", "parent", "default_group", "organization", "is_active")
    list_filter = ("organization", "is_active")
    search_fields = ("name", "code", "keywords")
