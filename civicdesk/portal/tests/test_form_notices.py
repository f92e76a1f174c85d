"""Notices above the contact form (R1.6): the topic's, on the portal's form and inside the embedded one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from civicdesk.cases.models import Category
from civicdesk.knowledge.models import Notice, Severity
from tests.factories import add_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # Requests to /en/ pages (and `locale=en`) leave English active in this thread; later tests
    # in the worker expect the default language.
    with translation.override("fi"):
        yield


def _notice(city: Any, title: str, *, categories: tuple[Category, ...] = (), areas: tuple[Any, ...] = (),
            **extra: Any) -> Notice:
    now = timezone.now()
    notice = Notice.objects.create(organization=city.org, title=title, title_en=title,
                                   valid_from=now - dt.timedelta(hours=1), valid_until=now + dt.timedelta(hours=6),
                                   **extra)
    notice.categories.set(categories)
    notice.areas.set(areas)
    return notice


@pytest.fixture
def notices(city: Any) -> None:
    add_topic(city)
    add_topic(city, slug="benches", category=city.category_parks, name="Penkit")
    _notice(city, "Katutyöt Kalevassa", categories=(city.category_streets,), severity=Severity.CRITICAL)
    _notice(city, "Puistojen kastelu", categories=(city.category_parks,))
    _notice(city, "Puhelinpalvelu suljettu", severity=Severity.INFO)
    _notice(city, "Itäinen katko", categories=(city.category_streets,), areas=(city.area_east,))
    _notice(city, "Luonnos", categories=(city.category_streets,), is_published=False)


def _notices_region(html: str) -> str:
    found = re.search(r'<div id="notices".*?</div>\s*<p>', html, re.S)
    assert found is not None, html[:2000]
    return found.group(0)


@pytest.mark.parametrize("prefix", ["", "/embed/{slug}"])
def test_the_topic_s_notices_show_above_the_form(client: Client, city: Any, notices: None, prefix: str) -> None:
    base = prefix.format(slug=city.org.slug)
    response = client.get(f"{base}/en/contact/{city.org.slug}/topics/pothole/")
    assert response.status_code == 200
    html = response.content.decode()
    region = _notices_region(html)
    assert html.index('id="notices"') < html.index('<form method="post"')
    assert "Katutyöt Kalevassa" in region
    assert "Puhelinpalvelu suljettu" in region  # a general notice concerns every topic
    assert "Itäinen katko" in region  # no place marked yet: every area
    assert "Puistojen kastelu" not in region
    assert "Luonnos" not in region
    # The script asks the fragment again, inside the embedding when embedded, for the marked place.
    url = re.search(r'data-notices-url="([^"]+)"', html)
    assert url is not None
    notices_url = url.group(1).replace("&amp;", "&")
    assert notices_url.startswith(f"{base}/en/news/notices/?org={city.org.slug}&topic={city.category_streets.pk}")
    west = client.get(notices_url + "&lat=60.17&lon=24.94")
    assert west.status_code == 200
    assert "Katutyöt Kalevassa" in west.content.decode()


def test_a_form_re_shown_with_errors_keeps_the_notices(client: Client, city: Any, notices: None) -> None:
    response = client.post(f"/en/contact/{city.org.slug}/topics/benches/", {"description": ""})
    assert response.status_code == 400
    assert "Puistojen kastelu" in _notices_region(response.content.decode())


def test_no_notices_no_region_content(client: Client, city: Any) -> None:
    add_topic(city)
    html = client.get(f"/en/contact/{city.org.slug}/topics/pothole/").content.decode()
    assert 'id="notices"' in html
    assert "Already known" not in html
