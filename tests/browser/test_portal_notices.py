"""Notices above the contact form in a real browser (issue 4: R1.6, R1.4).

The topic's notices are on the page as it comes from the server (so without JavaScript, and inside
the embedded form); once a place is marked on the map, the form's script narrows them to the
area of that place. Both pass axe-core.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from civicdesk.knowledge.models import Notice, Severity
from civicdesk.organizations.selectors import area_for_point
from tests.browser.checks import axe_check
from tests.browser.conftest import Workspace
from tests.factories import City, add_topic

pytestmark = pytest.mark.browser

WEST, EAST = "Vesikatko lännessä", "Katutyöt idässä"


def _notice(city: City, title: str, *, areas: tuple[Any, ...] = ()) -> None:
    now = timezone.now()
    notice = Notice.objects.create(organization=city.org, title=title, title_en=title, severity=Severity.WARNING,
                                   valid_from=now - dt.timedelta(hours=1), valid_until=now + dt.timedelta(hours=6))
    notice.categories.set([city.category_streets])
    notice.areas.set(areas)


def _city(city: City) -> None:
    add_topic(city, name_en="Pothole or broken street")
    _notice(city, WEST, areas=(city.area_west,))
    _notice(city, EAST, areas=(city.area_east,))


def test_the_embedded_form_shows_the_topic_s_notices_above_it(workspace: Workspace) -> None:
    city = workspace.city
    _city(city)
    page = workspace.new_page()
    page.goto(f"{workspace.base_url}/embed/{city.org.slug}/en/contact/{city.org.slug}/topics/pothole/")
    notices = page.locator("#notices")
    assert notices.is_visible()
    text = notices.inner_text()
    assert WEST in text
    assert EAST in text
    assert page.evaluate("document.getElementById('notices').compareDocumentPosition("
                         "document.querySelector('form.contact-form')) & Node.DOCUMENT_POSITION_FOLLOWING")
    axe_check(page, label="embedded form with notices")


def test_marking_the_place_narrows_the_notices_to_its_area(workspace: Workspace) -> None:
    city = workspace.city
    _city(city)
    page = workspace.new_page()
    page.goto(workspace.url(f"/contact/{city.org.slug}/topics/pothole/"))
    page.locator("[data-contact-map]").click()  # the middle of the city
    lat = float(page.locator("[data-lat]").input_value())
    lon = float(page.locator("[data-lon]").input_value())
    area = area_for_point(organization=city.org, lat=lat, lon=lon)
    if area is None:
        pytest.skip("the map's middle is in no area of the test city")
    kept, gone = (WEST, EAST) if area.pk == city.area_west.pk else (EAST, WEST)
    page.wait_for_function(f"() => !document.getElementById('notices').innerText.includes({gone!r})")
    assert kept in page.locator("#notices").inner_text()
    axe_check(page, label="form with the place's notices")
