"""Content admins write notices for their own organisations (scoped like the rest of the admin)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_scoping import ScopedTranslationAdmin
from civicdesk.accounts.permissions import CONFIGURING_ROLES
from civicdesk.knowledge.models import Notice


class NoticeForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        if organization is None:
            return cleaned
        for name in ("categories", "areas"):
            others = [item for item in cleaned.get(name) or [] if item.organization_id != organization.pk]
            if others:
                self.add_error(name, _("Choose only those of the notice's organisation: %(names)s is not.")
                               % {"names": ", ".join(str(item) for item in others)})
        return cleaned


@admin.register(Notice)
class NoticeAdmin(ScopedTranslationAdmin):
    form = NoticeForm
    admin_roles = CONFIGURING_ROLES
    list_display = ("title", "kind", "severity", "valid_from", "valid_until", "is_published", "organization")
    list_filter = ("organization", "kind", "severity", "is_published")
    search_fields = ("title", "body")
    date_hierarchy = "valid_from"
    filter_horizontal = ("categories", "areas")
    fieldsets = (
        (None, {"fields": ("organization", "kind", "severity", "is_published")}),
        (_("Text"), {"fields": ("title", "body")}),
        (_("When"), {"fields": ("valid_from", "valid_until")}),
        (_("Where it appears above the contact form"), {"fields": ("categories", "areas")}),
    )
