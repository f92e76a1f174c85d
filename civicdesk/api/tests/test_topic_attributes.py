"""Open311 attributes from the residents' form topics: the definition, and answers checked as on the form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from civicdesk.api.tests.conftest import BASE, Open311City
from civicdesk.api.tests.test_open311 import form_post, node, post_data, xml
from civicdesk.cases.models import Case
from civicdesk.intake.models import QuestionKind, TopicQuestion
from tests.factories import add_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # Requests to /en/ pages (and `locale=en`) leave English active in this thread; later tests
    # in the worker expect the default language.
    with translation.override("fi"):
        yield


@pytest.fixture
def questions(o311: Open311City) -> dict[str, TopicQuestion]:
    # A plain `label=` fills the active language's field: Finnish, whatever an earlier test left active.
    with translation.override("fi"):
        return _questions(o311)


def _questions(o311: Open311City) -> dict[str, TopicQuestion]:
    topic = add_topic(o311.city)
    made = {
        "yes_no": TopicQuestion.objects.create(
            topic=topic, position=1, label="Onko kuoppa ajoradalla?", label_en="Is it on the road?",
            label_sv="Är det på körbanan?", kind=QuestionKind.YES_NO, required=True),
        "number": TopicQuestion.objects.create(
            topic=topic, position=2, label="Kuinka syvä (cm)?", label_en="How deep (cm)?", kind=QuestionKind.NUMBER),
        "choice": TopicQuestion.objects.create(
            topic=topic, position=3, label="Kulkuväline", label_en="How do you travel?", kind=QuestionKind.CHOICE,
            choices="Kävellen\nPyörällä\nAutolla", choices_en="On foot\nBy bike\nBy car"),
        "date": TopicQuestion.objects.create(
            topic=topic, position=4, label="Milloin huomasit?", label_en="When did you notice?",
            kind=QuestionKind.DATE),
        "text": TopicQuestion.objects.create(
            topic=topic, position=5, label="Mikä paikka?", label_en="Which place?", help_text_en="A landmark.",
            kind=QuestionKind.TEXT),
    }
    # A topic sent elsewhere and a topic of another category add nothing to service 171.
    elsewhere = add_topic(o311.city, slug="elsewhere", redirect_url="https://example.org/", kinds=[])
    TopicQuestion.objects.create(topic=elsewhere, label="Ei näy", kind=QuestionKind.TEXT)
    parks = add_topic(o311.city, slug="parks", category=o311.city.category_parks)
    made["parks"] = TopicQuestion.objects.create(topic=parks, label="Puisto", kind=QuestionKind.TEXT)
    return made


def _code(question: TopicQuestion) -> str:
    return f"attribute[q{question.pk}]"


def test_the_definition_lists_the_topic_questions_in_the_request_language(
        client: Client, o311: Open311City, questions: dict[str, TopicQuestion]) -> None:
    data = client.get(f"{BASE}/services/171.json", {"locale": "en"}).json()
    by_code = {a["code"]: a for a in data["attributes"]}
    assert [a["code"] for a in data["attributes"]] == [
        "case_type", "feedback_subtype", *(f"q{q.pk}" for name, q in questions.items() if name != "parks")]
    assert [a["order"] for a in data["attributes"]] == list(range(1, 8))
    yes_no = by_code[f"q{questions['yes_no'].pk}"]
    assert list(yes_no) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                            "description", "values"]
    assert (yes_no["datatype"], yes_no["required"], yes_no["description"]) == (
        "singlevaluelist", False, "Is it on the road?")  # never required of an app (below)
    assert "The residents' form asks this of everyone." in yes_no["datatype_description"]
    assert yes_no["values"] == [{"key": "true", "name": "Yes"}, {"key": "false", "name": "No"}]
    choice = by_code[f"q{questions['choice'].pk}"]
    assert choice["values"] == [{"key": "1", "name": "On foot"}, {"key": "2", "name": "By bike"},
                                {"key": "3", "name": "By car"}]
    assert by_code[f"q{questions['number'].pk}"]["datatype"] == "number"
    assert by_code[f"q{questions['date'].pk}"]["datatype"] == "datetime"
    text = by_code[f"q{questions['text'].pk}"]
    assert (text["datatype"], text["required"], text["values"]) == ("string", False, [])
    assert text["datatype_description"].startswith("A landmark.")
    swedish = client.get(f"{BASE}/services/171.json", {"locale": "sv"}).json()["attributes"]
    assert {"code": f"q{questions['yes_no'].pk}", "description": "Är det på körbanan?"}.items() <= next(
        a for a in swedish if a["code"] == f"q{questions['yes_no'].pk}").items()
    root = xml(client.get(f"{BASE}/services/171.xml", {"locale": "en"}))
    assert [n.text for n in root.findall("attributes/attribute/code")][2:] == [
        f"q{q.pk}" for name, q in questions.items() if name != "parks"]
    parks = client.get(f"{BASE}/services/172.json").json()["attributes"]
    assert [a["code"] for a in parks][2:] == [f"q{questions['parks'].pk}"]


def test_services_have_metadata_when_any_attribute_exists(
        client: Client, o311: Open311City, questions: dict[str, TopicQuestion], settings: Any) -> None:
    services = {s["service_code"]: s for s in client.get(f"{BASE}/services.json").json()}
    assert services["171"]["metadata"] is True
    root = xml(client.get(f"{BASE}/services.xml"))
    assert {node(s, "service_code").text: node(s, "metadata").text for s in root.findall("service")}["171"] == "true"


def test_answers_are_checked_as_on_the_form_and_stored_for_staff(
        client: Client, o311: Open311City, questions: dict[str, TopicQuestion]) -> None:
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, locale="fi", **{
        _code(questions["yes_no"]): "true", _code(questions["number"]): "12,5",
        _code(questions["choice"]): "2", _code(questions["date"]): "2026-11-22T23:30:00Z",
        _code(questions["text"]): "Koulun edessä",
    }))
    assert response.status_code == 200, response.content
    case = Case.objects.get(tracking_token=response.json()[0]["token"])
    record = case.form_answers
    assert record["topic"]["slug"] == "pothole"
    values = {row["question"]: row["value"] for row in record["answers"]}
    assert values == {questions["yes_no"].pk: True, questions["number"].pk: "12.5",
                      questions["choice"].pk: "Pyörällä", questions["date"].pk: "2026-11-23",
                      questions["text"].pk: "Koulun edessä"}
    labels = [row["label"] for row in record["answers"]]
    assert labels[0] == "Onko kuoppa ajoradalla?"
    staff = o311.city.users["expert"]
    client.force_login(staff)
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Onko kuoppa ajoradalla?" in page
    assert "Pyörällä" in page


@pytest.mark.parametrize(("answers", "message"), [
    ({"yes_no": "maybe"}, "Select a valid choice."),
    ({"yes_no": "true", "choice": "7"}, "Select a valid choice."),
    ({"yes_no": "true", "number": "lots"}, "Enter a number."),
    ({"yes_no": "true", "date": "31.2.2026"}, "Enter a valid date."),
    ({"yes_no": "true", "text": "x" * 501}, "at most 500 characters"),
])
def test_bad_answers_are_refused_with_the_spec_shape_and_nothing_is_kept(
        client: Client, o311: Open311City, questions: dict[str, TopicQuestion], answers: dict[str, str],
        message: str) -> None:
    before = Case.objects.count()
    data = post_data(o311, locale="en", **{_code(questions[kind]): value for kind, value in answers.items()})
    response = form_post(client, f"{BASE}/requests.json", data)
    assert response.status_code == 400
    body = response.json()
    assert all(set(error) == {"code", "description"} and error["code"] == 400 for error in body)
    assert any(error["description"].startswith("attribute[q") and message in error["description"]
               for error in body), body
    assert Case.objects.count() == before


def test_unknown_attributes_are_refused(client: Client, o311: Open311City,
                                        questions: dict[str, TopicQuestion]) -> None:
    for name in (_code(questions["parks"]), "attribute[q999999]", "attribute[colour]"):
        response = form_post(client, f"{BASE}/requests.json", post_data(
            o311, locale="en", **{name: "x", _code(questions["yes_no"]): "false"}))
        assert response.status_code == 400
        assert response.json() == [{"code": 400, "description": f"{name}: no such attribute for this service."}]


def test_the_type_attributes_still_work_beside_the_questions(
        client: Client, o311: Open311City, questions: dict[str, TopicQuestion]) -> None:
    from civicdesk.cases.models import CaseKind

    feedback = o311.city.types[CaseKind.FEEDBACK]
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, locale="fi", **{
        "attribute[case_type]": feedback.code, "attribute[feedback_subtype]": "wish",
        _code(questions["yes_no"]): "false"}))
    assert response.status_code == 200, response.content
    case = Case.objects.get(tracking_token=response.json()[0]["token"])
    assert (case.case_type, case.feedback_subtype) == (feedback, "wish")
    assert case.form_answers["answers"][0]["display"] == "Ei"


def test_a_service_without_questions_takes_no_record(client: Client, o311: Open311City) -> None:
    response = form_post(client, f"{BASE}/requests.json", post_data(o311))
    assert response.status_code == 200
    assert Case.objects.get(tracking_token=response.json()[0]["token"]).form_answers == {}


def test_an_app_that_does_not_answer_a_question_the_form_requires_can_still_report(
        client: Client, o311: Open311City, questions: dict[str, TopicQuestion]) -> None:
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, locale="en"))
    assert response.status_code == 200, response.content
    record = Case.objects.get(tracking_token=response.json()[0]["token"]).form_answers
    assert all(row.get("value") in (None, "", [], False) for row in record.get("answers", [])
               if row.get("question") == questions["yes_no"].pk)
