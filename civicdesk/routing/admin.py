"""Routing in the Django admin: rules (ordered, validated, versioned, audited), settings, model versions."""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from civicdesk.accounts.admin_scoping import OrganizationScopedInlineMixin, ScopedAdmin, managed_organization_ids
from civicdesk.accounts.permissions import CONFIGURING_ROLES
from civicdesk.cases.models import CaseType, Category, Channel, CustomerType
from civicdesk.organizations.models import Organization, ServiceGroup
from civicdesk.routing import selectors
from civicdesk.routing.models import (
    LANGUAGE_CHOICES,
    TRANSITION_ROLE_CHOICES,
    ClassifierModel,
    ResolutionCode,
    RoutingRule,
    RoutingSettings,
    ServiceLevel,
    Workflow,
    WorkflowState,
    WorkflowStatus,
    WorkflowTransition,
)
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


class TestBenchForm(forms.Form):
    """A contact as a resident might send it: which rule would fire, and why (nothing is written)."""

    organization: forms.ModelChoiceField[Organization] = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organization.objects.none())
    text = forms.CharField(label=_("Text of the contact"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.WEB_FORM)
    case_type: forms.ModelChoiceField[CaseType] = forms.ModelChoiceField(
        label=_("Case type"), queryset=CaseType.objects.none(), required=False)
    customer_type = forms.ChoiceField(label=_("Customer type"), choices=CustomerType.choices, required=False)

    def __init__(self, *args: Any, organization_ids: frozenset[int] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.order_by("name")
        case_types = CaseType.objects.order_by("name")
        if organization_ids is not None:
            organizations = organizations.filter(pk__in=organization_ids)
            case_types = case_types.filter(organization_id__in=organization_ids)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["case_type"].queryset = case_types  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("Give both the latitude and the longitude, or neither."))
        case_type, organization = data.get("case_type"), data.get("organization")
        if case_type is not None and organization is not None and case_type.organization_id != organization.pk:
            self.add_error("case_type", _("This case type belongs to another organisation."))
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdmin):
    admin_roles = CONFIGURING_ROLES  # content admins edit routing (R4.3)
    form = RoutingRuleForm
    change_list_template = "admin/routing/routingrule/change_list.html"
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

    def get_urls(self) -> list[Any]:
        bench = path("test-bench/", self.admin_site.admin_view(self.test_bench_view),
                     name="routing_routingrule_test_bench")
        return [bench, *super().get_urls()]

    def test_bench_view(self, request: HttpRequest) -> HttpResponse:
        """Paste a text and a place: the rules tried in order, each condition's verdict, the classifier's view."""
        from civicdesk.routing.services import routing_preview

        if not self.has_view_permission(request):
            raise PermissionDenied
        organization_ids = managed_organization_ids(request, self.admin_roles)
        form = TestBenchForm(request.POST or None, organization_ids=organization_ids)
        context: dict[str, Any] = {**self.admin_site.each_context(request), "opts": self.model._meta,
                                   "title": _("Routing test bench"), "form": form}
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                plan = routing_preview(
                    organization=data["organization"], text=data["text"], lat=data["lat"], lon=data["lon"],
                    channel=data["channel"], case_type_id=data["case_type"].pk if data["case_type"] else None,
                    customer_type=data["customer_type"] or "")
                context.update(plan=plan, **_bench_names(plan))
            else:
                status = 400
        return TemplateResponse(request, "admin/routing/routingrule/test_bench.html", context, status=status)

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
    admin_roles = CONFIGURING_ROLES  # content admins edit routing (R4.3)
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
    admin_roles = CONFIGURING_ROLES  # content admins edit routing (R4.3)
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


def _bench_names(plan: Any) -> dict[str, Any]:
    """Names for the ids in a routing plan (groups, categories), for the test bench page."""
    groups = dict(ServiceGroup.objects.values_list("pk", "name"))
    categories = dict(Category.objects.values_list("pk", "name"))
    suggestions = []
    for target, prediction in plan.suggestions.predictions.items():
        names = groups if target == "group" else categories if target == "category" else {}
        suggestions.append((target, [(names.get(_as_int(label), label), f"{p:.0%}") for label, p in
                                     prediction.ranked[:3]]))
    return {
        "suggestions": suggestions,
        "group_name": groups.get(plan.group_id) if plan.group_id else None,
        "category_names": [categories.get(c, c) for c in plan.category_ids],
    }


def _as_int(label: Any) -> Any:
    try:
        return int(label)
    except (TypeError, ValueError):
        return label


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ScopedAdmin):
    """Service levels: first answer and resolution within business hours, warnings and escalation."""

    admin_roles = CONFIGURING_ROLES
    list_display = ("position", "name", "organization", "first_response_hours", "resolution_hours",
                    "warn_before_hours", "breach_group", "is_active")
    list_display_links = ("name",)
    list_filter = ("organization", "is_active")
    ordering = ("organization", "position", "id")
    filter_horizontal = ("case_types", "categories", "groups")
    fieldsets = (
        (None, {"fields": ("organization", "name", "position", "is_active")}),
        (_("For which cases"), {"fields": ("case_types", "categories", "groups"),
                                "description": _("Empty conditions match every case. The first active level "
                                                 "that matches a new case applies to it.")}),
        (_("Promise"), {"fields": ("first_response_hours", "resolution_hours", "warn_before_hours"),
                        "description": _("Business hours of the owning group's calendar (its opening hours, "
                                         "exceptions and public holidays). Time waiting for the customer "
                                         "does not count.")}),
        (_("On a breach"), {"fields": ("breach_notify", "breach_raise_priority", "breach_group")}),
    )


# --- workflows (R4.2) ------------------------------------------------------------------------------


def _workflow_from_request(request: HttpRequest) -> Workflow | None:
    match = getattr(request, "resolver_match", None)
    object_id = match.kwargs.get("object_id") if match else None
    return Workflow.objects.filter(pk=object_id).first() if object_id and str(object_id).isdigit() else None


class _DraftOnlyInline(OrganizationScopedInlineMixin, TranslationTabularInline):
    """Rows of a draft are edited; a workflow in use or replaced is read only (make a new version)."""

    organization_path = "workflow__organization"
    admin_roles = CONFIGURING_ROLES
    extra = 0

    def _draft(self, obj: Any) -> bool:
        return obj is None or obj.status == WorkflowStatus.DRAFT

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._draft(obj) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.related_model is WorkflowState and formfield is not None:
            workflow = _workflow_from_request(request)
            formfield.queryset = WorkflowState.objects.filter(workflow=workflow) if workflow else \
                WorkflowState.objects.none()
        return formfield


class WorkflowStateInline(_DraftOnlyInline):
    model = WorkflowState
    fk_name = "workflow"
    fields = ("position", "code", "name", "phase", "is_initial", "acknowledge_on_enter", "remind_after_days",
              "timeout_days", "timeout_to", "escalate_after_hours")


class WorkflowTransitionForm(forms.ModelForm):
    roles = forms.TypedMultipleChoiceField(
        label=_("who may make this move"), choices=TRANSITION_ROLE_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: everyone who may handle the case."),
    )

    class Meta:
        model = WorkflowTransition
        fields = ("position", "from_state", "to_state", "name", "requires_resolution_code", "requires_note",
                  "requires_reply", "roles")


class WorkflowTransitionInline(_DraftOnlyInline):
    model = WorkflowTransition
    form = WorkflowTransitionForm
    fields = ("position", "from_state", "to_state", "name", "requires_resolution_code", "requires_note",
              "requires_reply", "roles")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Transitions join saved states: add the states first.
        return obj is not None and super().has_add_permission(request, obj)


class ResolutionCodeInline(_DraftOnlyInline):
    model = ResolutionCode
    fields = ("position", "code", "name")


class WorkflowForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = ("organization", "case_type", "name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        case_type = data.get("case_type")
        if case_type is not None and self.instance.pk is None and Workflow.objects.filter(
                case_type=case_type, status=WorkflowStatus.DRAFT).exists():
            raise forms.ValidationError(_("There is a draft for this case type already: edit that one."))
        return data


@admin.register(Workflow)
class WorkflowAdmin(ScopedAdmin):
    """Workflows per case type: drafts edited here, checked and taken into use with the live cases moved."""

    admin_roles = CONFIGURING_ROLES  # content admins model workflows after go-live (R4.2)
    form = WorkflowForm
    change_form_template = "admin/routing/workflow/change_form.html"
    inlines = (WorkflowStateInline, WorkflowTransitionInline, ResolutionCodeInline)
    list_display = ("name", "case_type", "version", "status", "published_at", "organization")
    list_filter = ("organization", "status", "case_type")
    readonly_fields = ("version", "status", "published_at", "published_by", "problems")
    ordering = ("organization", "case_type", "-version")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("organization", "case_type", "name")
        return ("organization", "case_type", "name", "version", "status", "published_at", "published_by", "problems")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        fixed = ("organization", "case_type")
        return (*fixed, *self.readonly_fields) if obj.status == WorkflowStatus.DRAFT else \
            (*fixed, "name", *self.readonly_fields)

    @admin.display(description=_("problems"))
    def problems(self, obj: Workflow) -> Any:
        from django.utils.html import format_html, format_html_join

        from civicdesk.routing.workflows import workflow_problems

        found = workflow_problems(obj)
        if not found:
            return _("None: the workflow can be taken into use.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((p,) for p in found)))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft that no case follows can go; versions in use or replaced are history.
        return (obj is None or obj.status == WorkflowStatus.DRAFT) and super().has_delete_permission(request, obj)

    def get_urls(self) -> list[Any]:
        own = [
            path("<int:object_id>/publish/", self.admin_site.admin_view(self.publish_view),
                 name="routing_workflow_publish"),
            path("<int:object_id>/new-version/", self.admin_site.admin_view(self.new_version_view),
                 name="routing_workflow_new_version"),
        ]
        return [*own, *super().get_urls()]

    def _own(self, request: HttpRequest, object_id: int) -> Workflow:
        workflow = self.get_queryset(request).filter(pk=object_id).first()
        if workflow is None or not self.has_change_permission(request, workflow):
            raise PermissionDenied
        return workflow

    def publish_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Check the draft, show where the live cases go (editable), and take it into use."""
        from django.shortcuts import redirect

        from civicdesk.core.errors import ApplicationError
        from civicdesk.routing.workflows import workflow_migration_plan, workflow_problems, workflow_publish

        workflow = self._own(request, object_id)
        problems = workflow_problems(workflow) if workflow.status == WorkflowStatus.DRAFT else []
        mapping: dict[int, int] = {}
        if request.method == "POST":
            for key in request.POST:
                value = request.POST.get(key, "")
                if key.startswith("state-") and key[6:].isdigit() and value.isdigit():
                    mapping[int(key[6:])] = int(value)
        plan = workflow_migration_plan(workflow, mapping)
        status = 200
        if request.method == "POST" and not problems:
            try:
                result = workflow_publish(workflow=workflow, actor=request.user, mapping=mapping)
            except ApplicationError as error:
                messages.error(request, str(error.message))
                status = 400
            else:
                messages.success(request, _("Version %(version)d is in use: %(moved)d live cases moved, %(attached)d "
                                            "cases started following it.") % {
                    "version": workflow.version, **result})
                return redirect("admin:routing_workflow_change", workflow.pk)
        elif request.method == "POST":
            status = 400
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": workflow,
                   "title": _("Take the workflow into use"), "problems": problems, "plan": plan,
                   "is_draft": workflow.status == WorkflowStatus.DRAFT}
        return TemplateResponse(request, "admin/routing/workflow/publish.html", context, status=status)

    def new_version_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        from django.shortcuts import redirect

        from civicdesk.core.errors import ApplicationError
        from civicdesk.routing.workflows import workflow_new_version

        workflow = self._own(request, object_id)
        if request.method != "POST":
            return redirect("admin:routing_workflow_change", workflow.pk)
        try:
            copy = workflow_new_version(workflow=workflow, actor=request.user)
        except ApplicationError as error:
            messages.error(request, str(error.message))
            return redirect("admin:routing_workflow_change", workflow.pk)
        messages.success(request, _("Version %(version)d was made as a draft: edit it, then take it into use.")
                         % {"version": copy.version})
        return redirect("admin:routing_workflow_change", copy.pk)

    def save_model(self, request: HttpRequest, obj: Workflow, form: Any, change: bool) -> None:
        if not change:
            from django.db.models import Max

            top = Workflow.objects.filter(case_type=obj.case_type).aggregate(v=Max("version"))["v"] or 0
            obj.version = top + 1
        super().save_model(request, obj, form, change)
