"""The residents' contact form in a real browser, with JavaScript and without (issue 4, R1.1–R1.5, R10.8).

With JavaScript: the topic list filters as the resident types; the chosen topic's form shows a map;
a click marks the place, and a contact already published nearby appears on the map and in the list
beside it; a photo goes with the contact; the receipt and the tracking page follow. Without
JavaScript: the search is a GET form, the address field is the location (found in the city's address
list), and the contact arrives all the same. A topic handled elsewhere sends the resident there.
Every page passes axe-core (WCAG 2.1 A/AA) in Finnish, Swedish and English, and reflows at 200 %.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from civicdesk.cases import services
from civicdesk.cases.models import Attachment, Case
from civicdesk.intake.models import AddressPoint, QuestionKind, TopicQuestion
from tests.browser.checks import axe_check, keyboard_check, reflow_check
from tests.browser.conftest import DESKTOP_VIEWPORT, Workspace, submit
from tests.factories import City, add_topic

pytestmark = pytest.mark.browser

KNOWN = "Kuoppa Kauppatorin kulmassa"


def _city_with_topics(city: City) -> None:
    topic = add_topic(city, name_fi="Kuoppa tai rikkinäinen katu", name_sv="Grop eller trasig gata",
                      name_en="Pothole or broken street", keywords_en="asphalt, kerb")
    TopicQuestion.objects.create(topic=topic, position=1, label_fi="Onko kohta vaarallinen?",
                                 label_sv="Är stället farligt?", label_en="Is it dangerous?",
                                 kind=QuestionKind.YES_NO, required=True)
    add_topic(city, "library", name="Kirjastot", name_en="Libraries", name_sv="Bibliotek", keywords="kirja",
              category=city.category_parks, kinds=["thanks", "question"], location="none", asks_for_photos=False)
    add_topic(city, "bus", name="Bussit ja pysäkit", name_en="Buses and stops", name_sv="Bussar", keywords="bussi",
              category=None,
              kinds=[], redirect_url="https://transport.example/feedback",
              redirect_text="Joukkoliikenteen palaute annetaan seudun palvelussa.")
    known = city.case(title="Kuoppa", lat=60.1751, lon=24.9801)
    services.case_publish(case=known, actor=city.users["advisor"], public_title=KNOWN,
                          public_text="Kadussa on kuoppa.")
    AddressPoint.objects.create(organization=city.org, street="Kauppakatu", number="5", lat=60.171, lon=24.951)


def _check(page: Any, label: str, *, must_see: tuple[str, ...] = ("main h1",)) -> None:
    axe_check(page, label=label)
    reflow_check(page, must_see=must_see, label=label)


def _jpeg(path: Any) -> str:
    file = path / "kuoppa.jpg"
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "gray").save(out, format="JPEG")
    file.write_bytes(out.getvalue())
    return str(file)


def test_resident_reports_a_located_fault_with_a_photo_and_sees_it_is_known(workspace: Workspace,
                                                                             tmp_path: Any) -> None:
    _city_with_topics(workspace.city)
    page = workspace.new_page()
    page.goto(workspace.url("/contact/"))
    _check(page, "topics", must_see=(".topic-list a",))
    page.locator("[data-topic-search]").fill("asphalt")
    assert page.get_by_role("link", name="Libraries").is_hidden()
    expect(page.locator("[data-topic-count]")).to_have_text("1 topic")  # announced after a pause in typing
    submit(page, page.get_by_role("link", name="Pothole or broken street"))
    _check(page, "form with the map", must_see=("main form button[type=submit]",))
    assert page.locator("[data-contact-map]").is_visible()

    # Sending it empty: the error summary takes the focus and links to each field.
    submit(page, page.locator("form.contact-form button[type=submit]"))
    assert page.evaluate("document.activeElement.id") == "form-errors"
    _check(page, "form with errors", must_see=("#form-errors a",))

    page.locator("[data-contact-map]").click()  # the middle of the city: marks the place
    assert page.locator("[data-lat]").input_value()
    page.locator("[data-nearby-list] li").first.wait_for()
    assert KNOWN in page.locator("[data-nearby-list]").inner_text()
    _check(page, "form with nearby contacts", must_see=("[data-nearby-list] li",))

    form = page.locator("form.contact-form")
    form.get_by_role("radio", name="Fault report").check()
    form.get_by_role("group", name="Is it dangerous?").get_by_role("radio", name="Yes").check()
    form.locator("textarea[name=description]").fill("Syvä kuoppa pyörätiellä.")
    form.locator("input[name=files]").set_input_files(_jpeg(tmp_path))
    form.locator("input[name=email]").fill("maija@example.fi")
    form.locator("input[name=answer_requested]").check()
    form.locator("input[name=consent]").check()
    submit(page, form.locator("button[type=submit]"))
    _check(page, "receipt")
    tracking = page.locator("[data-tracking-link]").get_attribute("href")
    assert tracking
    page.goto(tracking)
    _check(page, "tracking page")
    assert "Pothole or broken street" in page.locator("main").inner_text()
    case = Case.objects.get(description="Syvä kuoppa pyörätiellä.")
    assert case.lat is not None
    assert case.form_answers["answers"][0]["display"] == "Yes"
    assert Attachment.objects.filter(case=case).count() == 1


def test_the_form_works_without_javascript(workspace: Workspace) -> None:
    _city_with_topics(workspace.city)
    browser = workspace._started_browser()
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP_VIEWPORT, locale="en-GB")
    context.set_default_timeout(10_000)
    context.route(lambda url: not url.startswith(workspace.base_url), lambda route: route.abort())
    workspace._contexts.append(context)
    page = context.new_page()
    page.goto(workspace.url("/contact/"))
    page.locator("#id_q").fill("asphalt")
    submit(page, page.get_by_role("button", name="Search"))
    assert page.get_by_role("link", name="Libraries").is_hidden()
    submit(page, page.get_by_role("link", name="Pothole or broken street"))
    assert page.locator("[data-contact-map]").is_hidden()  # no map without JavaScript: the address is the place
    # axe-core itself needs JavaScript; the same page is checked with it in the other tests.
    form = page.locator("form.contact-form")
    form.get_by_role("radio", name="Fault report").check()
    form.get_by_role("group", name="Is it dangerous?").get_by_role("radio", name="No").check()
    form.locator("textarea[name=description]").fill("Kuoppa ilman JavaScriptiä.")
    form.locator("input[name=address]").fill("Kauppakatu 5")
    form.locator("input[name=consent]").check()
    submit(page, form.locator("button[type=submit]"))
    assert "/contact/received/" in page.url
    case = Case.objects.get(description="Kuoppa ilman JavaScriptiä.")
    assert (case.lat, case.lon) == (60.171, 24.951)  # from the city's address list


def test_a_topic_handled_elsewhere_sends_the_resident_there(workspace: Workspace) -> None:
    _city_with_topics(workspace.city)
    page = workspace.new_page(language="fi")
    page.goto(workspace.url("/contact/", language="fi"))
    submit(page, page.get_by_role("link", name="Bussit ja pysäkit"))
    _check(page, "handled elsewhere")
    assert page.locator("[data-redirect-link]").get_attribute("href") == "https://transport.example/feedback"
    assert page.locator("form.contact-form").count() == 0


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_topics_and_form_pass_axe_in_finnish_and_swedish(workspace: Workspace, language: str) -> None:
    _city_with_topics(workspace.city)
    page = workspace.new_page(language=language)
    page.goto(workspace.url("/contact/", language=language))
    _check(page, f"topics ({language})", must_see=(".topic-list a",))
    page.goto(workspace.url(f"/contact/{workspace.city.org.slug}/topics/pothole/", language=language))
    _check(page, f"form ({language})", must_see=("main form button[type=submit]",))
    keyboard_check(page, label=f"form ({language})")
    page.goto(workspace.url(f"/contact/{workspace.city.org.slug}/other/", language=language))
    _check(page, f"general form ({language})", must_see=("main form button[type=submit]",))

