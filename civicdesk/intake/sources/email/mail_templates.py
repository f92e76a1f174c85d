"""An organisation's own wording of the mails the system sends (`MailTemplate`), checked and filled in.

Content admins write a subject, a text and optionally an HTML version with `{{ placeholder }}`s
from a fixed list per kind of mail. There is no template language: the values are plain strings
chosen here, so a template cannot reach anything else of the case, and an unknown or misspelt
placeholder is refused when the template is saved, with the list of those allowed. In the HTML
version the values are escaped and the admin's own HTML is sanitised (nh3), on saving and again
when sending. Without an active template for the kind and language the built-in text is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from civicdesk.core.config_generation import ConfigCache
from civicdesk.intake.models import MailTemplate, OutboundKind
from civicdesk.intake.sources.email.parsing import html_sanitise

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_CASE = {
    "reference": _("the case number"),
    "organization": _("the organisation's name"),
    "title": _("the case's title"),
    "customer_name": _("the customer's name as given (may be empty)"),
    "tracking_url": _("the private link to follow the case"),
}
# What each kind of mail may say; the first ones listed in REQUIRED must be there.
PLACEHOLDERS: dict[str, dict[str, object]] = {
    OutboundKind.RECEIPT: {**_CASE, "description": _("what the customer wrote")},
    OutboundKind.ACKNOWLEDGEMENT: {**_CASE, "description": _("what the customer wrote")},
    OutboundKind.REPLY: {**_CASE, "answer": _("the answer written by staff")},
    OutboundKind.REMINDER: {**_CASE, "closes_on": _("the day the case closes unless the customer answers "
                                                    "(may be empty)")},
    OutboundKind.BOUNCE: {
        "organization": _("the organisation's name"),
        "subject": _("the subject of the refused mail"),
        "size": _("the size of the refused mail"),
        "limit": _("the largest mail accepted"),
        "contact_url": _("the address of the contact form"),
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    OutboundKind.RECEIPT: ("tracking_url",),
    OutboundKind.ACKNOWLEDGEMENT: ("tracking_url",),
    OutboundKind.REPLY: ("answer",),
    OutboundKind.REMINDER: ("tracking_url",),
    OutboundKind.BOUNCE: (),
}


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def placeholders_help(kind: str) -> str:
    """The placeholders of a kind of mail, for the admin's help text."""
    return ", ".join(f"{{{{ {name} }}}}: {label}" for name, label in PLACEHOLDERS.get(kind, {}).items())


def mail_template_validate(*, kind: str, subject: str, body_text: str, body_html: str) -> dict[str, list[str]]:
    """Errors per field (empty when the template is usable): unknown placeholders, stray braces, a missing link."""
    allowed = PLACEHOLDERS.get(kind)
    if allowed is None:
        return {"kind": [str(_("Choose which mail this template is for."))]}
    errors: dict[str, list[str]] = {}
    for field, text in (("subject", subject), ("body_text", body_text), ("body_html", body_html)):
        unknown = sorted({name for name in PLACEHOLDER_RE.findall(text or "") if name not in allowed})
        if unknown:
            errors.setdefault(field, []).append(str(_(
                "Unknown placeholder: %(names)s. This mail can use: %(allowed)s.") % {
                "names": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                "allowed": ", ".join(f"{{{{ {name} }}}}" for name in allowed)}))
        rest = PLACEHOLDER_RE.sub("", text or "")
        if "{{" in rest or "}}" in rest:
            errors.setdefault(field, []).append(str(_(
                "Write placeholders as {{ name }}, with two braces on both sides.")))
    if "\n" in subject or "\r" in subject:
        errors.setdefault("subject", []).append(str(_("The subject must be one line.")))
    present = set(PLACEHOLDER_RE.findall(body_text or ""))
    for name in REQUIRED.get(kind, ()):
        if name not in present:
            errors.setdefault("body_text", []).append(str(_(
                "The text must contain {{ %(name)s }}: %(label)s.") % {"name": name, "label": allowed[name]}))
        if body_html.strip() and name not in set(PLACEHOLDER_RE.findall(body_html)):
            errors.setdefault("body_html", []).append(str(_(
                "The HTML version must contain {{ %(name)s }} too.") % {"name": name}))
    return errors


def mail_template_check(template: MailTemplate) -> None:
    """Raise ValidationError (per field) for an unusable template; sanitise its HTML version."""
    errors = mail_template_validate(kind=template.kind, subject=template.subject, body_text=template.body_text,
                                    body_html=template.body_html)
    if errors:
        raise ValidationError(errors)
    template.body_html = html_sanitise(template.body_html) if template.body_html.strip() else ""


def _fill(text: str, values: dict[str, str], *, html: bool) -> str:
    def value(found: re.Match[str]) -> str:
        filled = values.get(found.group(1), "")
        return escape(filled).replace("\n", "<br>\n") if html else filled

    return PLACEHOLDER_RE.sub(value, text)


def mail_template_fill(template: MailTemplate, values: dict[str, str]) -> RenderedMail:
    subject = " ".join(_fill(template.subject, values, html=False).split())
    html = html_sanitise(_fill(template.body_html, values, html=True)) if template.body_html.strip() else ""
    return RenderedMail(subject=subject, text=_fill(template.body_text, values, html=False), html=html)


def mail_template_render(*, organization_id: int, kind: str, language: str,
                         values: dict[str, str]) -> RenderedMail | None:
    """The organisation's active template of this kind in this language, filled in; None: use the built-in text."""
    # At most one (unique per organisation, kind and language): no ordering to build, unlike `first()`.
    # Kept per process until the configuration changes (`config_generation`).
    template = _templates.get((organization_id, kind, language), lambda: next(iter(
        MailTemplate.objects.filter(organization_id=organization_id, kind=kind, language=language,
                                    is_active=True)[:1]), None))
    return mail_template_fill(template, values) if template is not None else None


_templates: ConfigCache[MailTemplate | None] = ConfigCache()


SAMPLE_VALUES = {
    "reference": "2026-000123", "organization": "Merilahti", "title": "Kuoppa Rantakadulla",
    "customer_name": "Maija Meikäläinen", "tracking_url": "https://palaute.example/seuraa/…",
    "description": "Rantakadulla on iso kuoppa pyörätien kohdalla.",
    "answer": "Kiitos palautteesta. Korjaamme kuopan tällä viikolla.", "subject": "Valokuvia puistosta",
    "size": "48 MB", "limit": "25 MB", "contact_url": "https://palaute.example/", "closes_on": "30.11.2026",
}
