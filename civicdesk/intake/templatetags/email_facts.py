"""What the case page shows about mail on its timeline: the sender check and the held-message button.

    {% load email_facts %}
    {% email_facts_for detail.timeline case as mail_facts %}     (one query for the whole timeline)
    ... {% email_entry_facts mail_facts entry %}                 (inside the loop over the entries)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from civicdesk.cases.models import EntryKind
from civicdesk.intake.models import InboundEmail, InboundState
from civicdesk.intake.sources.email.parsing import sender_verified

register = template.Library()

METHODS = ("spf", "dkim", "dmarc")


@dataclass(frozen=True)
class EntryMail:
    inbound_id: int
    state: str
    verdicts: dict[str, str]
    may_accept: bool


@register.simple_tag(takes_context=True)
def email_facts_for(context: template.Context, entries: Any, case: Any) -> dict[int, EntryMail]:
    """The mail behind each timeline entry that came by email, by entry id (no query when none did)."""
    ids = [entry.pk for entry in entries
           if (entry.kind == EntryKind.INBOUND_MESSAGE and entry.data.get("channel") == "email")
           or (entry.kind == EntryKind.CREATED and case.channel == "email")]
    if not ids:
        return {}
    rows = list(InboundEmail.objects.filter(entry_id__in=ids).select_related("case")
                .only("id", "entry_id", "state", "authentication", "case"))
    held = [row for row in rows if row.state == InboundState.HELD_UNKNOWN_SENDER]
    may_accept = False
    if held:
        from civicdesk.cases.permissions import can_record_message_on_case

        request = context.get("request")
        may_accept = request is not None and held[0].case is not None and can_record_message_on_case(
            request.user, held[0].case)
    return {row.entry_id: EntryMail(inbound_id=row.pk, state=row.state, verdicts=row.authentication or {},
                                    may_accept=may_accept) for row in rows if row.entry_id is not None}


@register.simple_tag(takes_context=True)
def email_entry_facts(context: template.Context, facts: dict[int, EntryMail], entry: Any) -> SafeString:
    mail = facts.get(entry.pk)
    if mail is None:
        return SafeString("")
    parts = []
    verified = sender_verified(mail.verdicts)
    if verified is not None:
        results = " · ".join(f"{method.upper()} {mail.verdicts[method]}" for method in METHODS
                             if method in mail.verdicts)
        parts.append(format_html(
            '<p class="mail-check mail-check-{}">{}: {} ({})</p>',
            "verified" if verified else "unverified", _("Sender check"),
            _("verified") if verified else _("not verified"), results))
    if mail.state == InboundState.HELD_UNKNOWN_SENDER:
        parts.append(format_html(
            '<p class="mail-held" role="note">{}</p>',
            _("From an address other than the customer's: shown to staff only until someone accepts it.")))
        request = context.get("request")
        if mail.may_accept and request is not None:
            parts.append(format_html(
                '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<button type="submit">{}</button></form>',
                reverse("intake:held_email_accept", args=[mail.inbound_id]), get_token(request),
                _("Accept as the customer's message")))
    elif mail.state == InboundState.ACCEPTED:
        parts.append(format_html('<p class="mail-held">{}</p>', _("Accepted by staff as the customer's message.")))
    return SafeString("".join(parts))
