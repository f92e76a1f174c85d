"""What the residents' contact form is made of: topics in residents' words, their questions, the
organisation's form settings and its address list (R1.1, R1.3, R9.3, R10.8).

Topics are not categories. A category is how staff file and route work ("Street maintenance");
a topic is what a resident recognises ("A pothole or a loose kerb"), and it files the contact
under one category. Several topics may share a category; a topic may send the resident to
another service altogether (`redirect_url`) instead of taking a contact.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import CaseKind, CaseType, Category, FeedbackSubtype
from civicdesk.core.models import TimestampedModel
from civicdesk.organizations.models import Organization


class ContactKind(models.TextChoices):
    """The types a resident chooses from: the feedback subtypes and the other case kinds, flattened."""

    THANKS = "thanks", _("Thanks")
    COMPLAINT = "complaint", _("Complaint")
    WISH = "wish", _("Wish")
    IDEA = "idea", _("Idea")
    QUESTION = "question", _("Question")
    FAULT_REPORT = "fault_report", _("Fault report")
    SERVICE_REQUEST = "service_request", _("Service request")


# ContactKind → (CaseKind, FeedbackSubtype) of the case it creates.
CASE_KIND_OF: dict[str, tuple[str, str]] = {
    ContactKind.THANKS: (CaseKind.FEEDBACK, FeedbackSubtype.THANKS),
    ContactKind.COMPLAINT: (CaseKind.FEEDBACK, FeedbackSubtype.COMPLAINT),
    ContactKind.WISH: (CaseKind.FEEDBACK, FeedbackSubtype.WISH),
    ContactKind.IDEA: (CaseKind.FEEDBACK, FeedbackSubtype.IDEA),
    ContactKind.QUESTION: (CaseKind.QUESTION, FeedbackSubtype.NONE),
    ContactKind.FAULT_REPORT: (CaseKind.FAULT_REPORT, FeedbackSubtype.NONE),
    ContactKind.SERVICE_REQUEST: (CaseKind.SERVICE_REQUEST, FeedbackSubtype.NONE),
}


class LocationNeed(models.TextChoices):
    REQUIRED = "required", _("Required")
    OPTIONAL = "optional", _("Optional")
    NONE = "none", _("Not asked")


class Topic(TimestampedModel):
    """A matter in residents' words, the category it files under and what the form asks about it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_topics")
    slug = models.SlugField(
        _("identifier"), max_length=63, db_index=False,
        help_text=_("Part of the form's address, e.g. for links from the city's web pages."),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("In residents' words, not a unit's name."))
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Words residents may search with, separated by commas."),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="contact_topics",
        verbose_name=_("category"), help_text=_("Contacts about this topic are filed under this category."),
    )
    kinds = models.JSONField(
        _("types offered"), default=list, blank=True,
        help_text=_("The types of message residents may choose for this topic."),
    )
    case_types = models.ManyToManyField(
        CaseType, blank=True, related_name="contact_topics", verbose_name=_("case types"),
        help_text=_("Leave empty to use the organisation's case type of each kind."),
    )
    location = models.CharField(_("location"), max_length=16, choices=LocationNeed.choices,
                                default=LocationNeed.OPTIONAL)
    asks_for_photos = models.BooleanField(_("asks for photos"), default=False)
    redirect_url = models.URLField(
        _("handled elsewhere: address"), blank=True,
        help_text=_("If set, the form is not shown: residents are sent to this address instead."),
    )
    redirect_text = models.TextField(_("handled elsewhere: explanation"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("contact topic")
        verbose_name_plural = _("contact topics")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="topic_slug_unique_per_org")]
        indexes = [models.Index(fields=["organization", "is_active", "position"], name="topic_org_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_redirect(self) -> bool:
        return bool(self.redirect_url)

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        unknown = [k for k in (self.kinds or []) if k not in ContactKind.values]
        if not isinstance(self.kinds, list) or unknown:
            errors["kinds"] = _("Choose types from the list.")
        if not self.redirect_url:
            if not self.kinds:
                errors["kinds"] = _("Choose at least one type, or give the address where the matter is handled.")
            if self.category_id is None:
                errors["category"] = _("Choose the category, or give the address where the matter is handled.")
        category = self.category if self.category_id else None
        if category is not None and self.organization_id and category.organization_id != self.organization_id:
            errors["category"] = _("Choose a category of the same organisation.")
        if errors:
            raise ValidationError(errors)


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Text")
    CHOICE = "choice", _("Choice")
    YES_NO = "yes_no", _("Yes or no")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")


class TopicQuestion(models.Model):
    """One question a topic adds to the form (R1.3); the answers are stored with the case."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="questions", verbose_name=_("topic"))
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For a choice: one option per line."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        """The options in the current language, one per non-empty line."""
        return [line.strip() for line in (self.choices or "").splitlines() if line.strip()]

    def clean(self) -> None:
        if self.kind == QuestionKind.CHOICE and len(self.choice_list) < 2:
            raise ValidationError({"choices": _("Give at least two options, one per line.")})


class ContactFormSettings(models.Model):
    """An organisation's settings for the residents' form: the consent text (R9.3) and privacy notice."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="contact_form_settings", verbose_name=_("organisation"),
    )
    intro_text = models.TextField(_("introduction"), blank=True, help_text=_("Shown above the list of topics."))
    consent_text = models.TextField(
        _("consent text"), blank=True,
        help_text=_("What residents agree to when they send the form. Recorded with every contact. "
                    "Empty: a general text."),
    )
    privacy_notice_url = models.URLField(_("privacy notice address"), blank=True)

    class Meta:
        verbose_name = _("contact form settings")
        verbose_name_plural = _("contact form settings")

    def __str__(self) -> str:
        return str(self.organization)


_SPACES = re.compile(r"\s+")
_PUNCTUATION = re.compile(r"[,.;:()\"']")


def address_key(text: str) -> str:
    """An address as the search compares it: case-folded, composed, without punctuation, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


class AddressPoint(models.Model):
    """One address of the organisation's own address list, with its point, for the form's address search.

    Loaded from a CSV file (`manage.py addresses_load`); no address typed by a resident leaves the site.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="address_points")
    street = models.CharField(_("street"), max_length=200)
    number = models.CharField(_("number"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    search_key = models.CharField(max_length=240, editable=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["search_key"]
        indexes = [
            # Prefix search (LIKE 'x%') needs the pattern operator class on PostgreSQL unless the
            # database's collation is C; SQLite ignores operator classes.
            models.Index(fields=["organization", "search_key"], name="address_search_idx",
                         opclasses=["int8_ops", "varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="address_point_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_key = address_key(f"{self.street} {self.number}")[:240]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        street = f"{self.street} {self.number}".strip()
        place = f"{self.postal_code} {self.municipality}".strip()
        return f"{street}, {place}" if place else street


# --- the email channel (issue 5) -----------------------------------------------------------


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("TLS from the start (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (only on a trusted local network)")


class Mailbox(TimestampedModel):
    """A city address that takes contacts by email (palaute@…), and where its mail goes.

    Mail arrives through the built-in SMTP receiver (an MTA relays to it) or by polling the
    mailbox over IMAP, or both. The IMAP password is never stored: `imap_password_env` names the
    environment variable that holds it, so secrets stay in the deployment's environment.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="mailboxes")
    name = models.CharField(_("name"), max_length=200)
    address = models.EmailField(
        _("address"), unique=True,
        help_text=_("The intake address residents write to. Replies come to the same address with a case token "
                    "after the separator (palaute+c-…@)."),
    )
    service_group = models.ForeignKey(
        "organizations.ServiceGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="mailboxes",
        verbose_name=_("service group"), help_text=_("Empty: new contacts go to the service advisors' intake."),
    )
    case_type = models.ForeignKey(CaseType, on_delete=models.PROTECT, related_name="+", verbose_name=_("case type"))
    language = models.CharField(_("language"), max_length=8, default="fi",
                                help_text=_("Language of new cases and of the acknowledgement."))
    auto_acknowledge = models.BooleanField(
        _("acknowledge new contacts"), default=True,
        help_text=_("Mail the sender the case number when a new case is created (never to automatic mail)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True,
                                 help_text=_("Empty: this mailbox takes mail only through the SMTP receiver."))
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=16, choices=ImapSecurity.choices,
                                     default=ImapSecurity.SSL)
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    imap_password_env = models.CharField(
        _("environment variable of the IMAP password"), max_length=100, blank=True,
        validators=[RegexValidator(r"^[A-Z_][A-Z0-9_]*$", _("Use capital letters, digits and underscores."))],
        help_text=_("The name of the variable, e.g. MAILBOX_PALAUTE_PASSWORD, not the password."),
    )
    imap_folder = models.CharField(_("folder to read"), max_length=200, default="INBOX")
    imap_done_folder = models.CharField(_("folder for handled mail"), max_length=200, default="CivicDesk",
                                        help_text=_("Handled mail is moved here, never deleted."))
    last_polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        group = self.service_group
        if group is not None and self.organization_id and group.organization_id != self.organization_id:
            errors["service_group"] = _("Choose a group of this organisation.")
        if self.case_type_id and self.organization_id and self.case_type.organization_id != self.organization_id:
            errors["case_type"] = _("Choose a case type of this organisation.")
        if self.imap_host and not (self.imap_username and self.imap_password_env):
            errors["imap_username"] = _("Reading over IMAP needs a user name and the password's variable.")
        if errors:
            raise ValidationError(errors)

    @property
    def imap_password(self) -> str:
        return os.environ.get(self.imap_password_env, "") if self.imap_password_env else ""


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received, not handled yet")
    CASE_CREATED = "case_created", _("New case")
    ADDED_TO_CASE = "added_to_case", _("Added to a case")
    HELD_UNKNOWN_SENDER = "held_unknown_sender", _("Held: unknown sender")
    ACCEPTED = "accepted", _("Accepted by staff")
    IGNORED_AUTOMATIC = "ignored_automatic", _("Automatic mail, not answered")
    RATE_LIMITED = "rate_limited", _("Held: too many messages from the sender")
    REJECTED_SIZE = "rejected_size", _("Refused: too large")
    FAILED = "failed", _("Could not be handled")


class InboundEmail(models.Model):
    """One message that came in, kept as evidence with what was done with it.

    The raw message is kept whole until it is handled (its files are read from it), then cut to
    `EMAIL_RAW_MAX_BYTES` as the evidence copy (`raw_truncated`); held, failed and rate-limited
    messages stay whole until accepted or handled again. `sha256` of the raw bytes makes the
    intake idempotent: the same message read twice (an IMAP poll interrupted before the move,
    an MTA that retries) ends up once in a case.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    entry = models.ForeignKey("cases.TimelineEntry", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=8)  # smtp | imap
    envelope_recipient = models.CharField(_("recipient"), max_length=320, blank=True)
    sender_address = models.CharField(_("sender"), max_length=320, blank=True, db_index=True)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    message_id = models.CharField(max_length=998, blank=True)
    raw = models.BinaryField(_("raw message"), blank=True)
    raw_size = models.PositiveIntegerField(_("size"), default=0)
    raw_truncated = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64)
    state = models.CharField(_("state"), max_length=24, choices=InboundState.choices, default=InboundState.RECEIVED)
    auto_kind = models.CharField(_("automatic mail"), max_length=16, blank=True)
    authentication = models.JSONField(_("sender authentication"), default=dict, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("forwarded by"))
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("incoming email")
        verbose_name_plural = _("incoming email")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sha256"], name="inbound_email_once_per_org"),
        ]
        indexes = [
            models.Index(fields=["organization", "message_id"], name="inbound_email_msgid_idx"),
            models.Index(fields=["organization", "sender_address", "received_at"], name="inbound_email_sender_idx"),
            # The drain's look-up of the mail that waits (`inbound_emails_drain`).
            models.Index(fields=["id"], condition=models.Q(state="received"), name="inbound_email_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender_address}: {self.subject[:60]}"


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    RECEIPT = "receipt", _("Receipt")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    BOUNCE = "bounce", _("Refusal")
    REMINDER = "reminder", _("Reminder to answer")


class OutboundEmail(models.Model):
    """A mail the system sent about a case, with the Message-ID that the customer's reply will cite."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    entry = models.ForeignKey("cases.TimelineEntry", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=OutboundKind.choices)
    message_id = models.CharField(max_length=998)
    to_address = models.CharField(_("to"), max_length=320)
    state = models.CharField(_("state"), max_length=16, default="queued")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing email")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "message_id"], name="outbound_email_msgid_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_address}"


class MailTemplate(models.Model):
    """An organisation's own wording of a mail the system sends, in one language (issue: email channel).

    Written by content admins with `{{ placeholder }}`s from a fixed list per kind (no template
    language: nothing in the case is reachable but what the list names). Without an active template
    for the case's language the built-in text is sent. The HTML version is optional and sanitised.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="mail_templates",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("mail"), max_length=20, choices=OutboundKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=250)
    body_text = models.TextField(_("text"), max_length=20_000)
    body_html = models.TextField(
        _("HTML version"), max_length=50_000, blank=True,
        help_text=_("Optional. Sent beside the text for mail programs that show HTML; scripts, styles and remote "
                    "content are removed."))
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        constraints = [
            models.UniqueConstraint(fields=("organization", "kind", "language"), name="mail_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class AcceptedState(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted, the case is being made")
    DONE = "done", _("Case made")
    FAILED = "failed", _("Could not be made into a case")


class AcceptedContact(models.Model):
    """A contact from the residents' form or an Open311 POST, checked and stored, whose case a worker makes
    a moment later (ADR 0022).

    `payload` holds what `intake.case_intake` needs (ids, texts, the point, the contact details) and is
    emptied when the case is made: the personal data then lives in the case only. `tracking_token` is
    the resident's private tracking token, chosen here so the receipt page and the Open311 answer can
    give it at once; the case gets the same token. Rows whose case was made are kept
    `ACCEPTED_CONTACTS_KEEP_DAYS`, failed ones until staff deal with them (admin).
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=24)
    payload = models.JSONField(_("contact"), default=dict, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=12, choices=AcceptedState.choices, default=AcceptedState.ACCEPTED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    reason = models.TextField(_("reason"), blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    done_at = models.DateTimeField(_("case made"), null=True, blank=True)

    class Meta:
        verbose_name = _("accepted contact")
        verbose_name_plural = _("accepted contacts")
        ordering = ["-id"]
        indexes = [
            # The drain's queue: only the rows still waiting for their case.
            models.Index(fields=["id"], condition=models.Q(state="accepted"), name="accepted_contact_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pk} ({self.state})"
