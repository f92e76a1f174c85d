"""Notices (R1.6): by topic, area and time; on the news page and above the contact form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from civicdesk.cases.models import Category
from civicdesk.knowledge.models import Notice, NoticeKind, Severity
from civicdesk.knowledge.selectors import notices_current, notices_for, notices_upcoming

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finnish():
    # Another test in the same worker may leave a language active; these read Finnish URLs and texts.
    with translation.override("fi"):
        yield

NOW = timezone.make_aware(dt.datetime(2026, 3, 10, 12, 0))


def _notice(city, title, *, categories=(), areas=(), hours=(-1, 6), **extra):
    notice = Notice.objects.create(
        organization=city.org, title=title, title_en=f"{title} (en)",
        valid_from=NOW + dt.timedelta(hours=hours[0]),
        valid_until=NOW + dt.timedelta(hours=hours[1]) if hours[1] is not None else None, **extra,
    )
    notice.categories.set(categories)
    notice.areas.set(areas)
    return notice


@pytest.fixture
def notices(city, other_city):
    water = Category.objects.create(organization=city.org, code="water", name="Vesi")
    outage = Category.objects.create(organization=city.org, code="water-outage", name="Vesikatko", parent=water)
    return {
        "water": water, "outage": outage,
        "general": _notice(city, "Puhelinpalvelu suljettu", hours=(-2, None), severity=Severity.INFO),
        "kaleva": _notice(city, "Vesikatko Kalevassa", categories=[water], areas=[city.area_west],
                          severity=Severity.CRITICAL),
        "streets": _notice(city, "Katutyöt", categories=[city.category_streets]),
        "east": _notice(city, "Itäinen katko", areas=[city.area_east]),
        "ended": _notice(city, "Päättynyt", hours=(-10, -1)),
        "planned": _notice(city, "Tuleva katko", hours=(24, 30)),
        "draft": _notice(city, "Luonnos", is_published=False),
        "elsewhere": _notice(other_city, "Toisen kaupungin katko"),
    }


def _titles(found):
    return [n.title_fi for n in found]


def test_notices_for_a_topic_include_its_parents_and_the_general_ones(city, notices):
    found = _titles(notices_for(city.org, category=notices["outage"], at=NOW))
    assert found == ["Vesikatko Kalevassa", "Itäinen katko", "Puhelinpalvelu suljettu"]
    assert "Katutyöt" not in found


def test_notices_for_an_area(city, notices):
    found = _titles(notices_for(city.org, category=notices["water"], area=city.area_east, at=NOW))
    assert found == ["Itäinen katko", "Puhelinpalvelu suljettu"]
    found = _titles(notices_for(city.org, category=notices["water"], area=city.area_west.pk, at=NOW))
    assert found == ["Vesikatko Kalevassa", "Puhelinpalvelu suljettu"]


def test_nothing_given_means_every_current_notice_of_the_organisation(city, notices):
    found = _titles(notices_for(city.org, at=NOW))
    assert set(found) == {"Vesikatko Kalevassa", "Katutyöt", "Itäinen katko", "Puhelinpalvelu suljettu"}
    assert found[0] == "Vesikatko Kalevassa"  # the most severe first


def test_time_window(city, notices):
    assert "Tuleva katko" in _titles(notices_for(city.org, at=NOW + dt.timedelta(hours=25)))
    assert "Vesikatko Kalevassa" not in _titles(notices_for(city.org, at=NOW + dt.timedelta(hours=6)))
    assert _titles(notices_upcoming(organization=city.org, at=NOW)) == ["Tuleva katko"]
    assert len(notices_current(organization=city.org, at=NOW)) == 4


def test_the_end_must_come_after_the_start(city):
    from django.core.exceptions import ValidationError

    notice = Notice(organization=city.org, title="x", valid_from=NOW, valid_until=NOW - dt.timedelta(hours=1))
    with pytest.raises(ValidationError):
        notice.full_clean()


def test_the_news_page_in_each_language(client, city, notices, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    with translation.override("en"):
        response = client.get(reverse("portal:news"), {"org": city.org.slug})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Vesikatko Kalevassa (en)" in body
    assert "Serious disruption" in body
    assert "Tuleva katko (en)" in body  # coming up
    for hidden in ("Päättynyt", "Luonnos", "Toisen kaupungin"):
        assert hidden not in body
    with translation.override("fi"):
        body = client.get(reverse("portal:news"), {"org": city.org.slug}).content.decode()
    assert "Vesikatko Kalevassa" in body
    assert "Vesikatko Kalevassa (en)" not in body


def test_the_fragment_for_the_form(client, city, notices, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    with translation.override("en"):
        url = reverse("portal:notices")
        params = {"org": city.org.slug, "topic": "water-outage", "lat": "60.17", "lon": "24.94"}
        body = client.get(url, params).content.decode()
        assert "Vesikatko Kalevassa (en)" in body
        assert "Itäinen katko" not in body
        assert "Already known" in body
        assert "until 6 p.m." in body
        params = {"org": city.org.slug, "topic": str(city.category_streets.pk), "area": "east"}
        body = client.get(url, params).content.decode()
        assert "Katutyöt (en)" in body
        assert "Itäinen katko (en)" in body
        assert "Kalevassa" not in body
        # Nonsense narrows nothing and never fails.
        response = client.get(url, {"org": city.org.slug, "topic": "<b>", "lat": "x", "lon": "1e999", "area": "nope"})
    assert response.status_code == 200


def test_the_include_renders_nothing_without_notices():
    from django.template.loader import render_to_string

    html = render_to_string("knowledge/_notices.html", {"notices": []})
    assert 'id="notices"' in html
    assert "<section" not in html


def test_admin_is_scoped_to_the_content_admins_organisation(client, city, other_city, notices):
    from civicdesk.accounts.models import Role
    from tests.factories import add_role

    user = city.users["contentadmin"]
    user.is_staff = True
    user.save()
    add_role(user, city.org, Role.CONTENT_ADMIN)
    client.force_login(user)
    listing = client.get(reverse("admin:knowledge_notice_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "Vesikatko Kalevassa" in body
    assert "Toisen kaupungin katko" not in body
    response = client.post(reverse("admin:knowledge_notice_add"), {
        "organization": city.org.pk, "kind": NoticeKind.DISRUPTION, "severity": Severity.WARNING,
        "is_published": "on", "title_fi": "Uusi", "title_sv": "", "title_en": "", "body_fi": "", "body_sv": "",
        "body_en": "", "valid_from_0": "2026-03-10", "valid_from_1": "12:00", "valid_until_0": "", "valid_until_1": "",
        "categories": [Category.objects.get(organization=other_city.org, code="streets").pk],
    })
    assert response.status_code == 200  # refused: the category belongs to another organisation
    assert not Notice.objects.filter(title="Uusi").exists()
