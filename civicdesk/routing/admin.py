"""Routing in the Django admin: rules (ordered, validated, versioned, audited), settings, model versions."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.admin_scoping import ScopedAdmin
from civicdesk.cases.models import Channel, CustomerType
from civicdesk.routing import selectors
from civicdesk.routing.models import LANGUAGE_CHOICES, ClassifierModel, RoutingRule, RoutingSettings
from civicdesk.routing.rules import rules_unreachable
from civicdesk.routing.services import routing_rule_audit


class RoutingRuleForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(label=_("channels"), choices=Channel.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple)
    languages = forms.MultipleChoiceField(label=_("languages"), choices=LANGUAGE_CHOICES, required=False,
                                          widget=forms.CheckboxSelectMultiple,
                                          help_text=_("The language detected from the text."))
    customer_types = forms.MultipleChoiceField(label=_("customer types"),
                                               choices=[c for c in CustomerType.choices if c[0]], required=False,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = RoutingRule
        fields = ("organization", "name", "position", "is_active", "categories", "case_types", "channels", "areas",
                  "languages", "keywords", "customer_types", "office_hours", "calendar", "sender_check",
                  "min_confidence",
                  "max_confidence", "set_group", "set_handler", "set_priority", "due_in_hours", "auto_reply_template",
                  "mark_special_categories", "external_hook")


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdmin):
    form = RoutingRuleForm
    list_display = ("position", "name", "organization", "is_active", "set_group", "version", "reachable")
    list_display_links = ("name",)
    list_filter = ("organization", "is_active")
    search_fields = ("name", "keywords")
    ordering = ("organization", "position", "id")
    filter_horizontal = ("categories", "case_types", "areas")
    fieldsets = (
        (None, {"fields": ("organization", "name", "position", "is_active")}),
        (_("When"), {"fields": ("categories", "case_types", "channels", "areas", "languages", "keywords",
                                "customer_types", "office_hours", "calendar", "sender_check", "min_confidence",
                                "max_confidence"),
                     "description": _("Every condition filled in must hold; empty conditions match every case. "
                                      "The first active rule that matches fires.")}),
        (_("Then"), {"fields": ("set_group", "set_handler", "set_priority", "due_in_hours", "auto_reply_template",
                                "mark_special_categories", "external_hook")}),
    )

    _unreachable: dict[int, dict[int, str]] | None = None

    @admin.display(description=_("can fire"), boolean=True)
    def reachable(self, obj: RoutingRule) -> bool:
        unreachable = dict(self._unreachable or {})
        if obj.organization_id not in unreachable:
            specs = selectors.rule_specs_for(organization=obj.organization)
            unreachable[obj.organization_id] = rules_unreachable(specs)
            self._unreachable = unreachable
        return obj.pk not in unreachable[obj.organization_id]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        self._unreachable = {}
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        obj.refresh_from_db(fields=["version"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        rule = form.instance
        action = "routing_rule.change" if change else "routing_rule.add"
        routing_rule_audit(rule=rule, actor=request.user, action=action, changed=list(form.changed_data))
        unreachable = rules_unreachable(selectors.rule_specs_for(organization=rule.organization))
        if unreachable:
            names = ", ".join(sorted(RoutingRule.objects.filter(pk__in=unreachable).values_list("name", flat=True)))
            messages.warning(request, _("These rules can never fire, because an earlier rule without conditions "
                                        "matches every case: %(names)s") % {"names": names})


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(ScopedAdmin):
    list_display = ("organization", "classifier_enabled", "confidence_threshold", "split_threshold",
                    "min_training_cases")
    actions = ("train_now",)

    @admin.action(description=_("Train the classifier now (in the background)"))
    def train_now(self, request: HttpRequest, queryset: QuerySet[RoutingSettings]) -> None:
        from civicdesk.routing.tasks import classifier_retrain_task

        organization_ids = list(queryset.values_list("organization_id", flat=True))
        for organization_id in organization_ids:
            transaction.on_commit(partial(classifier_retrain_task.delay, organization_id=organization_id))
        messages.success(request, _("Training was queued for %(count)d organisations. New versions appear below "
                                    "when it is done.") % {"count": len(organization_ids)})


@admin.register(ClassifierModel)
class ClassifierModelAdmin(ScopedAdmin):
    list_display = ("organization", "target", "version", "is_active", "created_at", "accuracy", "macro_f1",
                    "ece", "decision")
    list_filter = ("organization", "target", "is_active")
    readonly_fields = ("organization", "target", "version", "is_active", "created_at", "trained_until",
                       "training_summary", "metrics", "active_metrics", "decision", "sha256", "size_bytes")
    exclude = ("artifact",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("artifact")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("accuracy"))
    def accuracy(self, obj: ClassifierModel) -> Any:
        return obj.metrics.get("accuracy")

    @admin.display(description=_("macro-F1"))
    def macro_f1(self, obj: ClassifierModel) -> Any:
        return obj.metrics.get("macro_f1")

    @admin.display(description=_("calibration error"))
    def ece(self, obj: ClassifierModel) -> Any:
        return obj.metrics.get("ece")
