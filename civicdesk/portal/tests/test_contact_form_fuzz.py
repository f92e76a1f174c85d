"""The contact form, its map's endpoints and the tracking page under generated bad input (hypothesis).

Whatever arrives — malformed or outside coordinates, huge texts, control characters, HTML and
scripts, tampered topic, question and choice values, files that are not what they claim, broken
multipart bodies — the answer is a 2xx/3xx or a translated 4xx, never a 500, and a valid contact
is never lost: a redirect to the receipt means the case exists with exactly the text sent.

HYPOTHESIS_PROFILE=thorough runs ten times the examples (CI's slow pass may use it).
"""

from __future__ import annotations

import io
import os

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from civicdesk.cases.models import Attachment, Case
from civicdesk.intake.models import QuestionKind, TopicQuestion
from tests.factories import add_topic

pytestmark = pytest.mark.django_db

settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

OK_STATUSES = {200, 302, 400, 404, 409, 413}

texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300),
    st.sampled_from([
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "';DROP TABLE cases_case;--",
        "\x00\x01\x02", "\u202eevil", "𝕳𝖊𝖑𝖑𝖔 👋", "a" * 5001, "x\n" * 3000, "   ", "%s%s%n", "{{ 7*7 }}",
    ]),
)
coordinates = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "nan", "inf", "-inf", "1e999", "60,17", "60.17.1", "0x3c", " 60.17 ", "91", "-181",
                     "61.5", "23.7", "60.170000", "24.940000", "١٢٣"]),
    st.text(max_size=20),
)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(out, format="JPEG")
    return out.getvalue()


files = st.one_of(
    st.binary(max_size=300).map(lambda b: ("x.jpg", b)),
    st.sampled_from([
        ("kuva.jpg", _jpeg()),
        ("a.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
        ("a.html", b"<html><script>alert(1)</script>"),
        ("", b"GIF89a"),
        ("../../etc/passwd", b"root:x:0:0"),
    ]),
)


@pytest.fixture
def form(city):
    topic = add_topic(city)
    yes_no = TopicQuestion.objects.create(topic=topic, label="Vaarallinen?", kind=QuestionKind.YES_NO, required=True)
    choice = TopicQuestion.objects.create(topic=topic, label="Missä?", kind=QuestionKind.CHOICE,
                                          choices="Ajoradalla\nPyörätiellä")
    number = TopicQuestion.objects.create(topic=topic, label="Syvyys", kind=QuestionKind.NUMBER)
    date = TopicQuestion.objects.create(topic=topic, label="Milloin?", kind=QuestionKind.DATE)
    valid = {"kind": "fault_report", f"q{yes_no.pk}": "yes", f"q{choice.pk}": "2", f"q{number.pk}": "3",
             f"q{date.pk}": "2026-11-01", "description": "Kuoppa pyörätiellä.", "address": "Mannerheimintie 5",
             "lat": "60.17", "lon": "24.94", "name": "", "email": "", "phone": "", "consent": "on"}
    return {"city": city, "url": reverse("portal:contact_topic", args=[city.org.slug, "pothole"]), "valid": valid,
            "questions": [yes_no.pk, choice.pk, number.pk, date.pk]}


def _post(url: str, data: dict, *, language: str = "en"):
    cache.clear()  # rate limits
    with translation.override(language):
        return Client().post(url, data)


def _check(response, before: int, data: dict) -> None:
    assert response.status_code in OK_STATUSES, response.status_code
    if response.status_code == 302:
        case = Case.objects.latest("id")
        assert Case.objects.count() == before + 1
        assert case.description == data["description"].strip() or case.description == data["description"]
    else:
        assert Case.objects.count() == before
        if response.status_code == 400:
            assert 'role="alert"' in response.content.decode()


@given(overrides=st.dictionaries(
    st.sampled_from(["kind", "description", "address", "lat", "lon", "name", "email", "phone", "consent",
                     "answer_requested", "q_yes_no", "q_choice", "q_number", "q_date", "q_unknown", "topic",
                     "category", "case_type", "csrfmiddlewaretoken"]),
    st.one_of(texts, coordinates), max_size=6))
def test_generated_form_input_never_breaks_the_form_or_loses_a_valid_contact(form, overrides):
    data = dict(form["valid"])
    names = dict(zip(("q_yes_no", "q_choice", "q_number", "q_date"), form["questions"], strict=True))
    for key, value in overrides.items():
        if key in names:
            data[f"q{names[key]}"] = value
        elif key == "q_unknown":
            data["q99999999"] = value  # a question of no topic: ignored
        else:
            data[key] = value
    before = Case.objects.count()
    _check(_post(form["url"], data), before, data)


@given(lat=coordinates, lon=coordinates)
def test_generated_coordinates_are_a_point_inside_the_city_or_a_translated_400(form, lat, lon):
    data = {**form["valid"], "lat": lat, "lon": lon}
    before = Case.objects.count()
    response = _post(form["url"], data)
    _check(response, before, data)
    if response.status_code == 302:
        case = Case.objects.latest("id")
        assert case.lat is None or (case.area is not None)  # never a point outside every area


@given(upload=st.lists(files, min_size=1, max_size=3))
def test_generated_files_are_stored_cleaned_or_refuse_the_contact(form, upload):
    data = dict(form["valid"])
    data["files"] = [SimpleUploadedFile(name or "file", content) for name, content in upload]
    before, stored = Case.objects.count(), Attachment.objects.count()
    response = _post(form["url"], data)
    _check(response, before, form["valid"])
    if response.status_code != 302:
        assert Attachment.objects.count() == stored
    else:
        for attachment in Attachment.objects.filter(case=Case.objects.latest("id")):
            assert attachment.content_type != "image/svg+xml"
            assert "/" not in attachment.original_name


@given(body=st.binary(max_size=2000), boundary=st.sampled_from(["x", "----b", "", "a" * 80]))
def test_broken_multipart_bodies_are_refused_not_crashed(form, body, boundary):
    cache.clear()
    before = Case.objects.count()
    with translation.override("en"):
        response = Client().generic("POST", form["url"], body,
                                    content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in OK_STATUSES
    assert Case.objects.count() == before


@given(topic=st.one_of(st.just("pothole"), texts), lat=coordinates, lon=coordinates)
def test_nearby_lookup_answers_json_or_a_translated_error(form, topic, lat, lon):
    city = form["city"]
    with translation.override("en"):
        response = Client().get(reverse("portal:contact_nearby", args=[city.org.slug]),
                                {"topic": topic, "lat": lat, "lon": lon}, HTTP_ACCEPT="application/json")
    assert response.status_code in {200, 400, 404}
    body = response.json()
    assert ("contacts" in body) if response.status_code == 200 else ("error" in body)


@given(query=texts)
def test_address_search_takes_any_text(form, query):
    city = form["city"]
    response = Client().get(reverse("portal:contact_addresses", args=[city.org.slug]), {"q": query},
                            HTTP_ACCEPT="application/json")
    if "\x00" in query:  # refused before the view: no one types it, and PostgreSQL cannot compare it
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "null_character"
        return
    assert response.status_code == 200
    assert "addresses" in response.json()


@given(message=texts, upload=st.lists(files, max_size=2))
def test_tracking_page_messages_with_generated_input(form, message, upload):
    city = form["city"]
    case = city.case()
    entries = case.timeline.count()
    cache.clear()
    data: dict = {"message": message, "files": [SimpleUploadedFile(n or "f", c) for n, c in upload]}
    with translation.override("en"):
        response = Client().post(reverse("portal:track", args=[case.tracking_token]), data)
    assert response.status_code in OK_STATUSES
    if response.status_code != 302:
        assert case.timeline.count() == entries
