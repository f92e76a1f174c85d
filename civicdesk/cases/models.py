"""The Case aggregate: a contact under handling, its timeline, attachments, links and publication."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.querysets import CaseQuerySet
from civicdesk.core.models import ChoiceLabels, TimestampedModel
from civicdesk.organizations.geometry import geo_cell_expression
from civicdesk.organizations.models import Area, Organization, ServiceGroup


class CaseKind(models.TextChoices):
    FEEDBACK = "feedback", _("Feedback")
    QUESTION = "question", _("Question")
    SERVICE_REQUEST = "service_request", _("Service request")
    FAULT_REPORT = "fault_report", _("Fault report")
    INTERNAL_REQUEST = "internal_request", _("Internal request")


class FeedbackSubtype(models.TextChoices):
    NONE = "", _("—")
    THANKS = "thanks", _("Thanks")
    COMPLAINT = "complaint", _("Complaint")
    WISH = "wish", _("Wish")
    IDEA = "idea", _("Idea")


class Channel(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    EMBEDDED_FORM = "embedded_form", _("Embedded form")
    MOBILE_APP = "mobile_app", _("Mobile app")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    SOCIAL_MEDIA = "social_media", _("Social media")
    WALK_IN = "walk_in", _("Walk-in")
    INTERNAL = "internal", _("Internal")
    SURVEY = "survey", _("Survey")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


class Resolution(models.TextChoices):
    NONE = "", _("—")
    ANSWERED = "answered", _("Answered")
    NO_ANSWER_NEEDED = "no_answer_needed", _("Handled, no answer wanted")
    UNNECESSARY = "unnecessary", _("Closed as unnecessary")
    MERGED = "merged", _("Merged into another case")


class PublicWorksStatus(models.TextChoices):
    """The public-works states of the 6Aika Open311 extension (`detailed_status`)."""

    NONE = "", _("—")
    NEW = "PUBLIC_WORKS_NEW", _("Public works: new")
    IN_PROGRESS = "PUBLIC_WORKS_IN_PROGRESS", _("Public works: in progress")
    COMPLETED = "PUBLIC_WORKS_COMPLETED", _("Public works: completed")
    COMPLETED_SCHEDULED_LATER = "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER", _("Public works: scheduled for later")
    COMPLETED_REQUIRES_NO_ACTION = "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION", _("Public works: no action needed")
    INTERRUPTED = "PUBLIC_WORKS_INTERRUPTED", _("Public works: interrupted")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class CustomerType(models.TextChoices):
    UNKNOWN = "", _("Not given")
    RESIDENT = "resident", _("Resident")
    BUSINESS = "business", _("Business")
    VISITOR = "visitor", _("Visitor")
    EMPLOYEE = "employee", _("City employee")


class CaseType(TimestampedModel):
    """A configurable type of case within an organisation; `kind` says what it is for the API."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="case_types")
    code = models.SlugField(_("code"), max_length=63)
    kind = models.CharField(_("kind"), max_length=32, choices=CaseKind.choices)
    name = models.CharField(_("name"), max_length=200)
    special_data_groups = models.ManyToManyField(
        ServiceGroup,
        blank=True,
        related_name="special_data_case_types",
        verbose_name=_("groups for special categories"),
        help_text=_("Cases of this type marked as holding special categories of personal data are visible only "
                    "to these groups."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case type")
        verbose_name_plural = _("case types")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="case_type_code_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class Category(TimestampedModel):
    """A topic a case is about (street maintenance, parks, day care…); categories nest."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="categories")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    code = models.SlugField(_("code"), max_length=63)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    default_group = models.ForeignKey(
        ServiceGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="default_for_categories",
        verbose_name=_("default group"),
    )
    open311_service_code = models.CharField(_("Open311 service code"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="category_code_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class ReferenceSequence(models.Model):
    """The last reference number handed out per organisation and year."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="reference_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}: {self.last_value}"


def new_tracking_token() -> str:
    return secrets.token_urlsafe(32)


class Case(ChoiceLabels):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference number"), max_length=20)
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="cases", verbose_name=_("type"))
    feedback_subtype = models.CharField(
        _("feedback subtype"), max_length=16, choices=FeedbackSubtype.choices, blank=True, default=""
    )
    categories = models.ManyToManyField(
        Category, through="CaseCategory", related_name="cases", verbose_name=_("categories")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, default="fi")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))

    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    # The grid cell of (lat, lon), computed by the database: "nearby" reads only the cells around a
    # point (organizations.geometry, index case_nearby_cell_idx).
    geo_cell = models.GeneratedField(
        expression=geo_cell_expression(), output_field=models.BigIntegerField(null=True), db_persist=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("area")
    )

    customer_name = models.CharField(_("customer's name"), max_length=200, blank=True)
    customer_email = models.EmailField(_("customer's email"), blank=True)
    customer_phone = models.CharField(_("customer's phone"), max_length=32, blank=True)
    customer_type = models.CharField(
        _("customer type"), max_length=16, choices=CustomerType.choices, blank=True, default=""
    )
    answer_requested = models.BooleanField(_("answer requested"), default=False)
    consent_text = models.TextField(_("consent given"), blank=True)
    consent_method = models.CharField(_("consent given by"), max_length=16, blank=True)
    consent_at = models.DateTimeField(_("consent time"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="submitted_cases",
        verbose_name=_("submitted by"),
    )

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices, blank=True, default="")
    public_works_status = models.CharField(
        _("public works status"), max_length=48, choices=PublicWorksStatus.choices, blank=True, default=""
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    owner_group = models.ForeignKey(
        ServiceGroup, on_delete=models.PROTECT, related_name="owned_cases", verbose_name=_("service group")
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="handled_cases",
        verbose_name=_("handler"),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    contains_special_categories = models.BooleanField(_("contains special categories of personal data"), default=False)

    public_title = models.CharField(_("public title"), max_length=200, blank=True)
    public_text = models.TextField(_("public text (anonymised)"), blank=True)
    public_answer = models.TextField(_("public answer"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("publication time"), null=True, blank=True)

    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token, editable=False)
    # What the customer answered on the contact form: {"topic": {"id", "name"}, "answers": [{"question",
    # "label", "value", "display"}]}, labels as the customer read them (intake.services.form_answers_build).
    form_answers = models.JSONField(_("answers on the form"), default=dict, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # Maintained by the services on PostgreSQL; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CaseQuerySet.as_manager()
    # Not a column: the "created" timeline entry, set on the instance `case_create` returns (so a
    # channel can attach the contact's files to it without reading it back).
    created_entry: TimelineEntry | None = None

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="case_reference_unique_per_org"),
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True, lon__isnull=True)
                | models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="case_location_valid",
            ),
        ]
        indexes = [
            # Covers the queue page: the special-categories test needs no visit to the table.
            models.Index(
                fields=["owner_group", "-last_activity_at", "-id"],
                include=["contains_special_categories", "case_type"],
                condition=~models.Q(status="closed"),
                name="case_open_queue_idx",
            ),
            # Search results are ordered by activity within the organisation.
            models.Index(fields=["organization", "-last_activity_at", "-id"], name="case_org_activity_idx"),
            # The advisors' list of all open contacts (R5), counted and paged like a group's queue.
            models.Index(
                fields=["organization", "-last_activity_at", "-id"],
                include=["contains_special_categories", "case_type"],
                condition=~models.Q(status="closed"),
                name="case_org_open_idx",
            ),
            models.Index(fields=["owner_group", "status", "-last_activity_at"], name="case_group_status_idx"),
            models.Index(
                fields=["handler", "-last_activity_at"],
                condition=~models.Q(status="closed"),
                name="case_handler_open_idx",
            ),
            models.Index(fields=["organization", "-created_at"], name="case_org_created_idx"),
            models.Index(
                fields=["organization", "customer_email", "-last_activity_at"], name="case_customer_email_idx"
            ),
            models.Index(
                fields=["organization", "customer_phone", "-last_activity_at"], name="case_customer_phone_idx"
            ),
            models.Index(fields=["organization", "is_published", "-published_at"], name="case_published_idx"),
            # The residents' public list and map (portal.selectors.public_cases): only what may be shown,
            # newest contact first, and by location for the map's bounding box.
            models.Index(
                fields=["organization", "-created_at", "-id"],
                condition=models.Q(is_published=True, contains_special_categories=False),
                name="case_public_list_idx",
            ),
            # Covering (PostgreSQL): Open311 `GET requests` with a bbox and a status takes the page's ids
            # from the index alone, status and order included (docs/benchmarks.md, Open311).
            models.Index(
                fields=["organization", "lat", "lon"],
                include=["status", "created_at", "id"],
                condition=models.Q(is_published=True, contains_special_categories=False),
                name="case_public_location_idx",
            ),
            models.Index(fields=["organization", "lat", "lon"], name="case_location_idx"),
            # Cases near a point within a time (the case page's "nearby", the duplicate check): the cells
            # around it and the dates, the box tested in the index before any row is read.
            models.Index(fields=["organization", "geo_cell", "created_at", "lat", "lon"],
                         name="case_nearby_cell_idx"),
            models.Index(fields=["area", "-created_at"], name="case_area_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def detailed_status(self) -> str:
        """The 6Aika Open311 `detailed_status`: RECEIVED / IN_PROCESS / PROCESSED [+ public works state]."""
        return detailed_status_of(status=self.status, public_works_status=self.public_works_status)


def detailed_status_of(*, status: str, public_works_status: str) -> str:
    """The 6Aika Open311 `detailed_status` of a case's status and public works state (`Case.detailed_status`)."""
    if status == Status.CLOSED:
        base = "PROCESSED"
    elif status == Status.NEW:
        base = "RECEIVED"
    else:
        base = "IN_PROCESS"
    return f"{base},{public_works_status}" if public_works_status else base


class CaseCategory(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_categories")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="case_categories")
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "category"], name="case_category_unique")]
        indexes = [models.Index(fields=["category", "case"], name="case_category_by_category_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.category_id}"


class EntryKind(models.TextChoices):
    CREATED = "created", _("Case created")
    INBOUND_MESSAGE = "inbound_message", _("Message from customer")
    OUTBOUND_REPLY = "outbound_reply", _("Reply to customer")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    FORWARD = "forward", _("Forwarded")
    INFORMATION = "information", _("Sent for information")
    COMMENT_REQUEST = "comment_request", _("Comment requested")
    COMMENT_REPLY = "comment_reply", _("Comment given")
    CLASSIFICATION_CHANGE = "classification_change", _("Classification changed")
    STATUS_CHANGE = "status_change", _("Status changed")
    HANDLER_CHANGE = "handler_change", _("Handler changed")
    EDIT = "edit", _("Details edited")
    LINK = "link", _("Linked")
    MERGE = "merge", _("Merged")
    PUBLICATION = "publication", _("Publication changed")
    SERVICE_LEVEL = "service_level", _("Service level")
    WORKFLOW = "workflow", _("Workflow step")


class DeliveryState(models.TextChoices):
    NONE = "", _("—")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class TimelineEntry(ChoiceLabels):
    """One event in a case's history. Entries are only appended (merges move them, with a trace)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("kind"), max_length=32, choices=EntryKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=pgettext_lazy("timeline entry", "by"),
    )
    actor_label = models.CharField(_("by (external)"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    is_internal = models.BooleanField(_("internal"), default=True)
    delivery_state = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryState.choices, blank=True, default=""
    )
    comment_request = models.ForeignKey(
        "CommentRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="entries"
    )
    original_case_reference = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="timeline_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def author_display(self) -> str:
        """Who wrote the entry, in the reader's language: staff name, sender, customer or the system."""
        if self.actor is not None:
            return str(self.actor)
        if self.actor_label:
            return self.actor_label
        return gettext("Customer") if self.data.get("by_customer") else gettext("System")

    @property
    def reason_display(self) -> str:
        reasons = {"customer_message": gettext("Reopened by the customer's message.")}
        reason = self.data.get("reason", "")
        return reasons.get(reason, "") if self.data.get("to") != "closed" else ""


class CommentRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for comment")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")


class CommentRequest(ChoiceLabels):
    """A request for an expert's (or a group's) comment on a case; pending until answered."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comment_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="comment_requests"
    )
    requested_from_group = models.ForeignKey(
        ServiceGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="comment_requests"
    )
    question = models.TextField(_("question"))
    due_at = models.DateTimeField(_("answer by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CommentRequestStatus.choices, default=CommentRequestStatus.PENDING
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("comment request")
        verbose_name_plural = _("comment requests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_from_user__isnull=False) | models.Q(requested_from_group__isnull=False),
                name="comment_request_has_addressee",
            )
        ]
        indexes = [
            models.Index(fields=["requested_from_user", "status"], name="comment_request_user_idx"),
            models.Index(fields=["requested_from_group", "status"], name="comment_request_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.question[:50]}"

    @property
    def is_overdue(self) -> bool:
        """Still waiting for the comment after the time it was asked by."""
        return (
            self.status == CommentRequestStatus.PENDING and self.due_at is not None and self.due_at < timezone.now()
        )



class ShareReason(models.TextChoices):
    INFORMATION = "information", _("Sent for information")
    COMMENT_REQUEST = "comment_request", _("Comment requested")
    FORWARDED_FROM = "forwarded_from", _("Forwarded by this group")


class CaseShare(models.Model):
    """Read access to a case for a user or group outside its owner group (and why)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="case_shares"
    )
    service_group = models.ForeignKey(
        ServiceGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="case_shares"
    )
    reason = models.CharField(max_length=20, choices=ShareReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(service_group__isnull=False),
                name="case_share_has_target",
            )
        ]
        indexes = [
            models.Index(fields=["user", "case"], name="case_share_user_idx"),
            models.Index(fields=["service_group", "case"], name="case_share_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.user_id or self.service_group_id} ({self.reason})"


class LinkKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate")
    RELATED = "related", _("Related")


class CaseLink(models.Model):
    """An undirected link between two cases, stored once with the smaller id first."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case"], name="case_link_unique"),
            models.CheckConstraint(condition=models.Q(from_case__lt=models.F("to_case")), name="case_link_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.from_case_id} ↔ {self.to_case_id} ({self.kind})"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # Stored under a random name: the original name is kept in the row, never trusted on disk.
    return f"attachments/{instance.case.organization_id}/{secrets.token_hex(16)}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class SavedViewScope(models.TextChoices):
    QUEUE = "queue", _("Work queue")
    ALL = "all", _("All contacts")


class SavedView(models.Model):
    """A user's named filters and sort order for one work queue or the organisation's list of all contacts.

    `query` holds the validated list parameters (`filter`, `sort` and the filter form's fields,
    as the list page's query string takes them). They are checked again when the view is opened:
    a category, area or handler may have gone away meanwhile. Only the owner ever reads a view.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(_("scope"), max_length=16, choices=SavedViewScope.choices)
    service_group = models.ForeignKey(
        ServiceGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("service group"),
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.JSONField(_("filters"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_unique_per_user"),
            models.CheckConstraint(
                condition=models.Q(scope="queue", service_group__isnull=False)
                | models.Q(scope="all", service_group__isnull=True),
                name="saved_view_scope_matches_group",
            ),
        ]

    def __str__(self) -> str:
        return self.name
