"""The residents' path: the contact form, the receipt, the tracking page and replies (R1.1, R1.5)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from civicdesk.cases import services
from civicdesk.cases.models import Case, Channel, EntryKind, Status, TimelineEntry
from civicdesk.intake.services import case_intake, title_from_text
from tests.factories import add_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def topic(city):
    return add_topic(city, "bench", name="Puiston penkki", category=city.category_parks,
                     kinds=["complaint", "thanks"], location="optional")


def _url(city, slug="bench"):
    return reverse("portal:contact_topic", args=[city.org.slug, slug])


def _form(city, **overrides):
    data = {
        "kind": "complaint",
        "description": "Puiston penkki on rikki.\nSe on ollut rikki jo viikon.",
        "address": "Esplanadi 1",
        "name": "Maija Meikäläinen",
        "email": "maija@example.fi",
        "phone": "",
        "answer_requested": "on",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_only_organisation_topics_are_shown_at_contact(client, city, topic):
    with translation.override("en"):
        response = client.get(reverse("portal:contact"))
    assert response.status_code == 200
    body = response.content.decode()
    assert _url(city) in body
    assert "Puiston penkki" in body


def test_several_organisations_get_a_choice(client, city, other_city):
    response = client.get(reverse("portal:contact"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("portal:contact", args=[city.org.slug]) in body
    assert reverse("portal:contact", args=[other_city.org.slug]) in body


def test_submitting_creates_a_case_sends_a_receipt_and_tracks_it(client, city, topic,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(city), _form(city))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.case_type == city.types["feedback"]
    assert case.feedback_subtype == "complaint"
    assert case.form_answers["topic"]["slug"] == "bench"
    assert case.channel == Channel.WEB_FORM
    assert case.title == "Puiston penkki on rikki."
    assert case.owner_group == city.parks
    assert case.answer_requested
    assert case.consent_text
    assert case.consent_at
    assert response["Location"].endswith(reverse("portal:received", args=[case.tracking_token]))
    receipt = client.get(response["Location"])
    assert case.reference in receipt.content.decode()
    found = re.search(r'href="([^"]+)" data-tracking-link', receipt.content.decode())
    assert found
    link = found.group(1)
    assert receipt["Cache-Control"] == "private, no-store"
    assert len(mail.outbox) == 1
    assert case.reference in mail.outbox[0].subject
    assert link in mail.outbox[0].body
    assert mail.outbox[0].to == ["maija@example.fi"]
    tracking = client.get(link)
    assert tracking.status_code == 200
    assert "Puiston penkki on rikki." in tracking.content.decode()
    assert tracking["Referrer-Policy"] == "same-origin"  # tests/browser/test_case_loop.py sends the reply form


def test_tracking_page_shows_replies_but_nothing_internal(client, city):
    case = city.case()
    advisor = city.users["advisor"]
    services.case_add_note(case=case, actor=advisor, body="SECRET internal note")
    services.case_reply(case=case, actor=advisor, body="Korjaamme kuopan ensi viikolla.", close=True)
    response = client.get(reverse("portal:track", args=[case.tracking_token]))
    body = response.content.decode()
    assert "Korjaamme kuopan ensi viikolla." in body
    assert "SECRET" not in body
    assert str(advisor) not in body
    assert advisor.username not in body


def test_customer_reply_reopens_a_closed_case(client, city):
    case = city.case()
    services.case_reply(case=case, actor=city.users["advisor"], body="Valmis.", close=True)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    response = client.post(reverse("portal:track", args=[case.tracking_token]),
                           {"message": "Kuoppa on yhä siellä."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status != Status.CLOSED
    entry = TimelineEntry.objects.filter(case=case, kind=EntryKind.INBOUND_MESSAGE).get()
    assert entry.body == "Kuoppa on yhä siellä."
    assert entry.actor is None


def test_unknown_or_malformed_tokens_are_404(client, city):
    city.case()
    for token in ("x" * 43, "short", "../../etc", "a" * 70):
        assert client.get(f"/track/{token}/").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"consent": ""}, "consent"),
        ({"kind": "question"}, "kind"),  # not offered by the topic
        ({"kind": "abc"}, "kind"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "", "phone": ""}, "email"),  # answer wanted without contact details
        ({"phone": "12"}, "phone"),
    ],
)
def test_bad_input_is_a_translated_400_and_keeps_what_was_typed(client, city, topic, overrides, field):
    with translation.override("en"):
        response = client.post(_url(city), _form(city, **overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert f'href="#id_{field}"' in body or field == "phone"
    assert Case.objects.count() == 0


def test_topic_of_another_organisation_is_not_found(client, city, other_city):
    add_topic(other_city, "bench", name="Penkki", category=other_city.category_parks, kinds=["complaint"])
    response = client.post(_url(city), _form(city))
    assert response.status_code == 404
    assert Case.objects.count() == 0


def test_script_in_text_is_stored_as_text_and_escaped(client, city, topic):
    client.post(_url(city), _form(city, description="<script>alert(1)</script> penkki"))
    case = Case.objects.get()
    assert case.description == "<script>alert(1)</script> penkki"
    body = client.get(reverse("portal:track", args=[case.tracking_token])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_empty_and_oversized_replies_are_refused(client, city):
    case = city.case()
    entries = TimelineEntry.objects.filter(case=case).count()
    for message in ("", " ", "x" * 5001):
        response = client.post(reverse("portal:track", args=[case.tracking_token]), {"message": message})
        assert response.status_code == 400
    assert TimelineEntry.objects.filter(case=case).count() == entries


@override_settings(PORTAL_CONTACT_RATE_LIMIT="2/h")
def test_contact_form_is_rate_limited(client, city, topic):
    url = _url(city)
    assert client.post(url, _form(city)).status_code == 302
    assert client.post(url, _form(city)).status_code == 302
    response = client.post(url, _form(city))
    assert response.status_code == 429
    assert Case.objects.count() == 2


@override_settings(PORTAL_MESSAGE_RATE_LIMIT="1/h")
def test_tracking_messages_are_rate_limited(client, city):
    case = city.case()
    url = reverse("portal:track", args=[case.tracking_token])
    assert client.post(url, {"message": "yksi"}).status_code == 302
    assert client.post(url, {"message": "kaksi"}).status_code == 429


def test_merged_case_tracking_leads_to_the_surviving_case(client, city):
    first = city.case()
    second = city.case(title="Sama kuoppa")
    services.case_merge(source=second, target=first, actor=city.users["advisor"])
    response = client.get(reverse("portal:track", args=[second.tracking_token]))
    assert response.status_code == 200
    assert first.reference in response.content.decode()


def test_title_from_text():
    assert title_from_text("\n  Lyhyt otsikko\nToinen rivi") == "Lyhyt otsikko"
    long = "sana " * 40
    title = title_from_text(long)
    assert len(title) <= 81
    assert title.endswith("…")


def test_case_intake_without_email_sends_nothing(city, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_intake(organization=city.org, channel=Channel.WEB_FORM, case_type=city.types["question"],
                           description="Milloin uimahalli aukeaa?", tracking_url_template="https://x/{token}/")
    assert case.title == "Milloin uimahalli aukeaa?"
    assert case.owner_group == city.intake
    assert mail.outbox == []


@override_settings(SITE_URL="https://palaute.example.fi")
def test_reply_mail_carries_the_tracking_link_so_the_customer_can_answer(client, city,
                                                                         django_capture_on_commit_callbacks):
    case = city.case(language="sv")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_reply(case=case, actor=city.users["advisor"], body="Vi lagar gropen nästa vecka.")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert body.startswith("Vi lagar gropen nästa vecka.")
    link = f"https://palaute.example.fi/sv/track/{case.tracking_token}/"
    assert link in body
    assert client.get(link.removeprefix("https://palaute.example.fi")).status_code == 200
