"""Routing: the organisation's classifier models, its routing rules and the decisions taken on cases."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import Role
from civicdesk.cases.models import Case, CaseType, Category, Channel, CustomerType, Priority, Status
from civicdesk.core.models import TimestampedModel
from civicdesk.organizations.models import Area, Organization, ServiceGroup, WorkingCalendar

LANGUAGE_CHOICES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English")), ("ro", _("Romanian"))]


class Target(models.TextChoices):
    """What a classifier model predicts."""

    CATEGORY = "category", _("Categories")
    CASE_TYPE = "case_type", _("Case type")
    GROUP = "group", _("Service group")


class RoutingSettings(TimestampedModel):
    """An organisation's switches for automatic routing; without a row the defaults apply."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="routing_settings",
                                        verbose_name=_("organisation"))
    classifier_enabled = models.BooleanField(
        _("route by the classifier"), default=True,
        help_text=_("When off, only the routing rules move new cases; the classifier still suggests."))
    confidence_threshold = models.FloatField(
        _("confidence threshold"), default=0.7, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Below this confidence a contact without a category goes to the advisors' queue of unclear "
                    "contacts instead of being routed."))
    split_threshold = models.FloatField(
        _("threshold for suggesting a split"), default=0.5, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("When two or more categories reach this confidence, staff are told the contact may hold "
                    "several topics."))
    min_training_cases = models.PositiveIntegerField(
        _("handled cases needed to train"), default=200,
        help_text=_("With fewer handled cases no model is trained; rules and the advisors route alone."))

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")

    def __str__(self) -> str:
        return str(self.organization)


class ClassifierModel(models.Model):
    """One trained version of one organisation's model for one target, with its evaluation.

    `artifact` holds the joblib bytes written by `classifier_dump`; `sha256` is checked before they
    are ever unpickled (`classifier_load`). At most one version per organisation and target is active.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="classifier_models",
                                     verbose_name=_("organisation"))
    target = models.CharField(_("predicts"), max_length=16, choices=Target.choices)
    version = models.PositiveIntegerField(_("version"))
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    trained_until = models.DateTimeField(_("trained on cases before"), null=True)
    training_summary = models.JSONField(_("training data"), default=dict)
    metrics = models.JSONField(_("evaluation"), default=dict)
    active_metrics = models.JSONField(_("evaluation of the active version on the same cases"), default=dict,
                                      blank=True)
    decision = models.CharField(_("decision"), max_length=300, blank=True)
    artifact = models.BinaryField(_("model"), editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)

    class Meta:
        verbose_name = _("classifier model")
        verbose_name_plural = _("classifier models")
        ordering = ["organization", "target", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "target", "version"], name="classifier_version_unique"),
            models.UniqueConstraint(fields=["organization", "target"], condition=models.Q(is_active=True),
                                    name="classifier_one_active_per_target"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_target_display()} v{self.version}"


class OfficeHours(models.TextChoices):
    ANY = "", _("Any time")
    OPEN = "open", _("During opening hours")
    CLOSED = "closed", _("Outside opening hours")


class SenderCheck(models.TextChoices):
    ANY = "", _("Any sender")
    VERIFIED = "verified", _("Email sender verified (DMARC, or DKIM or SPF passed)")
    UNVERIFIED = "unverified", _("Email sender not verified")


class RoutingRule(TimestampedModel):
    """An ordered rule: when every condition set holds for a new case, its actions apply (the first rule wins).

    An empty condition matches everything. Lists (channels, languages, customer types) and
    relations (categories, types, areas) match when the case has any of the values listed.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="routing_rules",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=0, help_text=_("Rules are tried from the smallest."))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Conditions
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("categories"),
                                        help_text=_("The case's own or the classifier's confident categories."))
    case_types = models.ManyToManyField(CaseType, blank=True, related_name="+", verbose_name=_("case types"))
    channels = models.JSONField(_("channels"), default=list, blank=True)
    areas = models.ManyToManyField(Area, blank=True, related_name="+", verbose_name=_("areas"))
    languages = models.JSONField(_("languages"), default=list, blank=True,
                                 help_text=_("The language detected from the text."))
    keywords = models.TextField(
        _("keywords"), blank=True,
        help_text=_("Comma-separated; the rule matches when the title or description contains any of them "
                    "(letter case ignored; a word's beginning such as “kuop” matches its inflected forms)."))
    customer_types = models.JSONField(_("customer types"), default=list, blank=True)
    office_hours = models.CharField(_("time"), max_length=8, choices=OfficeHours.choices, blank=True, default="")
    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("calendar for the time condition"),
                                 help_text=_("Empty: the calendar of the advisors' intake group."))
    sender_check = models.CharField(
        _("email sender"), max_length=12, choices=SenderCheck.choices, blank=True, default="",
        help_text=_("The receiving mail server's SPF, DKIM and DMARC verdicts for a contact that came by email. "
                    "Contacts from other channels match neither choice."))
    min_confidence = models.FloatField(_("classifier confidence at least"), null=True, blank=True,
                                       validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    max_confidence = models.FloatField(_("classifier confidence below"), null=True, blank=True,
                                       validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    # Actions
    set_group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("move to group"))
    set_handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("give to handler"))
    set_priority = models.PositiveSmallIntegerField(_("set priority"), choices=Priority.choices, null=True,
                                                    blank=True)
    due_in_hours = models.PositiveIntegerField(_("due in (hours)"), null=True, blank=True)
    auto_reply_template = models.CharField(
        _("automatic reply template"), max_length=100, blank=True,
        help_text=_("The code of an answer template; sending it waits for the answer templates (not built yet)."))
    mark_special_categories = models.BooleanField(_("mark as holding special categories of personal data"),
                                                  default=False)
    external_hook = models.CharField(
        _("send to external system"), max_length=100, blank=True,
        help_text=_("The name of an integration; recorded on the case until the integrations are built."))

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["organization", "position", "id"]
        indexes = [models.Index(fields=["organization", "is_active", "position"], name="routing_rule_order_idx")]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]

    def has_action(self) -> bool:
        return bool(
            self.set_group_id or self.set_handler_id or self.set_priority or self.due_in_hours
            or self.auto_reply_template or self.mark_special_categories or self.external_hook
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        valid = {
            "channels": {c.value for c in Channel},
            "languages": {code for code, _label in LANGUAGE_CHOICES},
            "customer_types": {c.value for c in CustomerType if c.value},
        }
        for field, allowed in valid.items():
            values = getattr(self, field) or []
            if not isinstance(values, list) or any(v not in allowed for v in values):
                errors[field] = str(_("Choose values from the list."))
        if self.min_confidence is not None and self.max_confidence is not None and (
            self.min_confidence >= self.max_confidence
        ):
            errors["max_confidence"] = str(_("This rule can never match: the confidence range is empty."))
        if self.keywords and not self.keyword_list():
            errors["keywords"] = str(_("This rule can never match: the keywords are empty."))
        if not self.has_action():
            errors["set_group"] = str(_("Choose at least one action."))
        if self.set_handler_id and not self.set_group_id:
            errors["set_handler"] = str(_("A handler needs the group they handle in."))
        for field in ("set_group", "calendar"):
            related = getattr(self, field)
            if related is not None and self.organization_id and related.organization_id != self.organization_id:
                errors[field] = str(_("Choose one of this organisation's."))
        if errors:
            raise ValidationError(errors)


class Outcome(models.TextChoices):
    ROUTED = "routed", _("Routed")
    UNCLEAR = "unclear", _("Left to the advisors (unclear)")
    KEPT = "kept", _("Kept where intake put it")
    FAILED = "failed", _("Routing failed")


class RoutingDecision(models.Model):
    """What routing decided for one new case, and why: the predictions, the rule that fired, the outcome.

    Read by the case page's explanation (`selectors.routing_explanation`) and by the evaluation of
    how often automatic decisions are corrected.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="routing_decisions")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    detected_language = models.CharField(_("detected language"), max_length=8, blank=True)
    predictions = models.JSONField(_("classifier's suggestions"), default=dict, blank=True)
    model_versions = models.JSONField(_("model versions"), default=dict, blank=True)
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions")
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    reasons = models.JSONField(_("why"), default=list, blank=True)
    applied = models.JSONField(_("what was changed"), default=dict, blank=True)
    split_suggested = models.BooleanField(_("may hold several topics"), default=False)
    duration_ms = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="routing_decision_org_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"


class DuplicateState(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    DISMISSED = "dismissed", _("Not a duplicate")


class DuplicateSuggestion(models.Model):
    """A case that may be the same matter as a new one (R4.9): found when the case arrives, shown to
    staff with the reasons, linked or merged by a person — never automatically."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="duplicate_suggestions")
    candidate = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("similarity"))
    reasons = models.JSONField(_("why"), default=dict)
    state = models.CharField(_("state"), max_length=12, choices=DuplicateState.choices,
                             default=DuplicateState.SUGGESTED)
    created_at = models.DateTimeField(_("found"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("duplicate suggestion")
        verbose_name_plural = _("duplicate suggestions")
        ordering = ["-score", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "candidate"], name="duplicate_suggestion_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} ~ {self.candidate_id} ({self.score:.2f})"


class ServiceLevel(TimestampedModel):
    """A promise for a kind of case (R4.2, part 4): a first answer and a resolution within so many business
    hours of the owning group's calendar, a warning before, and what happens on a breach.

    The first active level in order whose conditions hold applies when the case arrives; empty
    conditions match every case. Time waiting for the customer does not count.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="service_levels",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=0, help_text=_("Levels are tried from the smallest."))
    is_active = models.BooleanField(_("active"), default=True)
    case_types = models.ManyToManyField(CaseType, blank=True, related_name="+", verbose_name=_("case types"))
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("categories"))
    groups = models.ManyToManyField(ServiceGroup, blank=True, related_name="+", verbose_name=_("service groups"),
                                    help_text=_("The group that owns the case when it arrives."))
    first_response_hours = models.PositiveIntegerField(_("first answer within (business hours)"), null=True,
                                                       blank=True)
    resolution_hours = models.PositiveIntegerField(_("resolved within (business hours)"), null=True, blank=True)
    warn_before_hours = models.PositiveIntegerField(_("warn this many business hours before"), default=4)
    breach_notify = models.BooleanField(_("on a breach, notify the handler and the group"), default=True)
    breach_raise_priority = models.BooleanField(_("on a breach, raise the priority"), default=False)
    breach_group = models.ForeignKey(ServiceGroup, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("on a breach, move the case to"))

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        ordering = ["organization", "position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.first_response_hours is None and self.resolution_hours is None:
            errors["resolution_hours"] = str(_("Give a time for the first answer, the resolution, or both."))
        if (self.first_response_hours is not None and self.resolution_hours is not None
                and self.first_response_hours > self.resolution_hours):
            errors["first_response_hours"] = str(_("The first answer cannot be due after the resolution."))
        if self.resolution_hours is not None and self.warn_before_hours >= self.resolution_hours:
            errors["warn_before_hours"] = str(_("The warning must come before the resolution time."))
        if (self.breach_group_id is not None and self.organization_id is not None
                and self.breach_group is not None and self.breach_group.organization_id != self.organization_id):
            errors["breach_group"] = str(_("The group must belong to the same organisation."))
        if errors:
            raise ValidationError(errors)


class CaseServiceLevel(models.Model):
    """The service level a case is held to, its due times and what has happened (kept by the periodic check)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="service_level_state")
    service_level = models.ForeignKey(ServiceLevel, on_delete=models.SET_NULL, null=True, related_name="+")
    first_response_due = models.DateTimeField(_("first answer due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    paused_since = models.DateTimeField(_("waiting for the customer since"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    response_breached_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("case's service level")
        verbose_name_plural = _("cases' service levels")
        indexes = [models.Index(fields=["breached_at", "resolution_due"], name="case_sla_open_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.resolution_due}"


class WorkflowStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In use")
    RETIRED = "retired", _("Replaced")


class Workflow(models.Model):
    """The steps a case of one type goes through (R4.2, part 3): states, allowed moves, automatic steps.

    Versioned: a draft is edited freely; publishing checks it (`workflows.workflow_problems`), moves
    the live cases of the version in use onto its states, and retires that version. A workflow in
    use is never edited in place, so a case's state always belongs to the version it was moved to.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="workflows",
                                     verbose_name=_("organisation"))
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="workflows",
                                  verbose_name=_("case type"))
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    status = models.CharField(_("status"), max_length=8, choices=WorkflowStatus.choices, default=WorkflowStatus.DRAFT,
                              editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("taken into use"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", editable=False, verbose_name=_("taken into use by"))

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["organization", "case_type", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["case_type"], condition=models.Q(status="active"),
                                    name="workflow_one_active_per_case_type"),
            models.UniqueConstraint(fields=["case_type", "version"], name="workflow_version_unique_per_case_type"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        if (self.organization_id is not None and self.case_type_id is not None
                and self.case_type.organization_id != self.organization_id):
            raise ValidationError({"case_type": _("The case type must belong to the same organisation.")})


class WorkflowState(models.Model):
    """A step of a workflow. Its phase is the case's status while it is in the step (new, in progress,
    waiting for the customer, closed), which queues, service levels and the Open311 API read."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="states")
    code = models.SlugField(_("code"), max_length=63,
                            help_text=_("Kept from version to version: cases move to the state with the same "
                                        "code when a new version is taken into use."))
    name = models.CharField(_("name"), max_length=200)
    phase = models.CharField(_("status while in this state"), max_length=16, choices=Status.choices)
    is_initial = models.BooleanField(_("new cases start here"), default=False)
    position = models.PositiveIntegerField(_("order"), default=0)
    acknowledge_on_enter = models.BooleanField(
        _("acknowledge to the customer on entering"), default=False,
        help_text=_("Sends the organisation's acknowledgement mail when the customer gave an email address."))
    remind_after_days = models.PositiveIntegerField(
        _("remind the customer after (days)"), null=True, blank=True,
        help_text=_("Only for states waiting for the customer: one reminder mail after this many days."))
    timeout_days = models.PositiveIntegerField(_("move on automatically after (days)"), null=True, blank=True)
    timeout_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("move on automatically to"),
                                   help_text=_("For example: close a case the customer has not answered."))
    escalate_after_hours = models.PositiveIntegerField(
        _("escalate after (hours)"), null=True, blank=True,
        help_text=_("If the case is still in this state: raise its priority and notify its group."))

    class Meta:
        verbose_name = _("workflow state")
        verbose_name_plural = _("workflow states")
        ordering = ["workflow", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["workflow", "code"], name="workflow_state_code_unique")]

    def __str__(self) -> str:
        return self.name


# The roles a workflow move may be limited to: those that handle cases.
TRANSITION_ROLE_CHOICES = [(role.value, role.label) for role in (Role.SERVICE_ADVISOR, Role.EXPERT,
                                                                  Role.EXTERNAL_PARTNER)]


class WorkflowTransition(models.Model):
    """An allowed move from one state to another, and what staff must give to make it."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="transitions_out",
                                   verbose_name=_("from"))
    to_state = models.ForeignKey(WorkflowState, on_delete=models.CASCADE, related_name="transitions_in",
                                 verbose_name=_("to"))
    name = models.CharField(_("button text"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=0)
    requires_resolution_code = models.BooleanField(_("requires a resolution code"), default=False)
    requires_note = models.BooleanField(_("requires an internal note"), default=False)
    requires_reply = models.BooleanField(_("requires a reply to the customer"), default=False)
    roles = models.JSONField(
        _("who may make this move"), default=list, blank=True,
        help_text=_("Roles whose holders may make this move. None chosen: everyone who may handle the case."),
    )

    class Meta:
        verbose_name = _("workflow transition")
        verbose_name_plural = _("workflow transitions")
        ordering = ["workflow", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["from_state", "to_state"], name="workflow_transition_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def requires_anything(self) -> bool:
        return self.requires_resolution_code or self.requires_note or self.requires_reply

    def allowed_for(self, access: Any, organization_id: int) -> bool:
        """Whether a user (their `accounts.permissions.UserAccess`) may make this move; handling the case
        is checked separately."""
        return not self.roles or access.is_superuser or access.has_role(organization_id, *self.roles)

    def role_names(self) -> str:
        """The roles that may make this move, in words (empty when anyone handling the case may)."""
        labels = dict(TRANSITION_ROLE_CHOICES)
        return ", ".join(str(labels.get(role, role)) for role in self.roles)

    def clean(self) -> None:
        known = {value for value, _label in TRANSITION_ROLE_CHOICES}
        if not isinstance(self.roles, list) or any(role not in known for role in self.roles):
            raise ValidationError({"roles": _("Choose roles from the list.")})


class ResolutionCode(models.Model):
    """How a case of the workflow's type was resolved, chosen on a transition that requires it."""

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="resolution_codes")
    code = models.SlugField(_("code"), max_length=63)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("resolution code")
        verbose_name_plural = _("resolution codes")
        ordering = ["workflow", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["workflow", "code"], name="resolution_code_unique")]

    def __str__(self) -> str:
        return self.name


class CaseWorkflow(models.Model):
    """Where a case is in its type's workflow, and what the periodic job has done there."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="workflow_state")
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="+")
    state = models.ForeignKey(WorkflowState, on_delete=models.PROTECT, related_name="cases")
    entered_at = models.DateTimeField(_("in this state since"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_code = models.CharField(_("resolution code"), max_length=63, blank=True)

    class Meta:
        verbose_name = _("case's workflow state")
        verbose_name_plural = _("cases' workflow states")
        indexes = [models.Index(fields=["state", "entered_at"], name="case_workflow_state_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.state_id}"
