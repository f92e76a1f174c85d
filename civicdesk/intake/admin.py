"""The contact form's configuration for content admins: topics with their questions, form settings and
the address list. Scoped to the organisations the admin configures, like every other admin page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationStackedInline

from civicdesk.accounts.admin_scoping import OrganizationScopedInlineMixin, ScopedAdmin, ScopedTranslationAdmin
from civicdesk.accounts.permissions import CONFIGURING_ROLES
from civicdesk.intake.models import AddressPoint, ContactFormSettings, ContactKind, Topic, TopicQuestion


class TopicForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=Topic._meta.get_field("kinds").verbose_name, choices=ContactKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=Topic._meta.get_field("kinds").help_text,
    )

    class Meta:
        model = Topic
        fields = ("organization", "name", "slug", "description", "keywords", "position", "is_active", "category",
                  "kinds", "case_types", "location", "asks_for_photos", "redirect_url", "redirect_text")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and not self.initial.get("kinds"):
            self.initial["kinds"] = [ContactKind.COMPLAINT, ContactKind.WISH, ContactKind.QUESTION]

    def clean_kinds(self) -> list[str]:
        chosen = set(self.cleaned_data.get("kinds") or [])
        return [kind for kind in ContactKind.values if kind in chosen]


class TopicQuestionInline(OrganizationScopedInlineMixin, TranslationStackedInline):
    organization_path = "topic__organization"
    admin_roles = CONFIGURING_ROLES
    model = TopicQuestion
    extra = 0
    fields = ("position", "label", "help_text", "kind", "choices", "required")


@admin.register(Topic)
class TopicAdmin(ScopedTranslationAdmin):
    admin_roles = CONFIGURING_ROLES
    form = TopicForm
    inlines = (TopicQuestionInline,)
    list_display = ("name", "slug", "category", "location", "asks_for_photos", "redirect_url", "position",
                    "organization", "is_active")
    list_filter = ("organization", "is_active", "location")
    list_editable = ("position",)
    search_fields = ("name", "keywords", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("case_types",)
    fieldsets = (
        (None, {"fields": ("organization", "name", "slug", "description", "keywords", "position", "is_active")}),
        (_("What the form asks"), {"fields": ("category", "kinds", "case_types", "location", "asks_for_photos")}),
        (_("Handled elsewhere"), {"fields": ("redirect_url", "redirect_text")}),
    )


@admin.register(ContactFormSettings)
class ContactFormSettingsAdmin(ScopedTranslationAdmin):
    admin_roles = CONFIGURING_ROLES
    list_display = ("organization", "privacy_notice_url")


@admin.register(AddressPoint)
class AddressPointAdmin(ScopedAdmin):
    admin_roles = CONFIGURING_ROLES
    list_display = ("street", "number", "postal_code", "municipality", "lat", "lon", "organization")
    list_filter = ("organization",)
    search_fields = ("street", "postal_code")
