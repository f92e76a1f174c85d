"""The contact form's configuration for content admins: topics with their questions, form settings and
the address list. Scoped to the organisations the admin configures, like every other admin page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationStackedInline

from civicdesk.accounts.admin_scoping import OrganizationScopedInlineMixin, ScopedAdmin, ScopedTranslationAdmin
from civicdesk.accounts.models import Role
from civicdesk.accounts.permissions import CONFIGURING_ROLES
from civicdesk.core.errors import ApplicationError
from civicdesk.intake.models import (
    AcceptedContact,
    AddressPoint,
    ContactFormSettings,
    ContactKind,
    InboundEmail,
    InboundState,
    Mailbox,
    MailTemplate,
    OutboundEmail,
    OutboundKind,
    Topic,
    TopicQuestion,
)


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


# --- the email channel ----------------------------------------------------------------------


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ("organization", "kind", "language", "is_active", "subject", "body_text", "body_html")

    def clean(self) -> dict[str, Any]:
        from civicdesk.intake.sources.email.mail_templates import mail_template_validate

        data = super().clean() or {}
        if data.get("kind") and data.get("subject") is not None and data.get("body_text") is not None:
            for field, errors in mail_template_validate(
                    kind=data["kind"], subject=data.get("subject") or "", body_text=data.get("body_text") or "",
                    body_html=data.get("body_html") or "").items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
        return data


@admin.register(MailTemplate)
class MailTemplateAdmin(ScopedAdmin):
    """The organisation's own wording of receipts, acknowledgements, replies and refusals, per language."""

    admin_roles = CONFIGURING_ROLES
    form = MailTemplateForm
    list_display = ("kind", "language", "subject", "organization", "is_active", "updated_at")
    list_filter = ("organization", "kind", "language", "is_active")
    search_fields = ("subject", "body_text")
    readonly_fields = ("placeholders", "preview")
    fieldsets = (
        (None, {"fields": ("organization", "kind", "language", "is_active")}),
        (_("Wording"), {"fields": ("placeholders", "subject", "body_text", "body_html")}),
        (_("Preview with example values"), {"fields": ("preview",)}),
    )

    @admin.display(description=_("Placeholders"))
    def placeholders(self, obj: MailTemplate | None) -> Any:
        from django.utils.html import format_html, format_html_join

        from civicdesk.intake.sources.email.mail_templates import PLACEHOLDERS, REQUIRED

        kinds = [obj.kind] if obj is not None and obj.kind else list(OutboundKind.values)
        return format_html_join(
            "", "<p><strong>{}</strong>: {}</p>",
            ((OutboundKind(kind).label, format_html_join(
                ", ", "<code>{{{{ {} }}}}</code> {}{}",
                ((name, label, _(" (required)") if name in REQUIRED[kind] else "")
                 for name, label in PLACEHOLDERS[kind].items()))) for kind in kinds),
        ) or format_html("")

    @admin.display(description=_("Preview"))
    def preview(self, obj: MailTemplate | None) -> Any:
        from django.utils.html import format_html

        from civicdesk.intake.sources.email.mail_templates import SAMPLE_VALUES, mail_template_fill

        if obj is None or obj.pk is None:
            return _("Save the template to see a preview.")
        rendered = mail_template_fill(obj, SAMPLE_VALUES)
        return format_html("<p><strong>{}</strong></p><pre style=\"white-space: pre-wrap\">{}</pre>",
                           rendered.subject, rendered.text)

    def save_model(self, request: HttpRequest, obj: MailTemplate, form: Any, change: bool) -> None:
        from civicdesk.intake.sources.email.mail_templates import mail_template_check

        mail_template_check(obj)  # sanitises the HTML version; the form has refused anything else
        super().save_model(request, obj, form, change)


EMAIL_READ_ROLES: tuple[str, ...] = (*CONFIGURING_ROLES, Role.SERVICE_ADVISOR)


@admin.register(Mailbox)
class MailboxAdmin(ScopedAdmin):
    """Intake addresses, their group and case type, and how their mail is read (SMTP receiver or IMAP)."""

    admin_roles = CONFIGURING_ROLES
    list_display = ("address", "name", "organization", "service_group", "auto_acknowledge", "imap_host",
                    "last_polled_at", "is_active")
    list_filter = ("organization", "is_active", "auto_acknowledge")
    search_fields = ("address", "name")
    readonly_fields = ("last_polled_at", "last_error")
    actions = ("test_connection", "read_now")
    fieldsets = (
        (None, {"fields": ("organization", "name", "address", "service_group", "case_type", "language",
                           "auto_acknowledge", "is_active")}),
        (_("Reading over IMAP"), {
            "description": _("Leave the server empty when the city's mail server relays this address to the "
                             "built-in SMTP receiver. The password is read from the environment variable named "
                             "here, never stored in the database."),
            "fields": ("imap_host", "imap_port", "imap_security", "imap_username", "imap_password_env",
                       "imap_folder", "imap_done_folder", "last_polled_at", "last_error"),
        }),
    )

    @admin.action(description=_("Test the connection"))
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        from civicdesk.intake.sources.email.imap import ImapError, mailbox_test_connection

        for mailbox in queryset:
            if not mailbox.imap_host:
                self.message_user(request, _("%(address)s: takes mail through the SMTP receiver; nothing to test.")
                                  % {"address": mailbox.address}, messages.INFO)
                continue
            if mailbox.imap_password_env and not mailbox.imap_password:
                self.message_user(request, _("%(address)s: the environment variable %(variable)s is not set.")
                                  % {"address": mailbox.address, "variable": mailbox.imap_password_env},
                                  messages.ERROR)
                continue
            try:
                waiting = mailbox_test_connection(mailbox)
            except ImapError as exc:
                self.message_user(request, _("%(address)s: the connection failed: %(error)s")
                                  % {"address": mailbox.address, "error": exc}, messages.ERROR)
            else:
                self.message_user(request, _("%(address)s: connected; %(count)s messages waiting.")
                                  % {"address": mailbox.address, "count": waiting}, messages.SUCCESS)

    @admin.action(description=_("Read the mailbox now"))
    def read_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        from civicdesk.intake.tasks import mailbox_poll_task

        count = 0
        for mailbox in queryset.exclude(imap_host=""):
            mailbox_poll_task.delay(mailbox_id=mailbox.pk)
            count += 1
        self.message_user(request, _("Reading %(count)d mailboxes in the background.") % {"count": count})


@admin.register(InboundEmail)
class InboundEmailAdmin(ScopedAdmin):
    """What came in by email and what was done with it; held and failed messages are handled here."""

    admin_roles = EMAIL_READ_ROLES
    list_display = ("received_at", "sender_address", "subject", "state", "auto_kind", "case", "mailbox")
    list_filter = ("organization", "state", "auto_kind", "source")
    search_fields = ("sender_address", "subject", "message_id")
    list_select_related = ("case", "mailbox")
    actions = ("accept_held", "retry")
    fields = ("received_at", "organization", "mailbox", "source", "envelope_recipient", "sender_name",
              "sender_address", "subject", "message_id", "state", "case", "auto_kind", "authentication",
              "forwarded_by", "details", "error", "raw_size", "raw_truncated")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # evidence: kept until the retention policy removes it

    @admin.action(description=_("Accept held messages as the customer's"))
    def accept_held(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        from civicdesk.intake.sources.email.services import inbound_email_accept

        accepted = 0
        for inbound in queryset.filter(state=InboundState.HELD_UNKNOWN_SENDER).select_related("case"):
            try:
                inbound_email_accept(user=request.user, inbound=inbound)
                accepted += 1
            except ApplicationError as exc:
                self.message_user(request, f"{inbound}: {exc.message}", messages.ERROR)
        self.message_user(request, _("%(count)d messages accepted.") % {"count": accepted})

    @admin.action(description=_("Handle again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        from civicdesk.intake.sources.email.services import inbound_emails_retry

        count = inbound_emails_retry(rows=queryset)
        self.message_user(request, _("%(count)d messages queued to be handled again.") % {"count": count})


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ScopedAdmin):
    admin_roles = EMAIL_READ_ROLES
    list_display = ("created_at", "kind", "to_address", "state", "case", "sent_at")
    list_filter = ("organization", "kind", "state")
    search_fields = ("to_address", "message_id")
    fields = ("created_at", "organization", "case", "entry", "kind", "to_address", "message_id", "state", "error",
              "sent_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AcceptedContact)
class AcceptedContactAdmin(ScopedAdmin):
    """Contacts taken by the form or Open311 whose case a worker makes (ADR 0022). A failed one is
    tried again from here once its reason is dealt with."""

    admin_roles = EMAIL_READ_ROLES
    list_display = ("id", "created_at", "channel", "state", "attempts", "case", "done_at")
    list_filter = ("organization", "state", "channel")
    list_select_related = ("case",)
    fields = ("created_at", "organization", "channel", "state", "attempts", "reason", "case", "done_at", "payload")
    readonly_fields = fields
    actions = ("try_again",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Try to make the case again"))
    def try_again(self, request: HttpRequest, queryset: QuerySet[AcceptedContact]) -> None:
        from civicdesk.intake.accepted_contacts import accepted_contacts_retry

        count = accepted_contacts_retry(rows=queryset)
        self.message_user(request, _("%(count)d contacts queued to be made into cases again.") % {"count": count})
