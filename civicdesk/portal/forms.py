"""The residents' forms. They parse input; `intake.case_intake` and the case services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import CaseType, Category
from civicdesk.organizations.models import Organization
from civicdesk.portal import selectors

DESCRIPTION_MAX_LENGTH = 5000
MESSAGE_MAX_LENGTH = 5000


class ContactForm(forms.Form):
    """A contact from a resident: what it is about, what happened, and how to answer (R1.1, R1.5)."""

    category: forms.ModelChoiceField[Category] = forms.ModelChoiceField(
        label=_("What is your message about?"), queryset=Category.objects.none(), empty_label=_("Choose a topic")
    )
    case_type: forms.ModelChoiceField[CaseType] = forms.ModelChoiceField(
        label=_("Type of message"), queryset=CaseType.objects.none(), empty_label=_("Choose a type")
    )
    description = forms.CharField(
        label=_("Your message"), max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Describe the matter. Do not write health information or identity codes here."),
    )
    address = forms.CharField(
        label=_("Address or place (optional)"), max_length=300, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    name = forms.CharField(
        label=_("Your name (optional)"), max_length=200, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email (optional)"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send the case number and a link for following the case to this address."),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    answer_requested = forms.BooleanField(label=_("I want an answer"), required=False)
    consent = forms.BooleanField(
        label=_("I agree that the city processes the information I give to handle my message."),
        error_messages={"required": _("Agree to the processing of your information, or contact us by phone.")},
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["category"].queryset = selectors.contact_topics(organization=organization)  # type: ignore[attr-defined]
        self.fields["case_type"].queryset = selectors.contact_case_types(organization=organization)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("answer_requested") and not (cleaned.get("email") or cleaned.get("phone")):
            self.add_error("email", _("To get an answer, give an email address or a phone number."))
        return cleaned

    @property
    def consent_text(self) -> str:
        return str(self.fields["consent"].label)


class CustomerMessageForm(forms.Form):
    """The customer's reply or more information, from the tracking page."""

    message = forms.CharField(
        label=_("Your reply or more information"), max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
