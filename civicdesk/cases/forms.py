"""Forms for the actions on a case page. Each form parses input and calls exactly one service.

The services do the validation that matters (permissions, state, content); the forms only turn
posted text into typed values and offer sensible choices.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import Role, User
from civicdesk.cases import permissions as policy
from civicdesk.cases import services
from civicdesk.cases.forms_pickers import (
    Option,
    OptionList,
    OrganizationPickers,
    PickerSelect,
    PickerSelectMultiple,
    option,
    organization_pickers,
)
from civicdesk.cases.models import (
    Case,
    CaseCategory,
    CaseType,
    Category,
    Channel,
    CommentRequest,
    CommentRequestStatus,
    LinkKind,
    Priority,
    TimelineEntry,
)
from civicdesk.cases.selectors import CaseDetail, QueueFilters, case_get_for_user
from civicdesk.organizations.models import Area, ServiceGroup

HANDLING_ROLES = (Role.SERVICE_ADVISOR, Role.EXPERT, Role.EXTERNAL_PARTNER)
FILTER_FIELDS_TEMPLATE = "cases/_queue_filter_fields.html"


def _staff_of(case: Case) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True, memberships__organization_id=case.organization_id, memberships__role__in=HANDLING_ROLES
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _set_choices(
    form: forms.Form, name: str, queryset: Callable[[], QuerySet[Any]], options: Sequence[Option]
) -> None:
    """Offer `options` (the organisation's pickers, forms_pickers.py): the rows of `queryset()`, read once
    per process; the queryset itself still validates what is posted.

    Only a bound form builds the queryset: a blank form only renders its options, and building the
    querysets of a case page's blank forms (joins, `Q` objects) was a visible share of its CPU time
    (docs/benchmarks.md, issue 3). A blank form's field keeps the empty queryset it was declared with.
    """
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    if form.is_bound:
        field.queryset = queryset()
    leading = [option("", field.empty_label)] if field.empty_label is not None else []
    field.choices = OptionList(options, leading=leading)


def _pickers_for(case: Case) -> OrganizationPickers:
    """The case's organisation's pickers, looked up once per case object (a page has several action forms)."""
    pickers: OrganizationPickers | None = case.__dict__.get("_pickers")
    if pickers is None or pickers.organization_id != case.organization_id:
        pickers = case.__dict__["_pickers"] = organization_pickers(case.organization_id)
    return pickers


def _groups_of(case: Case) -> QuerySet[ServiceGroup]:
    return ServiceGroup.objects.filter(organization_id=case.organization_id, is_active=True).order_by("name")


class CaseActionForm(forms.Form):
    """A form bound to one case and one actor; `perform` calls the service."""

    title: Any = ""
    allowed: Callable[[Any, Case], bool] = staticmethod(policy.can_handle_case)
    open_only = True
    closed_only = False
    # Actions that decide something about the case are refused when someone else changed the case
    # after the page was loaded; adding a note, a file or a comment cannot contradict anything.
    checks_concurrent_changes = True

    # The newest timeline entry the page showed; sent back to detect changes made meanwhile.
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(
        self, *args: Any, case: Case, actor: Any, seen_entry_id: int | None = None, detail: CaseDetail | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", self.action_name())
        super().__init__(*args, **kwargs)
        self.case = case
        self.actor = actor
        # What the case page already read (categories, comment requests), so that forms need not read it again.
        self.detail = detail
        if seen_entry_id is not None:
            self.fields["seen"].initial = seen_entry_id

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen = cleaned.get("seen")
        if self.checks_concurrent_changes and seen is not None:
            self._refuse_if_changed_since(seen)
        return cleaned

    def _refuse_if_changed_since(self, seen: int) -> None:
        """A stale form: tell what changed and let the user send again after reading it."""
        changes = list(
            TimelineEntry.objects.filter(case_id=self.case.pk, pk__gt=seen)
            .exclude(actor_id=getattr(self.actor, "pk", None))
            .select_related("actor")
            .order_by("pk")
        )
        if not changes:
            return
        # Sending the same form again means "I have seen the changes": the page renders it with the
        # newest entry as seen.
        data = self.data.copy()  # type: ignore[attr-defined]
        data[self.add_prefix("seen")] = str(changes[-1].pk)
        self.data = data
        summary = ", ".join(f"{entry.get_kind_display()} ({entry.author_display})" for entry in changes[-3:])
        raise forms.ValidationError(
            _("Someone else changed this case while you were working on it: %(changes)s. Check the timeline "
              "and send the form again if it is still needed."),
            code="stale",
            params={"changes": summary},
        )

    @classmethod
    def action_name(cls) -> str:
        return ACTION_NAMES[cls]

    # True when the blank form's visible fields show nothing of the case or the actor (only the
    # organisation's pickers and the language); forms whose fields depend on a few values instead
    # override `blank_key`.
    keeps_blank_fields = False

    @classmethod
    def blank_key(cls, case: Case, actor: Any) -> Hashable | None:
        """What a blank form's visible fields show besides the organisation's pickers and the
        language, for the case page to keep their HTML under (templatetags/case_page.py); None when
        they show the case's own values (its categories, its texts) and are written every time."""
        return () if cls.keeps_blank_fields else None

    def blank_fields_key(self) -> Hashable | None:
        """`blank_key` for this form; None once it is bound (its fields show what was sent)."""
        return None if self.is_bound else self.blank_key(self.case, self.actor)

    @property
    def pickers(self) -> OrganizationPickers:
        return _pickers_for(self.case)

    @classmethod
    def offered(cls, actor: Any, case: Case, detail: CaseDetail | None = None) -> bool:
        if cls.open_only and not case.is_open:
            return False
        if cls.closed_only and (case.is_open or case.merged_into_id):
            return False
        return bool(cls.allowed(actor, case))

    def perform(self) -> str:
        raise NotImplementedError


class TakeForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Take the case")
    allowed = staticmethod(policy.can_take_case)

    def perform(self) -> str:
        services.case_take(case=self.case, actor=self.actor)
        return str(_("You now handle the case."))


class AssignForm(CaseActionForm):
    title = _("Assign to a person")
    allowed = staticmethod(policy.can_assign_case)
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=User.objects.none(), widget=PickerSelect)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "handler", self._handlers, _pickers_for(self.case).staff_for_group(self.case.owner_group_id))

    @classmethod
    def blank_key(cls, case: Case, actor: Any) -> Hashable | None:
        return (case.owner_group_id,)  # that group's staff are offered

    def _handlers(self) -> QuerySet[User]:
        members = Q(group_memberships__service_group=self.case.owner_group_id) | Q(
            memberships__role=Role.SERVICE_ADVISOR, memberships__organization_id=self.case.organization_id
        )
        return _staff_of(self.case).filter(members).distinct()

    def perform(self) -> str:
        services.case_assign(
            case=self.case, actor=self.actor, handler=self.cleaned_data["handler"], message=self.cleaned_data["message"]
        )
        return str(_("The handler was changed."))


class ReclassifyForm(CaseActionForm):
    title = _("Change the classification")
    allowed = staticmethod(policy.can_reclassify_case)
    category: forms.ModelChoiceField[Category] = forms.ModelChoiceField(
        label=_("Main category"), queryset=Category.objects.none(), widget=PickerSelect
    )
    other_categories: forms.ModelMultipleChoiceField[Category] = forms.ModelMultipleChoiceField(
        label=_("Other categories"), queryset=Category.objects.none(), required=False,
        widget=PickerSelectMultiple(attrs={"size": 4}),
    )
    case_type: forms.ModelChoiceField[CaseType] = forms.ModelChoiceField(
        label=_("Type"), queryset=CaseType.objects.none(), widget=PickerSelect
    )
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pickers = _pickers_for(self.case)
        organization_id = self.case.organization_id

        def categories() -> QuerySet[Category]:
            return Category.objects.filter(organization_id=organization_id, is_active=True).order_by("name")

        _set_choices(self, "category", categories, pickers.categories)
        _set_choices(self, "other_categories", categories, pickers.categories)
        _set_choices(self, "case_type", lambda: CaseType.objects.filter(
            organization_id=organization_id, is_active=True).order_by("name"), pickers.case_types)
        if not self.is_bound:
            current = (
                [category.pk for category in self.detail.categories]  # the primary first, as here
                if self.detail is not None
                else list(CaseCategory.objects.filter(case=self.case).order_by("-is_primary", "id").values_list(
                    "category_id", flat=True))
            )
            self.initial = {"category": current[0] if current else None, "other_categories": current[1:],
                            "case_type": self.case.case_type_id, "priority": self.case.priority}

    def perform(self) -> str:
        main = self.cleaned_data["category"]
        others = [c for c in self.cleaned_data["other_categories"] if c.pk != main.pk]
        services.case_reclassify(
            case=self.case, actor=self.actor, categories=[main, *others],
            case_type=self.cleaned_data["case_type"], priority=self.cleaned_data["priority"],
        )
        return str(_("The classification was changed."))


class ForwardForm(CaseActionForm):
    title = _("Forward to another group")
    allowed = staticmethod(policy.can_forward_case)
    to_group: forms.ModelChoiceField[ServiceGroup] = forms.ModelChoiceField(
        label=_("Service group"), queryset=ServiceGroup.objects.none(), widget=PickerSelect
    )
    message = forms.CharField(label=_("Message to the group"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "to_group", lambda: _groups_of(self.case).exclude(pk=self.case.owner_group_id),
                     _pickers_for(self.case).groups_except(self.case.owner_group_id))

    @classmethod
    def blank_key(cls, case: Case, actor: Any) -> Hashable | None:
        return (case.owner_group_id,)  # every group but the case's own

    def perform(self) -> str:
        services.case_forward(
            case=self.case,
            actor=self.actor,
            to_group=self.cleaned_data["to_group"],
            message=self.cleaned_data["message"],
        )
        return str(_("The case was forwarded."))


class ReplyForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Reply to the customer")
    allowed = staticmethod(policy.can_reply_to_case)
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 6}))
    wait_for_customer = forms.BooleanField(label=_("Ask the customer for more information"), required=False)
    close = forms.BooleanField(label=_("Close the case after replying"), required=False)

    def perform(self) -> str:
        services.case_reply(
            case=self.case,
            actor=self.actor,
            body=self.cleaned_data["body"],
            wait_for_customer=self.cleaned_data["wait_for_customer"],
            close=self.cleaned_data["close"],
        )
        return str(_("The reply was sent."))


class NoteForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Internal note")
    checks_concurrent_changes = False
    allowed = staticmethod(policy.can_add_note_to_case)
    open_only = False
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))

    def perform(self) -> str:
        services.case_add_note(case=self.case, actor=self.actor, body=self.cleaned_data["body"])
        return str(_("The note was added."))


class InformationForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Send for information")
    allowed = staticmethod(policy.can_send_case_for_information)
    open_only = False
    to_group: forms.ModelChoiceField[ServiceGroup] = forms.ModelChoiceField(
        label=_("Service group"), queryset=ServiceGroup.objects.none(), required=False, widget=PickerSelect
    )
    to_user = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.none(), required=False, widget=PickerSelect
    )
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pickers = _pickers_for(self.case)
        _set_choices(self, "to_group", lambda: _groups_of(self.case), pickers.groups)
        _set_choices(self, "to_user", lambda: _staff_of(self.case), pickers.staff)

    def perform(self) -> str:
        services.case_send_for_information(
            case=self.case,
            actor=self.actor,
            message=self.cleaned_data["message"],
            to_user=self.cleaned_data["to_user"],
            to_group=self.cleaned_data["to_group"],
        )
        return str(_("The case was sent for information."))


class CommentRequestForm(CaseActionForm):
    title = _("Request a comment")
    allowed = staticmethod(policy.can_request_comment_on_case)
    from_user = forms.ModelChoiceField(
        label=_("From a person"), queryset=User.objects.none(), required=False, widget=PickerSelect
    )
    from_group: forms.ModelChoiceField[ServiceGroup] = forms.ModelChoiceField(
        label=_("From a group"), queryset=ServiceGroup.objects.none(), required=False, widget=PickerSelect
    )
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    due_at = forms.DateTimeField(
        label=_("Answer by"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pickers = _pickers_for(self.case)
        _set_choices(self, "from_user", lambda: _staff_of(self.case).exclude(pk=self.actor.pk),
                     pickers.staff_except(self.actor.pk))
        _set_choices(self, "from_group", lambda: _groups_of(self.case), pickers.groups)

    @classmethod
    def blank_key(cls, case: Case, actor: Any) -> Hashable | None:
        # Its people picker leaves out the actor: one copy per actor who opens case pages (about 25 kB
        # each at 400 staff), dropped with the pickers. Rendered every time it was about a tenth of an
        # expert's case page (docs/benchmarks.md, issue 3).
        return (actor.pk,)

    def perform(self) -> str:
        services.case_request_comment(
            case=self.case,
            actor=self.actor,
            question=self.cleaned_data["question"],
            from_user=self.cleaned_data["from_user"],
            from_group=self.cleaned_data["from_group"],
            due_at=self.cleaned_data["due_at"],
        )
        return str(_("The comment was requested."))


class CommentAnswerForm(CaseActionForm):
    title = _("Answer a comment request")
    checks_concurrent_changes = False
    open_only = False
    comment_request = forms.ModelChoiceField(label=_("Request"), queryset=CommentRequest.objects.none())
    answer = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 4}))

    @classmethod
    def offered(cls, actor: Any, case: Case, detail: CaseDetail | None = None) -> bool:
        if detail is None:
            pending = list(
                CommentRequest.objects.filter(case=case, status=CommentRequestStatus.PENDING).select_related("case")
            )
        else:
            pending = [r for r in detail.comment_requests if r.status == CommentRequestStatus.PENDING]
            for comment_request in pending:
                comment_request.case = case  # the same case: no query per request for the policy
        return any(policy.can_answer_comment_request(actor, r) for r in pending)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["comment_request"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = CommentRequest.objects.filter(case=self.case, status=CommentRequestStatus.PENDING)

    def perform(self) -> str:
        services.comment_request_answer(
            comment_request=self.cleaned_data["comment_request"], actor=self.actor, answer=self.cleaned_data["answer"]
        )
        return str(_("Your comment was added."))


class CloseForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Close")
    allowed = staticmethod(policy.can_close_case)
    reply = forms.CharField(
        label=_("Final reply to the customer (required when an answer was asked for)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def perform(self) -> str:
        services.case_close(case=self.case, actor=self.actor, reply=self.cleaned_data["reply"])
        return str(_("The case was closed."))


class CloseUnnecessaryForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Close as unnecessary")
    allowed = staticmethod(policy.can_close_case)
    reason = forms.CharField(label=_("Reason (internal)"), max_length=2000)

    def perform(self) -> str:
        services.case_close_unnecessary(case=self.case, actor=self.actor, reason=self.cleaned_data["reason"])
        return str(_("The case was closed as unnecessary."))


class ReopenForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Reopen")
    allowed = staticmethod(policy.can_reopen_case)
    open_only = False
    closed_only = True
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def perform(self) -> str:
        services.case_reopen(case=self.case, actor=self.actor, reason=self.cleaned_data["reason"])
        return str(_("The case was reopened."))


class PublishForm(CaseActionForm):
    title = _("Publish an anonymised version")
    allowed = staticmethod(policy.can_publish_case)
    open_only = False
    public_title = forms.CharField(label=_("Public title"), max_length=200)
    public_text = forms.CharField(label=_("Public text (no personal data)"), widget=forms.Textarea(attrs={"rows": 4}))
    public_answer = forms.CharField(label=_("Public answer"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial = {
                "public_title": self.case.public_title or self.case.title,
                "public_text": self.case.public_text,
                "public_answer": self.case.public_answer,
            }

    @classmethod
    def offered(cls, actor: Any, case: Case, detail: CaseDetail | None = None) -> bool:
        return not case.contains_special_categories and not case.merged_into_id and super().offered(actor, case)

    def perform(self) -> str:
        data = self.cleaned_data
        services.case_publish(case=self.case, actor=self.actor, public_title=data["public_title"],
                              public_text=data["public_text"], public_answer=data["public_answer"])
        return str(_("The case was published."))


class UnpublishForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Unpublish")
    allowed = staticmethod(policy.can_unpublish_case)
    open_only = False
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    @classmethod
    def offered(cls, actor: Any, case: Case, detail: CaseDetail | None = None) -> bool:
        return case.is_published and super().offered(actor, case)

    def perform(self) -> str:
        services.case_unpublish(case=self.case, actor=self.actor, reason=self.cleaned_data["reason"])
        return str(_("The case was unpublished."))


class LinkForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Link or merge with another case")
    allowed = staticmethod(policy.can_assign_case)
    open_only = False
    other_reference = forms.CharField(label=_("Reference number of the other case"), max_length=20)
    kind = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (LinkKind.RELATED, _("Link as related")),
            (LinkKind.DUPLICATE, _("Link as duplicate")),
            ("merge", _("Merge this case into the other")),
        ],
    )

    def perform(self) -> str:
        other = case_get_for_user(
            user=self.actor, reference=self.cleaned_data["other_reference"], organization_id=self.case.organization_id
        )
        if self.cleaned_data["kind"] == "merge":
            services.case_merge(source=self.case, target=other, actor=self.actor)
            return str(_("The case was merged."))
        services.case_link(case=self.case, other=other, actor=self.actor, kind=self.cleaned_data["kind"])
        return str(_("The cases were linked."))


class AttachmentForm(CaseActionForm):
    keeps_blank_fields = True
    title = _("Add an attachment")
    checks_concurrent_changes = False
    open_only = False
    file = forms.FileField(label=_("File (image, PDF, office document or text)"))

    def perform(self) -> str:
        upload = self.cleaned_data["file"]
        services.attachment_add(case=self.case, actor=self.actor, uploaded_file=upload, name=upload.name)
        return str(_("The attachment was added."))


ACTION_FORMS: dict[str, type[CaseActionForm]] = {
    "take": TakeForm,
    "assign": AssignForm,
    "reply": ReplyForm,
    "note": NoteForm,
    "reclassify": ReclassifyForm,
    "forward": ForwardForm,
    "information": InformationForm,
    "comment-request": CommentRequestForm,
    "comment-answer": CommentAnswerForm,
    "close": CloseForm,
    "close-unnecessary": CloseUnnecessaryForm,
    "reopen": ReopenForm,
    "publish": PublishForm,
    "unpublish": UnpublishForm,
    "link": LinkForm,
    "attachment": AttachmentForm,
}
ACTION_NAMES = {form: name for name, form in ACTION_FORMS.items()}


@dataclass(frozen=True)
class BlankActionForm:
    """A blank action form whose fields' HTML the case page keeps (`CaseActionForm.blank_key`): what
    the page writes of it (templatetags/case_page.py) without building the form, which copies its
    fields and sets their choices; `form()` builds it when that HTML has to be written."""

    form_class: type[CaseActionForm]
    case: Case
    actor: Any
    seen_entry_id: int | None
    detail: CaseDetail | None
    key: Hashable

    def form(self, seen_entry_id: int | None = None) -> CaseActionForm:
        """The form itself (with another `seen_entry_id` if given)."""
        return self.form_class(case=self.case, actor=self.actor, detail=self.detail,
                               seen_entry_id=self.seen_entry_id if seen_entry_id is None else seen_entry_id)

    @property
    def pickers(self) -> OrganizationPickers:
        return _pickers_for(self.case)


def action_forms_for(
    *, actor: Any, case: Case, bound: CaseActionForm | None = None, seen_entry_id: int | None = None,
    detail: CaseDetail | None = None, blank_stand_ins: bool = False,
) -> list[Any]:
    """The action forms this actor may use on this case now; `bound` replaces its blank twin.

    `seen_entry_id` is the newest timeline entry on the page, so that a form sent after someone
    else changed the case is recognised as stale. `detail`, the page's `case_detail`, saves the
    forms reading the case's categories and comment requests again. With `blank_stand_ins`, a
    blank form whose fields' HTML is kept comes as a `BlankActionForm` (for the case page).
    """
    result: list[Any] = []
    for form_class in ACTION_FORMS.values():
        if bound is not None and isinstance(bound, form_class):
            result.append(bound)
        elif form_class.offered(actor, case, detail):
            key = form_class.blank_key(case, actor) if blank_stand_ins else None
            if key is not None:
                result.append(BlankActionForm(form_class, case, actor, seen_entry_id, detail, key))
            else:
                result.append(form_class(case=case, actor=actor, seen_entry_id=seen_entry_id, detail=detail))
    return result


def _list_organization(group: ServiceGroup | None, organization_id: int | None) -> int:
    """The organisation of a list: a group's queue's, or the one given for all its contacts."""
    if group is not None:
        return group.organization_id
    if organization_id is None:
        raise ValueError("QueueFilterForm needs a group or an organisation")
    return organization_id


class QueueFilterForm(forms.Form):
    """The filters above a work queue (GET); invalid values are reported, never a 500."""

    category: forms.ModelChoiceField[Category] = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, widget=PickerSelect
    )
    case_type: forms.ModelChoiceField[CaseType] = forms.ModelChoiceField(
        label=_("Type"), queryset=CaseType.objects.none(), required=False, widget=PickerSelect
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False)
    area: forms.ModelChoiceField[Area] = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, widget=PickerSelect
    )
    handler = forms.ChoiceField(label=_("Handler"), required=False, widget=PickerSelect)
    published = forms.ChoiceField(
        label=_("Published"),
        required=False,
        choices=[("", "—"), ("yes", _("Published")), ("no", _("Not published"))],
    )
    q = forms.CharField(label=_("Words"), required=False, max_length=200)

    def __init__(
        self,
        *args: Any,
        actor: Any,
        group: ServiceGroup | None = None,
        organization_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        organization_id = _list_organization(group, organization_id)
        pickers = organization_pickers(organization_id)
        _set_choices(self, "category", lambda: Category.objects.filter(organization_id=organization_id, is_active=True),
                     pickers.filter_categories)
        _set_choices(self, "case_type", lambda: CaseType.objects.filter(organization_id=organization_id,
                                                                        is_active=True),
                     pickers.filter_case_types)
        _set_choices(self, "area", lambda: Area.objects.filter(organization_id=organization_id).defer("geometry"),
                     pickers.areas)
        # A group's queue: its members, whatever their role; all contacts: the organisation's handling staff.
        members = pickers.group_members.get(group.pk, []) if group is not None else pickers.staff
        handler_field = self.fields["handler"]
        assert isinstance(handler_field, forms.ChoiceField)
        handler_field.choices = OptionList(members, leading=pickers.handler_filter_leading)
        self.actor = actor
        self.pickers = pickers
        self.group_id = group.pk if group is not None else None

    def fields_html(self) -> SafeString:
        """The fields as `cases/_queue_filter_fields.html` writes them (labels, widgets, errors).

        When the request gives none of the filters (the usual first look at a list) the fields show
        only the organisation's pickers: that HTML is written once and kept with them.
        """
        if self.is_bound and any(self.add_prefix(name) in self.data for name in self.fields):
            return self._render_fields()
        return self.pickers.fragment(("queue-filter", self.group_id, self.is_bound), self._render_fields)

    def _render_fields(self) -> SafeString:
        return mark_safe(render_to_string(FILTER_FIELDS_TEMPLATE, {"filter_form": self}))  # the template escapes

    def to_filters(self) -> QueueFilters:
        data = self.cleaned_data
        handler = data.get("handler") or ""
        handler_id = self.actor.pk if handler == "me" else 0 if handler == "none" else int(handler) if handler else None
        published = {"yes": True, "no": False}.get(data.get("published") or "")
        return QueueFilters(
            category_id=data["category"].pk if data.get("category") else None,
            case_type_id=data["case_type"].pk if data.get("case_type") else None,
            channel=data.get("channel") or None,
            area_id=data["area"].pk if data.get("area") else None,
            handler_id=handler_id,
            published=published,
            text=(data.get("q") or "").strip(),
        )


class BlankQueueFilter:
    """What a list page asks of a `QueueFilterForm` when the request gives no parameters at all (the
    usual first look at a queue): the kept HTML of its blank fields and the organisation's pickers.

    Building the form copies its seven fields and their choices; a blank one's fields are written
    once per process and kept with the pickers, so the page only needs the form when that HTML is
    written (docs/benchmarks.md, issue 3).
    """

    is_bound = False

    def __init__(self, *, actor: Any, group: ServiceGroup | None = None, organization_id: int | None = None) -> None:
        organization_id = _list_organization(group, organization_id)
        self.actor, self.group, self.organization_id = actor, group, organization_id
        self.group_id = group.pk if group is not None else None
        self.pickers = organization_pickers(organization_id)

    def fields_html(self) -> SafeString:
        return self.pickers.fragment(("queue-filter", self.group_id, False), lambda: QueueFilterForm(
            actor=self.actor, group=self.group, organization_id=self.organization_id)._render_fields())


def queue_filter_form(
    data: Any, *, actor: Any, group: ServiceGroup | None = None, organization_id: int | None = None
) -> QueueFilterForm | BlankQueueFilter:
    """The filters of a list page: the form when the request has parameters, else its blank stand-in."""
    if data:
        return QueueFilterForm(data, actor=actor, group=group, organization_id=organization_id)
    return BlankQueueFilter(actor=actor, group=group, organization_id=organization_id)


# --- saved views and bulk actions on case lists ---------------------------------------------

# The query-string parameters of a case list that a saved view keeps (not the page number).
LIST_PARAMETERS: tuple[str, ...] = ("filter", "sort", *QueueFilterForm.base_fields)
LIST_DEFAULTS = {"filter": "open", "sort": "last_activity"}
LIST_VALUE_MAX_CHARS = 200


def list_query_normalised(data: Any) -> dict[str, str]:
    """The list parameters in `data` (a QueryDict or a dict) without empty values and defaults.

    Two lists showing the same thing give the same dict, so a saved view can be recognised as
    the page being shown. Nothing is validated here; see `list_query_clean`.
    """
    result: dict[str, str] = {}
    for key in LIST_PARAMETERS:
        value = data.get(key)
        if not isinstance(value, str) or value == "" or LIST_DEFAULTS.get(key) == value:
            continue
        result[key] = value
    return result


def list_query_clean(
    data: Any, *, actor: Any, group: ServiceGroup | None = None, organization_id: int | None = None
) -> tuple[dict[str, str], list[str]]:
    """The list parameters in `data` that are valid for this list now, and the labels of those that are not.

    Used when a view is saved and again when it is opened: a category, type or area may have
    been deleted or deactivated, or a handler may have left the group, since it was saved.
    """
    from civicdesk.cases.selectors import QUEUE_FILTERS, SORTS

    values = list_query_normalised(data)
    valid: dict[str, str] = {}
    dropped: list[str] = []
    if "filter" in values:
        if values["filter"] in QUEUE_FILTERS:
            valid["filter"] = values["filter"]
        else:
            dropped.append(str(_("Show")))
    if "sort" in values:
        if values["sort"] in SORTS:
            valid["sort"] = values["sort"]
        else:
            dropped.append(str(_("Sort by")))
    fields = {key: value for key, value in values.items() if key in QueueFilterForm.base_fields}
    for key, value in list(fields.items()):
        if not isinstance(value, str) or len(value) > LIST_VALUE_MAX_CHARS:
            fields.pop(key)
            dropped.append(str(QueueFilterForm.base_fields[key].label))
    if fields:
        form = QueueFilterForm(fields, actor=actor, group=group, organization_id=organization_id)
        form.is_valid()
        for key, value in fields.items():
            if key in form.errors:
                dropped.append(str(form.fields[key].label))
            else:
                valid[key] = value
    return valid, dropped


BULK_ACTION_LABELS = {
    policy.BULK_ASSIGN: _("Assign to a person or a group"),
    policy.BULK_FORWARD: _("Forward to a group"),
    policy.BULK_CLOSE_UNNECESSARY: _("Close as unnecessary"),
}
CASE_ID_MAX_DIGITS = 18


class BulkActionForm(forms.Form):
    """The action bar of a case list: one action for the cases ticked on the page (POST).

    The cases come as `case` (ticked rows) and, when `select_all` is ticked, `page_case` (every
    row of the page), so that "select all on this page" works without JavaScript. `perform`
    calls one bulk service, which runs the single-case service for each case.
    """

    action = forms.ChoiceField(label=_("Action"), error_messages={"required": _("Choose an action.")})
    handler = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.none(), required=False, help_text=_("For assigning only."),
        widget=PickerSelect,
    )
    group: forms.ModelChoiceField[ServiceGroup] = forms.ModelChoiceField(
        label=_("Service group"), queryset=ServiceGroup.objects.none(), required=False,
        help_text=_("Needed to forward; to assign, choose a person, a group or both."), widget=PickerSelect,
    )
    message = forms.CharField(
        label=_("Message to the group or person"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        max_length=2000,
    )
    reason = forms.CharField(label=_("Reason (internal)"), required=False, max_length=2000)

    def __init__(self, *args: Any, actor: Any, organization_id: int, group: ServiceGroup | None = None,
                 pickers: OrganizationPickers | None = None, **kwargs: Any) -> None:
        """`pickers`: the organisation's, when the page already looked them up (saves reading their version)."""
        kwargs.setdefault("prefix", "bulk")
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.organization_id = organization_id
        self.actions = policy.bulk_actions_in(actor, organization_id)
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)
        action_field.choices = [("", "—"), *[(key, BULK_ACTION_LABELS[key]) for key in self.actions]]
        self.list_group = group
        self.list_group_id = group.pk if group is not None else None
        if pickers is None or pickers.organization_id != organization_id:
            pickers = organization_pickers(organization_id)
        self.pickers = pickers
        _set_choices(self, "handler", self._handlers,
                     pickers.staff_for_group(group.pk) if group is not None else pickers.staff)
        _set_choices(self, "group", lambda: ServiceGroup.objects.filter(
            organization_id=organization_id, is_active=True).order_by("name"), pickers.groups)

    def _handlers(self) -> QuerySet[User]:
        staff = User.objects.filter(
            is_active=True, memberships__organization_id=self.organization_id, memberships__role__in=HANDLING_ROLES
        )
        if self.list_group is not None:
            # In a group's queue, the people its cases can be given to: its members and the advisors.
            staff = staff.filter(
                Q(group_memberships__service_group=self.list_group)
                | Q(memberships__role=Role.SERVICE_ADVISOR, memberships__organization_id=self.organization_id)
            )
        return staff.distinct().order_by("last_name", "first_name", "username")

    @cached_property
    def field_groups(self) -> dict[str, SafeString]:
        """Each field's `as_field_group()`. A blank form shows only the organisation's pickers and the
        actions offered: written once per list and set of actions, and kept with the pickers."""

        def render() -> dict[str, SafeString]:
            return {name: self[name].as_field_group() for name in self.fields}

        if self.is_bound:
            return render()
        return self.pickers.fragment(("bulk-actions", self.list_group_id, self.actions), render)

    @property
    def offers_assignment(self) -> bool:
        return policy.BULK_ASSIGN in self.actions or policy.BULK_FORWARD in self.actions

    @property
    def offers_closing(self) -> bool:
        return policy.BULK_CLOSE_UNNECESSARY in self.actions

    def _posted(self, name: str) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        values = getlist(name) if getlist is not None else self.data.get(name, [])
        return [values] if isinstance(values, str) else list(values)

    def _case_ids(self) -> list[int]:
        from civicdesk.cases.services import BULK_MAX_CASES

        raw = self._posted("case")
        if self.data.get("select_all"):
            raw = self._posted("page_case") + raw
        if len(raw) > 2 * BULK_MAX_CASES:
            raise forms.ValidationError(self._too_many(BULK_MAX_CASES), code="too_many")
        ids: list[int] = []
        for value in raw:
            text = value.strip() if isinstance(value, str) else ""
            if not (text.isascii() and text.isdigit() and len(text) <= CASE_ID_MAX_DIGITS and int(text) > 0):
                raise forms.ValidationError(_("The selection is not valid. Reload the page and try again."),
                                            code="invalid_case")
            case_id = int(text)
            if case_id not in ids:
                ids.append(case_id)
        if not ids:
            raise forms.ValidationError(_("Select at least one case."), code="no_cases")
        if len(ids) > BULK_MAX_CASES:
            raise forms.ValidationError(self._too_many(BULK_MAX_CASES), code="too_many")
        return ids

    @staticmethod
    def _too_many(limit: int) -> str:
        return str(_("You can act on at most %(limit)d cases at a time.") % {"limit": limit})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["case_ids"] = self._case_ids()
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        action = cleaned.get("action")
        if action == policy.BULK_ASSIGN and not cleaned.get("handler") and not cleaned.get("group"):
            self.add_error("handler", _("Choose a person or a group."))
        if action == policy.BULK_FORWARD and not cleaned.get("group"):
            self.add_error("group", _("Choose the group to forward the cases to."))
        if action == policy.BULK_CLOSE_UNNECESSARY and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for closing the cases."))
        return cleaned

    def perform(self) -> services.BulkResult:
        data = self.cleaned_data
        case_ids, organization_id = data["case_ids"], self.organization_id
        if data["action"] == policy.BULK_ASSIGN:
            return services.cases_bulk_assign(
                actor=self.actor, case_ids=case_ids, organization_id=organization_id, handler=data["handler"],
                service_group=data["group"], message=data["message"],
            )
        if data["action"] == policy.BULK_FORWARD:
            return services.cases_bulk_forward(
                actor=self.actor, case_ids=case_ids, organization_id=organization_id, to_group=data["group"],
                message=data["message"],
            )
        return services.cases_bulk_close_unnecessary(
            actor=self.actor, case_ids=case_ids, organization_id=organization_id, reason=data["reason"]
        )
