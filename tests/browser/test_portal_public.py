"""The residents' public pages in a real browser (issue 4: R1.6, R1.7, R1.8).

axe-core (WCAG 2.1 A/AA) and the 200 % zoom check on the list and map of published contacts, a
published contact's page and the news page, in Finnish, Swedish and English, with the organisation's
theme applied; the map draws its clustered markers from the JSON endpoint, and nothing unpublished
or personal is on the pages.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from civicdesk.cases import services
from civicdesk.cases.models import Case
from civicdesk.knowledge.models import Notice, Severity
from civicdesk.organizations.models import Theme
from tests.browser.checks import axe_check, reflow_check
from tests.browser.conftest import Workspace
from tests.factories import City

pytestmark = pytest.mark.browser


def _seed(city: City) -> Case:
    # Explicit: modeltranslation stores a plain `title=` in the active language, which an earlier test
    # in the same process may have left at something else than Finnish.
    with translation.override("fi"):
        return _seed_in_finnish(city)


def _seed_in_finnish(city: City) -> Case:
    advisor = city.fresh("advisor")
    published = None
    for n, (lat, lon) in enumerate([(60.170, 24.940), (60.171, 24.941), (60.185, 24.95), (60.16, 24.92)]):
        case = city.case(title=f"Kuoppa {n}", lat=lat, lon=lon, customer_name="Maija Meikäläinen")
        published = services.case_publish(case=case, actor=advisor, public_title=f"Kuoppa pyörätiellä {n}",
                                           public_text="Pyörätiellä on syvä kuoppa.",
                                           public_answer="Kuoppa paikataan tällä viikolla.")
    services.case_close(case=published, actor=city.fresh("expert"), reply="Korjattu.")
    city.case(title="Julkaisematon", lat=60.17, lon=24.94)
    now = timezone.now()
    water = Notice.objects.create(
        organization=city.org, title_fi="Vesikatko Kalevassa", title_sv="Vattenavbrott i Kaleva",
        title_en="Water outage in Kaleva", body_fi="Vesi palaa illalla.", body_en="Water is back in the evening.",
        valid_from=now - dt.timedelta(hours=1), valid_until=now + dt.timedelta(hours=5), severity=Severity.CRITICAL,
    )
    water.areas.set([city.area_west])
    Notice.objects.create(organization=city.org, kind="topic", title_fi="Katujen kevätsiivous",
                          title_en="Spring street cleaning", valid_from=now - dt.timedelta(days=1))
    Notice.objects.create(organization=city.org, title_fi="Tuleva katko", valid_from=now + dt.timedelta(days=2),
                          valid_until=now + dt.timedelta(days=2, hours=3))
    Theme.objects.create(organization=city.org, accent_colour="#005a9c")
    assert published is not None
    return published


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_public_pages_pass_axe_in_each_language(workspace: Workspace, language: str) -> None:
    case = _seed(workspace.city)
    page = workspace.new_page(language=language)

    page.goto(workspace.url("/contacts/", language=language))
    # The map draws the published contacts (clusters or markers) from the JSON endpoint.
    page.wait_for_selector(".public-map .leaflet-marker-icon")
    assert page.locator(".public-cases > li").count() == 4
    assert "Julkaisematon" not in page.content()
    axe_check(page, label=f"public contacts ({language})")
    reflow_check(page, must_see=("main h1", ".public-filters button"), label=f"public contacts ({language})")

    page.select_option("#id_status", "done")
    with page.expect_navigation():
        page.locator(".public-filters button[type=submit]").click()
    assert page.locator(".public-cases > li").count() == 1
    axe_check(page, label=f"public contacts, filtered ({language})")

    page.goto(workspace.url(f"/contacts/{case.reference}/", language=language))
    assert page.locator("h1").inner_text() == "Kuoppa pyörätiellä 3"
    assert "Maija" not in page.content()
    axe_check(page, label=f"public contact ({language})")
    reflow_check(page, label=f"public contact ({language})")

    page.goto(workspace.url("/news/", language=language))
    expected = {"fi": "Vesikatko Kalevassa", "sv": "Vattenavbrott i Kaleva", "en": "Water outage in Kaleva"}[language]
    assert expected in page.locator("main").inner_text()
    axe_check(page, label=f"news ({language})")
    reflow_check(page, label=f"news ({language})")
