"""Mail templates per organisation and language: checked when saved, filled safely, used when sending."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from civicdesk.cases import services as case_services
from civicdesk.intake.models import InboundEmail, Mailbox, MailTemplate, OutboundKind
from civicdesk.intake.sources.email.mail_templates import (
    mail_template_check,
    mail_template_fill,
    mail_template_validate,
)
from civicdesk.intake.sources.email.services import inbound_email_receive
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

pytestmark = pytest.mark.django_db

ACK_TEXT = "Hei {{ customer_name }}!\nAsianne {{ reference }} ({{ title }}) on kirjattu.\nSeuraa: {{ tracking_url }}\n"


def _receive(raw: bytes) -> InboundEmail:
    with TestCase.captureOnCommitCallbacks(execute=True):
        rows = inbound_email_receive(raw=raw, source="smtp", recipients=["palaute@testcity.example"])
    rows[0].refresh_from_db()
    return rows[0]


@translation.override("en")
def test_unknown_placeholders_stray_braces_and_a_missing_link_are_refused_with_the_reason():
    errors = mail_template_validate(kind=OutboundKind.ACKNOWLEDGEMENT, subject="Asia {{ referense }}",
                                    body_text="Kiitos {{ customer_name }. Ei linkkiä.", body_html="")
    assert "{{ referense }}" in errors["subject"][0]
    assert "{{ reference }}" in errors["subject"][0]  # the allowed ones are listed
    assert any("two braces" in e for e in errors["body_text"])
    assert any("{{ tracking_url }}" in e for e in errors["body_text"])
    # A reply's template must carry the answer, in the HTML version too when there is one.
    errors = mail_template_validate(kind=OutboundKind.REPLY, subject="Vastaus", body_text="{{ answer }}",
                                    body_html="<p>Hei</p>")
    assert list(errors) == ["body_html"]
    # A refusal has no case: the case's placeholders are unknown there.
    assert "body_text" in mail_template_validate(kind=OutboundKind.BOUNCE, subject="Liian suuri",
                                                 body_text="{{ reference }}", body_html="")
    assert mail_template_validate(kind=OutboundKind.ACKNOWLEDGEMENT, subject="Asia {{ reference }}",
                                  body_text=ACK_TEXT, body_html="") == {}


def test_a_subject_of_two_lines_is_refused(city: City):
    template = MailTemplate(organization=city.org, kind=OutboundKind.REPLY, language="fi",
                            subject="Vastaus\nBcc: kaikki@example.org", body_text="{{ answer }}")
    with pytest.raises(ValidationError) as refused:
        mail_template_check(template)
    assert "subject" in refused.value.message_dict


def test_values_are_escaped_in_html_and_the_admins_html_is_sanitised(city: City):
    template = MailTemplate(organization=city.org, kind=OutboundKind.REPLY, language="fi", subject="Re: {{ title }}",
                            body_text="{{ answer }}",
                            body_html='<p onclick="x()">{{ answer }}</p><script>alert(1)</script>'
                                      '<img src="https://tracker.example/p.gif">')
    mail_template_check(template)
    assert "<script" not in template.body_html
    assert "onclick" not in template.body_html
    rendered = mail_template_fill(template, {"answer": "<b>Kiitos</b>\nToinen rivi", "title": "A\r\nBcc: x@y"})
    assert "&lt;b&gt;Kiitos&lt;/b&gt;<br>" in rendered.html
    assert "<b>Kiitos</b>" in rendered.text  # the text version is plain text: nothing to escape
    assert rendered.subject == "Re: A Bcc: x@y"  # a value never adds a header line


def test_the_acknowledgement_uses_the_organisations_template_in_the_mailbox_language(city: City, mailbox: Mailbox):
    MailTemplate.objects.create(organization=city.org, kind=OutboundKind.ACKNOWLEDGEMENT, language="fi",
                                subject="Kirjasimme asiasi", body_text=ACK_TEXT,
                                body_html="<p>Asia {{ reference }}: <a href=\"{{ tracking_url }}\">seuraa</a></p>")
    row = _receive(make_mail(subject="Katuvalo ei pala"))
    case = row.case
    assert case is not None
    ack = mail.outbox[-1]
    assert ack.subject == f"[{case.reference}] Kirjasimme asiasi"
    assert f"Hei Maija Meikäläinen!\nAsianne {case.reference} (Katuvalo ei pala) on kirjattu." in ack.body
    assert case.tracking_token in ack.body
    html, content_type = ack.alternatives[0]  # type: ignore[attr-defined]
    assert content_type == "text/html"
    assert case.tracking_token in html


def test_without_a_template_in_the_cases_language_the_built_in_text_is_sent(city: City, mailbox: Mailbox):
    MailTemplate.objects.create(organization=city.org, kind=OutboundKind.ACKNOWLEDGEMENT, language="sv",
                                subject="Vi har tagit emot", body_text="{{ tracking_url }}")
    MailTemplate.objects.create(organization=city.org, kind=OutboundKind.ACKNOWLEDGEMENT, language="fi",
                                subject="Pois käytöstä", body_text="{{ tracking_url }}", is_active=False)
    row = _receive(make_mail())
    ack = mail.outbox[-1]
    assert "Vi har" not in ack.subject
    assert "Pois" not in ack.subject
    assert row.case is not None
    assert row.case.reference in ack.subject
    assert ack.alternatives == []  # type: ignore[attr-defined]


def test_a_reply_goes_out_in_the_organisations_words(city: City, mailbox: Mailbox):
    MailTemplate.objects.create(organization=city.org, kind=OutboundKind.REPLY, language="fi",
                                subject="Vastaus: {{ title }}",
                                body_text="{{ answer }}\n\nYstävällisin terveisin\n{{ organization }}")
    case = _receive(make_mail(subject="Kuoppa")).case
    assert case is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_services.case_reply(case=case, actor=city.fresh("expert"), body="Korjaamme kuopan.")
    reply = mail.outbox[-1]
    assert reply.subject == f"[{case.reference}] Vastaus: Kuoppa"
    assert reply.body == "Korjaamme kuopan.\n\nYstävällisin terveisin\nTestikaupunki"


def _staff(city: City, name: str):
    user = city.users[name]
    user.is_staff = True
    user.save()
    return user


def test_content_admins_edit_their_own_organisations_templates_and_see_why_one_is_refused(
        client, city: City, other_city: City):
    MailTemplate.objects.create(organization=other_city.org, kind=OutboundKind.REPLY, language="fi",
                                subject="Toisen kaupungin", body_text="{{ answer }}")
    client.force_login(_staff(city, "contentadmin"))
    listing = client.get(reverse("admin:intake_mailtemplate_changelist"))
    assert listing.status_code == 200
    assert b"Toisen kaupungin" not in listing.content
    form = {"organization": city.org.pk, "kind": OutboundKind.RECEIPT, "language": "fi", "is_active": "on",
            "subject": "Kiitos", "body_text": "Kiitos {{ nimi }}.", "body_html": ""}
    refused = client.post(reverse("admin:intake_mailtemplate_add"), form)
    assert refused.status_code == 200
    assert "{{ nimi }}" in refused.content.decode()
    assert not MailTemplate.objects.filter(organization=city.org).exists()
    form["body_text"] = "Kiitos! Asianne {{ reference }}: {{ tracking_url }}"
    form["body_html"] = "<p>{{ tracking_url }}</p><script>x</script>"
    saved = client.post(reverse("admin:intake_mailtemplate_add"), form)
    assert saved.status_code == 302
    template = MailTemplate.objects.get(organization=city.org)
    assert "<script" not in template.body_html
    page = client.get(reverse("admin:intake_mailtemplate_change", args=[template.pk]))
    assert "2026-000123" in page.content.decode()  # the preview with example values
