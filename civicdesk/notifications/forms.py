"""The settings form: how the user hears of each kind of event, and how often mail may come."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from civicdesk.notifications.models import Delivery, EmailInterval, NotificationKind, NotificationSettings


class NotificationSettingsForm(forms.Form):
    """One radio group per NotificationKind (field name = the kind), and the email interval."""

    email_interval = forms.TypedChoiceField(
        label=_("Email me at most"), choices=EmailInterval.choices, coerce=int, widget=forms.RadioSelect,
        help_text=_("Mail is sent only while you are not using CivicDesk, and bundles everything waiting."),
    )

    def __init__(self, data: Any = None, *, current: NotificationSettings) -> None:
        initial: dict[str, Any] = {kind: current.delivery_for(kind) for kind in NotificationKind.values}
        initial["email_interval"] = current.email_interval
        super().__init__(data, initial=initial)
        kinds = {
            kind: forms.ChoiceField(label=label, choices=Delivery.choices, widget=forms.RadioSelect)
            for kind, label in NotificationKind.choices
        }
        # The kinds first, in the order of NotificationKind, then the interval.
        self.fields = {**kinds, "email_interval": self.fields["email_interval"]}

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[kind] for kind in NotificationKind.values]

    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in NotificationKind.values}
