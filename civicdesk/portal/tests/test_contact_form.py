"""The contact form built from topics: search, questions, location, photos, redirects and the map's data
(R1.1–R1.5, R9.3, R10.8)."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from PIL import Image

from civicdesk.cases import services
from civicdesk.cases.models import Attachment, Case, EntryKind, Status
from civicdesk.intake.models import AddressPoint, ContactFormSettings, LocationNeed, QuestionKind, TopicQuestion
from tests.factories import add_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def topic(city):
    topic = add_topic(city)
    TopicQuestion.objects.create(topic=topic, position=1, label="Onko kuoppa ajoradalla?",
                                 label_en="Is it on the road?", kind=QuestionKind.YES_NO, required=True)
    TopicQuestion.objects.create(topic=topic, position=2, label="Kuinka syvä (cm)?", label_en="How deep (cm)?",
                                 kind=QuestionKind.NUMBER)
    TopicQuestion.objects.create(topic=topic, position=3, label="Kulkuväline", label_en="How do you travel?",
                                 kind=QuestionKind.CHOICE, choices="Kävellen\nPyörällä\nAutolla",
                                 choices_en="On foot\nBy bike\nBy car")
    TopicQuestion.objects.create(topic=topic, position=4, label="Milloin huomasit?", label_en="When did you notice?",
                                 kind=QuestionKind.DATE)
    return topic


def _questions(topic):
    return {q.kind: f"q{q.pk}" for q in topic.questions.all()}


def _url(city, slug="pothole"):
    return reverse("portal:contact_topic", args=[city.org.slug, slug])


def _data(topic, **overrides):
    q = _questions(topic)
    data = {
        "kind": "fault_report",
        q[QuestionKind.YES_NO]: "yes",
        q[QuestionKind.NUMBER]: "12,5",
        q[QuestionKind.CHOICE]: "2",
        q[QuestionKind.DATE]: "2026-11-20",
        "description": "Syvä kuoppa pyörätiellä.",
        "address": "Mannerheimintie 5",
        "lat": "60.170000",
        "lon": "24.940000",
        "name": "", "email": "", "phone": "",
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (60.0, 10.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


# --- topics -------------------------------------------------------------------------------


def test_topic_list_is_searchable_without_javascript(client, city, topic):
    add_topic(city, "lights", name="Katuvalo ei pala", category=city.category_streets, kinds=["fault_report"])
    add_topic(city, "trees", name="Puut ja pensaat", keywords="oksat", category=city.category_parks,
              kinds=["wish"])
    with translation.override("en"):
        url = reverse("portal:contact", args=[city.org.slug])
        everything = client.get(url).content.decode()
        found = client.get(url, {"q": "OKSAT"}).content.decode()
        folded = client.get(url, {"q": "katuvalo"}).content.decode()
        none = client.get(url, {"q": "zzz"}).content.decode()
    assert everything.count(" hidden>") == 0
    assert "3 topics" in everything
    assert "1 topic" in found
    assert found.count(" hidden>") == 2  # every topic is in the page; the others hidden for the JS filter
    assert "1 topic" in folded
    assert "No topic matches your search." in none


def test_topic_query_parameter_leads_to_its_form(client, city, topic):
    response = client.get(reverse("portal:contact", args=[city.org.slug]), {"topic": "pothole"})
    assert response.status_code == 302
    assert response["Location"].endswith(_url(city))
    assert client.get(reverse("portal:contact", args=[city.org.slug]), {"topic": "nope"}).status_code == 404


def test_form_shows_the_topics_questions_in_the_residents_language(client, city, topic):
    with translation.override("en"):
        body = client.get(_url(city)).content.decode()
    assert "How deep (cm)?" in body
    assert "By bike" in body
    assert "<legend>Is it on the road?" in body  # radio groups are fieldsets with a legend
    assert 'type="date"' in body
    assert 'enctype="multipart/form-data"' in body
    assert "data-contact-map" in body


def test_redirect_topic_sends_the_resident_elsewhere(client, city):
    add_topic(city, "bus", name="Bussit", redirect_url="https://joukkoliikenne.example/palaute",
              redirect_text="Joukkoliikenteen palaute käsitellään seudun palvelussa.", category=None, kinds=[])
    response = client.get(_url(city, "bus"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "https://joukkoliikenne.example/palaute" in body
    assert "seudun palvelussa" in body
    assert 'name="description"' not in body
    assert client.post(_url(city, "bus"), {"description": "x", "consent": "on"}).status_code == 200
    assert Case.objects.count() == 0


def test_inactive_topic_is_not_found(client, city):
    add_topic(city, "old", is_active=False)
    assert client.get(_url(city, "old")).status_code == 404


# --- a contact with answers, a place and a photo ------------------------------------------------


def test_located_fault_report_with_answers_and_a_photo(client, city, topic):
    photo = SimpleUploadedFile("kuoppa.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    with translation.override("en"):
        response = client.post(_url(city), _data(topic, files=photo))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.case_type == city.types["fault_report"]
    assert case.feedback_subtype == ""
    assert case.owner_group == city.streets
    assert (case.lat, case.lon) == (60.17, 24.94)
    assert case.area == city.area_west
    record = case.form_answers
    assert record["topic"] == {"id": topic.pk, "slug": "pothole", "name": "A pothole or a loose kerb"}
    answers = {a["label"]: a for a in record["answers"]}
    assert answers["Is it on the road?"]["value"] is True
    assert answers["Is it on the road?"]["display"] == "Yes"
    assert answers["How deep (cm)?"]["value"] == "12.5"
    assert answers["How do you travel?"]["value"] == "By bike"  # as the resident read it
    assert answers["When did you notice?"]["value"] == "2026-11-20"
    attachment = Attachment.objects.get(case=case)
    assert attachment.entry is not None
    assert attachment.entry.kind == EntryKind.CREATED
    assert attachment.uploaded_by is None
    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        assert not image.getexif()
    # The tracking page shows the topic, the answers and the file; the staff page the answers.
    with translation.override("en"):
        tracking = client.get(reverse("portal:track", args=[case.tracking_token])).content.decode()
    assert "A pothole or a loose kerb" in tracking
    assert "How deep (cm)?" in tracking
    assert "kuoppa.jpg" in tracking
    client.force_login(city.users["expert"])
    with translation.override("en"):
        staff = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Answers on the contact form" in staff
    assert "By bike" in staff


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"q_yes_no": None}, "yes_no"),  # a required question left unanswered
        ({"q_choice": "4"}, "choice"),  # not one of the options
        ({"q_choice": "By bike"}, "choice"),
        ({"q_number": "lots"}, "number"),
        ({"q_date": "31.13.2026"}, "date"),
        ({"lat": "abc"}, "address"),
        ({"lat": "nan", "lon": "nan"}, "address"),
        ({"lat": "60.17", "lon": ""}, "address"),
        ({"lat": "95", "lon": "24.9"}, "address"),
        ({"lat": "", "lon": "", "address": ""}, "address"),  # the topic requires a place
        ({"lat": "61.5", "lon": "23.7"}, "address"),  # outside every area of the city
    ],
)
def test_bad_answers_and_places_are_translated_400s(client, city, topic, overrides, field):
    q = _questions(topic)
    renamed = {f"q_{kind}": name for kind, name in q.items()}
    data = _data(topic, **{renamed.get(k, k): v for k, v in overrides.items()})
    if overrides.get("q_yes_no", "") is None:
        data.pop(q[QuestionKind.YES_NO], None)
    with translation.override("en"):
        response = client.post(_url(city), data)
    assert response.status_code == 400
    body = response.content.decode()
    target = q.get(field, field)
    assert f'href="#id_{target}"' in body
    assert "Syvä kuoppa pyörätiellä." in body  # what was typed is kept
    assert Case.objects.count() == 0


def test_address_alone_is_a_place_and_the_address_list_gives_its_point(client, city, topic):
    AddressPoint.objects.create(organization=city.org, street="Mannerheimintie", number="5", postal_code="00100",
                                municipality="Helsinki", lat=60.1701, lon=24.9402)
    response = client.post(_url(city), _data(topic, lat="", lon="", address="mannerheimintie 5, Helsinki"))
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get()
    assert (case.lat, case.lon) == (60.1701, 24.9402)
    response = client.post(_url(city), _data(topic, lat="", lon="", address="Kauppatori"))
    assert response.status_code == 302
    unknown = Case.objects.latest("id")
    assert unknown.lat is None
    assert unknown.address == "Kauppatori"


def test_optional_location_and_no_location_topics(client, city):
    add_topic(city, "question", name="Kysymys", kinds=["question"], location=LocationNeed.NONE,
              asks_for_photos=False)
    body = client.get(_url(city, "question")).content.decode()
    assert 'name="address"' not in body
    assert 'name="files"' not in body
    assert 'type="hidden" name="kind" value="question"' in body  # one type: nothing to choose
    response = client.post(_url(city, "question"), {"kind": "question", "description": "Milloin?", "consent": "on",
                                                     "lat": "60.17", "lon": "24.94"})
    assert response.status_code == 302
    assert Case.objects.get().lat is None


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("kuva.jpg", b"not an image at all \x00\x01"),
        ("piirros.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("sivu.html", b"<html><body onload=alert(1)>"),
        ("rikki.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ],
)
def test_files_that_are_not_what_they_claim_refuse_the_contact(client, city, topic, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    with translation.override("en"):
        response = client.post(_url(city), _data(topic, files=upload))
    assert response.status_code == 400
    assert 'href="#id_files"' in response.content.decode()
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_too_many_files_are_refused(client, city, topic, settings):
    settings.CONTACT_FILES_MAX = 2
    files = [SimpleUploadedFile(f"{n}.jpg", _jpeg_with_gps(), content_type="image/jpeg") for n in range(3)]
    with translation.override("en"):
        response = client.post(_url(city), _data(topic, files=files))
    assert response.status_code == 400
    assert "Send at most 2 files." in response.content.decode()
    assert Case.objects.count() == 0


def test_general_form_goes_to_customer_service(client, city):
    url = reverse("portal:contact_other", args=[city.org.slug])
    body = client.get(url).content.decode()
    assert 'value="thanks"' in body
    assert 'value="service_request"' in body
    response = client.post(url, {"kind": "idea", "description": "Kaupunkiin lisää penkkejä.", "consent": "on"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.owner_group == city.intake
    assert case.feedback_subtype == "idea"
    assert case.form_answers == {}


def test_consent_text_is_the_organisations_and_recorded_as_read(client, city, topic):
    ContactFormSettings.objects.create(organization=city.org, consent_text="Suostun (fi).",
                                       consent_text_en="I consent (en).",
                                       privacy_notice_url="https://kaupunki.example/tietosuoja")
    with translation.override("en"):
        body = client.get(_url(city)).content.decode()
        client.post(_url(city), _data(topic))
    assert "I consent (en)." in body
    assert "https://kaupunki.example/tietosuoja" in body
    case = Case.objects.get()
    assert case.consent_text == "I consent (en)."
    assert case.consent_at is not None


# --- the map's data -----------------------------------------------------------------------


def _nearby(client, city, **params):
    values = {"topic": "pothole", "lat": "60.17", "lon": "24.94"}
    values.update(params)
    return client.get(reverse("portal:contact_nearby", args=[city.org.slug]), values,
                      HTTP_ACCEPT="application/json")


def test_nearby_shows_published_and_open_contacts_but_nothing_private(client, city, topic):
    advisor = city.users["advisor"]
    published = city.case(title="Kuoppa julkaistu", lat=60.1702, lon=24.9403)
    services.case_publish(case=published, actor=advisor, public_title="Kuoppa pyörätiellä",
                          public_text="Pyörätiellä on kuoppa.")
    open_case = city.case(title="SALAINEN otsikko", description="SALAINEN teksti", lat=60.17123, lon=24.94123)
    special = city.case(case_type=city.special_type, contains_special_categories=True, lat=60.1701, lon=24.9401,
                        owner_group=city.social, categories=[city.category_streets])
    closed = city.case(lat=60.1701, lon=24.9401)
    services.case_close(case=closed, actor=advisor, reply="Korjattu.")
    city.case(categories=[city.category_parks], lat=60.1701, lon=24.9401)  # another category
    city.case(lat=60.19, lon=24.94)  # 2 km away
    with translation.override("en"):
        response = _nearby(client, city)
    assert response.status_code == 200
    data = response.json()
    assert data["radius_m"] == 400
    contacts = data["contacts"]
    assert len(contacts) == 2, contacts
    shown = {c["published"]: c for c in contacts}
    assert shown[True]["title"] == "Kuoppa pyörätiellä"
    try:
        with translation.override("en"):
            public_page = reverse("portal:public_case", args=[published.reference])
    except NoReverseMatch:  # the public list is another part of the portal
        public_page = ""
    assert shown[True]["url"].startswith(public_page)
    assert shown[False]["status"] == "Received"
    assert set(shown[False]) == {"published", "lat", "lon", "status", "date"}
    assert (shown[False]["lat"], shown[False]["lon"]) == (60.171, 24.942)  # rounded, never exact
    text = response.content.decode()
    for secret in ("SALAINEN", open_case.reference, "maija", "Maija", special.reference):
        assert secret not in text
    assert response["Cache-Control"].startswith("public")


def test_the_nearby_statement_finds_what_the_orm_finds(city, topic):
    """PostgreSQL's written-out statement (intake.selectors._NEARBY_SQL) lists exactly what the ORM's
    query (SQLite's path) lists, in order; on SQLite, the ORM path alone."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from civicdesk.intake import selectors as intake_selectors
    from civicdesk.organizations.geometry import degrees_around

    advisor = city.users["advisor"]
    for n in range(4):
        published = city.case(lat=60.1700 + n / 10_000, lon=24.9400 + n / 10_000)
        services.case_publish(case=published, actor=advisor, public_title=f"Kuoppa {n}", public_text="Kuoppa.")
        city.case(lat=60.1711 + n / 10_000, lon=24.9389 - n / 10_000)  # open, unpublished
    closed = city.case(lat=60.1701, lon=24.9401)
    services.case_close(case=closed, actor=advisor, reply="Korjattu.")
    city.case(case_type=city.special_type, contains_special_categories=True, lat=60.1701, lon=24.9401,
              owner_group=city.social, categories=[city.category_streets])
    city.case(categories=[city.category_parks], lat=60.1701, lon=24.9401)
    city.case(lat=60.19, lon=24.94)
    since = timezone.now() - dt.timedelta(days=intake_selectors.NEARBY_DAYS)
    for lat, lon in ((60.17, 24.94), (60.1725, 24.9445), (60.19, 24.94), (61.5, 25.5)):
        dlat, dlon = degrees_around(lat, intake_selectors.NEARBY_RADIUS_M)
        where = intake_selectors._NearbyWhere(organization=city.org.pk, category=topic.category_id, since=since,
                                              limit=50, west=lon - dlon, south=lat - dlat, east=lon + dlon,
                                              north=lat + dlat)
        expected = intake_selectors._nearby_rows_orm(where)
        if connection.vendor == "postgresql":
            assert intake_selectors._nearby_rows_sql(where) == expected
    found = intake_selectors.contacts_nearby(organization=city.org, topic=topic, lat=60.17, lon=24.94)
    assert len(found) == 8
    assert sum(row.published for row in found) == 4


@pytest.mark.parametrize(
    "params",
    [{"lat": "abc"}, {"lat": "nan"}, {"lat": "1e999"}, {"lat": ""}, {"lat": "91"}, {"lon": "-181"},
     {"topic": "nope"}, {"topic": ""}],
)
def test_nearby_with_bad_input_is_a_4xx_json_error(client, city, topic, params):
    with translation.override("en"):
        response = _nearby(client, city, **params)
    assert response.status_code in (400, 404)
    assert "error" in response.json()


def test_address_search_uses_the_organisations_list(client, city, other_city):
    for number in ("1", "3", "15"):
        AddressPoint.objects.create(organization=city.org, street="Kauppakatu", number=number, lat=60.17, lon=24.95)
    AddressPoint.objects.create(organization=other_city.org, street="Kauppakatu", number="2", lat=61.0, lon=25.0)
    url = reverse("portal:contact_addresses", args=[city.org.slug])
    found = client.get(url, {"q": "KAUPPAKATU 1"}).json()["addresses"]
    assert [a["label"] for a in found] == ["Kauppakatu 1", "Kauppakatu 15"]
    assert client.get(url, {"q": "k"}).json() == {"addresses": []}
    assert len(client.get(url, {"q": "kauppa"}).json()["addresses"]) == 3


# --- tracking: more information and photos when asked ----------------------------------------


def test_waiting_case_takes_more_information_with_a_photo(client, city):
    case = city.case()
    services.case_reply(case=case, actor=city.users["advisor"], body="Lähettäisitkö kuvan?", wait_for_customer=True)
    with translation.override("en"):
        url = reverse("portal:track", args=[case.tracking_token])
        page = client.get(url).content.decode()
    assert "We have asked you for more information" in page
    assert 'name="files"' in page
    photo = SimpleUploadedFile("lisa.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(url, {"message": "Tässä kuva.", "files": photo})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.OPEN
    attachment = Attachment.objects.get(case=case)
    assert attachment.entry is not None
    assert attachment.entry.kind == EntryKind.INBOUND_MESSAGE
    assert attachment.entry.body == "Tässä kuva."


def test_a_bad_photo_on_the_tracking_page_keeps_nothing(client, city):
    case = city.case()
    entries = case.timeline.count()
    url = reverse("portal:track", args=[case.tracking_token])
    bad = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    with translation.override("en"):
        response = client.post(url, {"message": "Kuva.", "files": bad})
    assert response.status_code == 400
    assert case.timeline.count() == entries
    assert Attachment.objects.count() == 0
