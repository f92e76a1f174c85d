"""Topics, their case types and questions, the intake with files and answers, the address list, the admin."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from PIL import Image

from civicdesk.cases.models import Attachment, Case, CaseType, Channel
from civicdesk.core.errors import InvalidInputError, NotFoundError
from civicdesk.intake import selectors
from civicdesk.intake.models import AddressPoint, QuestionKind, Topic, TopicQuestion
from civicdesk.intake.services import addresses_load, case_intake, customer_files_validate, form_answers_build
from civicdesk.privacy.models import AuditEntry
from tests.factories import add_topic

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="PNG")
    return SimpleUploadedFile("kuva.png", out.getvalue(), content_type="image/png")


def test_topic_needs_a_category_and_types_unless_it_redirects(city, other_city):
    topic = Topic(organization=city.org, slug="x", name="X", kinds=[])
    with pytest.raises(ValidationError) as refused:
        topic.clean()
    assert set(refused.value.message_dict) == {"kinds", "category"}
    Topic(organization=city.org, slug="bus", name="Bussit", redirect_url="https://hsl.example/").clean()
    with pytest.raises(ValidationError):
        Topic(organization=city.org, slug="y", name="Y", kinds=["gossip"], category=city.category_parks).clean()
    with pytest.raises(ValidationError):
        Topic(organization=city.org, slug="z", name="Z", kinds=["wish"], category=other_city.category_parks).clean()


def test_choice_question_needs_two_options(city):
    topic = add_topic(city)
    with pytest.raises(ValidationError):
        TopicQuestion(topic=topic, label="Mikä?", kind=QuestionKind.CHOICE, choices="vain yksi").clean()


def test_case_types_follow_the_kinds_offered_and_skip_special_ones(city):
    topic = add_topic(city, kinds=["thanks", "complaint", "question"])
    found = selectors.case_types_for_form(organization=city.org, topic=topic)
    assert list(found) == ["thanks", "complaint", "question"]
    assert found["thanks"] == city.types["feedback"]  # not the special-categories feedback type
    assert found["question"] == city.types["question"]
    topic.case_types.add(city.special_type)
    assert selectors.case_types_for_form(organization=city.org, topic=topic)["complaint"] == city.special_type
    general = selectors.case_types_for_form(organization=city.org, topic=None)
    assert set(general) == {"thanks", "complaint", "wish", "idea", "question", "fault_report", "service_request"}
    CaseType.objects.filter(kind="question").update(is_active=False)
    assert "question" not in selectors.case_types_for_form(organization=city.org, topic=topic)


def test_topic_search_matches_every_word_without_accents(city):
    lights = add_topic(city, "lights", name="Katuvalo ei pala", keywords="lamppu, pimeä")
    trees = add_topic(city, "trees", name="Puut", keywords="oksa")
    topics = [lights, trees]
    assert selectors.topics_matching(topics, "PIMEA lamppu") == [lights]
    assert selectors.topics_matching(topics, "") == topics
    assert selectors.topics_matching(topics, "puut lamppu") == []


def test_form_answers_keep_what_the_resident_read(city):
    topic = add_topic(city)
    yes_no = TopicQuestion.objects.create(topic=topic, label="Vaarallinen?", kind=QuestionKind.YES_NO)
    text = TopicQuestion.objects.create(topic=topic, label="Mikä?", kind=QuestionKind.TEXT)
    with translation.override("en"):
        record = form_answers_build(topic=topic, answers=[(yes_no, False), (text, "")])
    assert record["topic"]["slug"] == "pothole"
    assert record["answers"] == [
        {"question": yes_no.pk, "kind": "yes_no", "label": "Vaarallinen?", "value": False, "display": "No"}]


def test_intake_stores_files_with_the_first_entry_and_audits_them(city):
    case = case_intake(organization=city.org, channel=Channel.WEB_FORM, case_type=city.types["fault_report"],
                       description="Kuoppa.", attachments=[_png(), _png()], form_answers={"topic": {"id": 1}})
    attachments = list(Attachment.objects.filter(case=case))
    assert len(attachments) == 2
    assert {a.entry_id for a in attachments} == {case.timeline.get(kind="created").pk}
    assert case.form_answers == {"topic": {"id": 1}}
    entry = AuditEntry.objects.get(action="case.attachment_add", object_id=case.pk)
    assert entry.changes["by_customer"] is True
    assert len(entry.changes["attachments"]) == 2


def test_one_bad_file_refuses_the_whole_contact(city):
    bad = SimpleUploadedFile("x.svg", b"<svg><script>alert(1)</script></svg>")
    with pytest.raises(InvalidInputError) as refused:
        case_intake(organization=city.org, channel=Channel.WEB_FORM, case_type=city.types["fault_report"],
                    description="Kuoppa.", attachments=[_png(), bad])
    assert refused.value.field == "files"
    assert "x.svg" in str(refused.value.message)
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_file_count_and_total_size_are_limited(settings):
    settings.CONTACT_FILES_MAX = 1
    with pytest.raises(InvalidInputError):
        customer_files_validate([_png(), _png()])
    settings.CONTACT_FILES_MAX = 5
    settings.CONTACT_FILES_MAX_TOTAL_BYTES = 10
    with pytest.raises(InvalidInputError):
        customer_files_validate([_png()])


def test_point_outside_every_area_is_refused_only_when_asked(city):
    values = {"organization": city.org, "channel": Channel.WEB_FORM, "case_type": city.types["fault_report"],
              "description": "Kuoppa.", "lat": 61.5, "lon": 23.7}
    with pytest.raises(InvalidInputError) as refused:
        case_intake(**values, require_inside_areas=True)
    assert refused.value.field == "location"
    assert Case.objects.count() == 0
    assert case_intake(**values).area is None  # other channels decide for themselves


def test_addresses_load_replaces_the_list_and_reports_bad_rows(city, tmp_path):
    AddressPoint.objects.create(organization=city.org, street="Vanha", lat=60, lon=24)
    csv_file = tmp_path / "osoitteet.csv"
    csv_file.write_text(
        "street,number,postal_code,municipality,lat,lon\n"
        "Kauppakatu,5,00100,Merilahti,60.17,24.95\n"
        "Kauppakatu,7,,,60.1702,24.9502\n"
        ",9,,,60.1,24.9\n"
        "Rantatie,1,,,north,24.9\n",
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    call_command("addresses_load", city.org.slug, str(csv_file), stdout=out, stderr=err)
    assert "Loaded 2 addresses" in out.getvalue()
    assert "line 4" in err.getvalue()
    assert "line 5" in err.getvalue()
    assert [a.label for a in AddressPoint.objects.filter(organization=city.org)] == [
        "Kauppakatu 5, 00100 Merilahti", "Kauppakatu 7"]
    found = selectors.address_point_for(organization=city.org, address="KAUPPAKATU 7, Merilahti")
    assert found is not None
    assert found.number == "7"
    assert selectors.address_point_for(organization=city.org, address="Kauppakatu") is None  # ambiguous


def test_addresses_load_in_the_service(city):
    report = addresses_load(organization=city.org, rows=[{"street": "Tie", "lat": "60", "lon": "24"}])
    assert report.loaded == 1
    assert report.refused == []


def test_content_admin_manages_only_own_organisations_topics(client, city, other_city):
    mine = add_topic(city)
    theirs = add_topic(other_city, "theirs", category=other_city.category_streets)
    admin = city.users["contentadmin"]
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    listing = client.get(reverse("admin:intake_topic_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert reverse("admin:intake_topic_change", args=[mine.pk]) in body
    assert reverse("admin:intake_topic_change", args=[theirs.pk]) not in body
    assert client.get(reverse("admin:intake_topic_change", args=[theirs.pk])).status_code in (302, 404)
    add = client.get(reverse("admin:intake_topic_add"))
    assert add.status_code == 200
    choices = add.content.decode().split('name="category"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{city.category_streets.pk}">' in choices
    assert f'<option value="{other_city.category_streets.pk}">' not in choices
    client.force_login(city.users["expert"])
    assert client.get(reverse("admin:intake_topic_changelist")).status_code == 302


def test_form_configuration_is_read_once_per_process_while_fresh(city, settings, django_assert_num_queries):
    settings.PORTAL_FORM_CACHE_SECONDS = 30
    selectors.form_configuration_cache_clear()
    add_topic(city)
    first = selectors.form_configuration(organization=city.org, topic_slug="pothole")
    with django_assert_num_queries(0):
        again = selectors.form_configuration(organization=city.org, topic_slug="pothole")
    assert again is first
    assert list(first.case_types) == ["complaint", "fault_report"]
    with pytest.raises(NotFoundError):
        selectors.form_configuration(organization=city.org, topic_slug="missing")
    selectors.form_configuration_cache_clear()
