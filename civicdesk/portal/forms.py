"""The residents' forms. They parse input; `intake.case_intake` and the case services decide.

The contact form is built per topic (R1.3): the types the topic offers, its questions, a location
when it asks for one, photos when it asks for them. Hidden fields carry the map's point; without
JavaScript the address field alone is the location, looked up in the organisation's address list.
"""

from __future__ import annotations

import decimal
import math
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import CaseType
from civicdesk.intake import selectors as intake_selectors
from civicdesk.intake.models import ContactFormSettings, ContactKind, LocationNeed, QuestionKind, Topic, TopicQuestion
from civicdesk.organizations.models import Organization
from civicdesk.portal import form_guard

DESCRIPTION_MAX_LENGTH = 5000
MESSAGE_MAX_LENGTH = 5000
ANSWER_MAX_LENGTH = 500
NUMBER_LIMIT = decimal.Decimal("1000000000")
DEFAULT_CONSENT = _("I agree that the city processes the information I give to handle my message.")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none were chosen)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]

    def bound_data(self, data: Any, initial: Any) -> Any:
        return initial


class NumberField(forms.DecimalField):
    """A number typed the resident's way: "12,5" and "12.5" both work, spaces are ignored."""

    def to_python(self, value: Any) -> decimal.Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)


class SearchForm(forms.Form):
    """The topic list's search box (GET): works without JavaScript, filtered instantly with it."""

    q = forms.CharField(label=_("Search topics"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "data-topic-search": ""}))


def question_field(question: TopicQuestion) -> forms.Field:
    """The form field of a topic's question: how every channel reads and checks an answer to it."""
    common: dict[str, Any] = {"label": question.label, "required": question.required,
                              "help_text": question.help_text or ""}
    if question.kind == QuestionKind.CHOICE:
        # Values are positions, so an answer does not depend on the language the form was read in.
        options = question.choice_list
        return forms.TypedChoiceField(choices=[(str(n), o) for n, o in enumerate(options, start=1)],
                                      coerce=lambda v: options[int(v) - 1], empty_value="",
                                      widget=forms.RadioSelect, **common)
    if question.kind == QuestionKind.YES_NO:
        return forms.TypedChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes", empty_value=None,
            widget=forms.RadioSelect, **common)
    if question.kind == QuestionKind.NUMBER:
        return NumberField(
            max_digits=15, decimal_places=3, min_value=-NUMBER_LIMIT, max_value=NUMBER_LIMIT,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if question.kind == QuestionKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    return forms.CharField(max_length=ANSWER_MAX_LENGTH, **common)


class TopicAnswersForm(forms.Form):
    """Answers to topics' questions alone, checked by the same fields as on the contact form.

    For channels that send the answers without the form (Open311's `attribute[q<id>]`): the data
    holds `q<id>` keys with the values the form's fields take (a choice's position, "yes"/"no", a
    number, a date as 2026-11-23); `answers()` is what `intake.services.form_answers_build` takes.
    """

    def __init__(self, *args: Any, questions: list[TopicQuestion], enforce_required: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            field = question_field(question)
            if not enforce_required:
                field.required = False
            self.fields[f"q{question.pk}"] = field

    def answers(self) -> list[tuple[TopicQuestion, Any]]:
        return [(question, self.cleaned_data.get(f"q{question.pk}")) for question in self.questions]


class ContactForm(forms.Form):
    """A contact about one topic (or the general form): type, questions, message, place, photos, contact.

    `case_types` maps each contact kind offered to the case type it creates
    (`intake.selectors.case_types_for_form`); kinds without a case type are not offered.
    """

    def __init__(self, *args: Any, organization: Organization, topic: Topic | None,
                 questions: list[TopicQuestion], case_types: dict[str, CaseType],
                 form_settings: ContactFormSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.topic = topic
        self.questions = questions
        self.case_types = case_types
        self.form_settings = form_settings
        self.location_need = topic.location if topic is not None else LocationNeed.OPTIONAL
        self.asks_for_files = topic.asks_for_photos if topic is not None else True
        labels = dict(ContactKind.choices)
        kinds = [(kind, labels[kind]) for kind in case_types]
        self.fields["kind"] = forms.ChoiceField(
            label=_("What kind of message is it?"), choices=kinds, widget=forms.RadioSelect,
            error_messages={"required": _("Choose the kind of message."),
                            "invalid_choice": _("Choose the kind of message from the list.")},
        )
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].initial = kinds[0][0]
        for question in questions:
            self.fields[f"q{question.pk}"] = question_field(question)
        self.fields["description"] = forms.CharField(
            label=_("Your message"), max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 8}),
            help_text=_("Describe the matter. Do not write health information or identity codes here."),
            error_messages={"required": _("Write your message.")},
        )
        if self.location_need != LocationNeed.NONE:
            required = self.location_need == LocationNeed.REQUIRED
            self.fields["address"] = forms.CharField(
                label=_("Address or place") if required else _("Address or place (optional)"),
                max_length=300, required=False,
                help_text=_("Write the street address or the name of the place. With the map you can also "
                            "mark the exact spot."),
                widget=forms.TextInput(attrs={"autocomplete": "off", "data-address-input": ""}),
            )
            self.fields["lat"] = forms.CharField(required=False, max_length=40,
                                                 widget=forms.HiddenInput(attrs={"data-lat": ""}))
            self.fields["lon"] = forms.CharField(required=False, max_length=40,
                                                 widget=forms.HiddenInput(attrs={"data-lon": ""}))
        if self.asks_for_files:
            self.fields["files"] = MultipleFileField(
                label=_("Photos or files (optional)"), required=False,
                help_text=_("At most %(count)d files, each at most %(size)s: images (JPEG, PNG, WebP, GIF), PDF "
                            "or office documents. Location data is removed from photos.")
                % {"count": settings.CONTACT_FILES_MAX, "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
                widget=MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.odt,.txt"}),
            )
        self.fields["name"] = forms.CharField(
            label=_("Your name (optional)"), max_length=200, required=False,
            widget=forms.TextInput(attrs={"autocomplete": "name"}))
        self.fields["email"] = forms.EmailField(
            label=_("Email (optional)"), required=False, max_length=254,
            widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            help_text=_("We send the case number and a link for following the case to this address."))
        self.fields["phone"] = forms.CharField(
            label=_("Phone (optional)"), max_length=40, required=False,
            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
        self.fields["answer_requested"] = forms.BooleanField(label=_("I want an answer"), required=False)
        self.fields["consent"] = forms.BooleanField(
            label=self.consent_text,
            error_messages={"required": _("Agree to the processing of your information, or contact us by phone.")},
        )
        # The spam defence (portal.form_guard); the template writes both inputs itself.
        # No length limits: an over-long value is caught by the check, with its neutral message.
        self.fields[form_guard.HONEYPOT_FIELD] = forms.CharField(required=False, strip=False)
        self.fields[form_guard.STARTED_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def consent_text(self) -> str:
        """The consent text exactly as the resident read it, in their language (R9.3)."""
        return str(self.form_settings.consent_text or DEFAULT_CONSENT)

    # --- groups of fields for the template ----------------------------------------------------

    def _bound(self, names: tuple[str, ...]) -> list[forms.BoundField]:
        return [self[name] for name in names if name in self.fields]

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q{question.pk}"] for question in self.questions]

    @property
    def contact_fields(self) -> list[forms.BoundField]:
        return self._bound(("name", "email", "phone", "answer_requested"))

    @property
    def shows_map(self) -> bool:
        return "address" in self.fields

    @property
    def started_stamp(self) -> str:
        """A fresh signed stamp on every rendering, so a form shown again may be sent again."""
        return form_guard.form_started_stamp()

    @property
    def honeypot_field(self) -> str:
        return form_guard.HONEYPOT_FIELD

    @property
    def started_field(self) -> str:
        return form_guard.STARTED_FIELD

    # --- validation ---------------------------------------------------------------------------

    def clean_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("files") or []
        if len(files) > settings.CONTACT_FILES_MAX:
            raise forms.ValidationError(
                gettext("Send at most %(count)d files.") % {"count": settings.CONTACT_FILES_MAX})
        for uploaded in files:
            if (uploaded.size or 0) > settings.ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(
                    gettext("%(name)s is too large (at most %(limit)s).")
                    % {"name": uploaded.name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)})
        return files

    def _point(self, cleaned: dict[str, Any]) -> tuple[float, float] | None:
        raw_lat, raw_lon = (cleaned.get("lat") or "").strip(), (cleaned.get("lon") or "").strip()
        if not raw_lat and not raw_lon:
            return None
        try:
            lat, lon = float(raw_lat), float(raw_lon)
        except ValueError:
            lat = lon = math.nan
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            self.add_error("address", _("The place marked on the map could not be read. Mark it again, or write "
                                        "the address."))
            return None
        return lat, lon

    def _spam_check(self, cleaned: dict[str, Any]) -> None:
        """The honeypot and the time stamp: a neutral refusal that says nothing of which check caught it."""
        reason = "honeypot" if cleaned.get(form_guard.HONEYPOT_FIELD) else form_guard.form_started_refusal(
            cleaned.get(form_guard.STARTED_FIELD) or "")
        if not reason:
            texts = [cleaned.get("description") or ""] + [
                value for name, value in cleaned.items() if name.startswith("q") and isinstance(value, str)]
            limit = settings.PORTAL_CONTACT_MAX_LINKS
            if form_guard.links_count(*texts) > limit:
                reason = "links"
                self.add_error("description", gettext(
                    "Write at most %(count)d web addresses in your message.") % {"count": limit})
        if not reason:
            return
        form_guard.form_refusal_log(reason=reason, organization=self.organization.slug,
                                    topic=self.topic.slug if self.topic is not None else "")
        if reason != "links":
            self.add_error(None, gettext("Your message could not be sent. Check the form and send it again."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._spam_check(cleaned)
        if cleaned.get("answer_requested") and not (cleaned.get("email") or cleaned.get("phone")):
            self.add_error("email", _("To get an answer, give an email address or a phone number."))
        if self.shows_map:
            point = self._point(cleaned)
            address = (cleaned.get("address") or "").strip()
            if point is None and address and "address" not in self.errors:
                found = intake_selectors.address_point_for(organization=self.organization, address=address)
                if found is not None:
                    point = (found.lat, found.lon)
            if point is None and not address and self.location_need == LocationNeed.REQUIRED and (
                "address" not in self.errors
            ):
                self.add_error("address", _("Tell us where: write the address or mark the place on the map."))
            cleaned["point"] = point
        return cleaned

    # --- what the intake needs ----------------------------------------------------------------

    def answers(self) -> list[tuple[TopicQuestion, Any]]:
        return [(question, self.cleaned_data.get(f"q{question.pk}")) for question in self.questions]

    @property
    def case_type(self) -> CaseType:
        return self.case_types[self.cleaned_data["kind"]]


class CustomerMessageForm(forms.Form):
    """The customer's reply or more information, with photos or files, from the tracking page."""

    message = forms.CharField(
        label=_("Your reply or more information"), max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Write your message.")},
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a field named like BaseForm.files, as on the form
        label=_("Photos or files (optional)"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.odt,.txt"}),
    )

    def clean_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("files") or []
        if len(files) > settings.CONTACT_FILES_MAX:
            raise forms.ValidationError(
                gettext("Send at most %(count)d files.") % {"count": settings.CONTACT_FILES_MAX})
        return files
