"""The contact form's spam defence beyond rate limits: honeypot, signed time stamp, a cap on links.

A caught form is a 400 with a neutral translated message and the resident's text kept, logged
without the text; nothing is stored. A person's form passes, also the embedded one.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from civicdesk.cases.models import Case
from civicdesk.portal import form_guard
from tests.factories import add_topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # Requests to /en/ pages (and `locale=en`) leave English active in this thread; later tests
    # in the worker expect the default language.
    with translation.override("fi"):
        yield

NEUTRAL = {"en": "Your message could not be sent. Check the form and send it again."}


@pytest.fixture(autouse=True)
def _guard_on(settings: Any) -> None:
    cache.clear()
    settings.PORTAL_FORM_MIN_SECONDS = 3
    settings.PORTAL_FORM_MAX_AGE_SECONDS = 86400
    settings.PORTAL_CONTACT_MAX_LINKS = 2


@pytest.fixture
def url(city: Any) -> str:
    add_topic(city)
    return f"/en/contact/{city.org.slug}/topics/pothole/"


def _stamp(seconds_ago: float) -> str:
    """A stamp as the form would have written it `seconds_ago`."""
    return signing.dumps(int(time.time() - seconds_ago), salt=form_guard._SALT)


def _data(**overrides: Any) -> dict[str, Any]:
    data = {"kind": "fault_report", "description": "Syvä kuoppa pyörätiellä.", "address": "Mannerheimintie 5",
            "lat": "60.170000", "lon": "24.940000", "name": "", "email": "", "phone": "", "consent": "on",
            form_guard.STARTED_FIELD: _stamp(10), form_guard.HONEYPOT_FIELD: ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.reason for r in caplog.records if r.name == "civicdesk.portal.form_guard"]  # type: ignore[attr-defined]


def test_the_form_carries_a_fresh_stamp_and_an_accessible_honeypot(client: Client, url: str) -> None:
    html = client.get(url).content.decode()
    stamp = re.search(rf'name="{form_guard.STARTED_FIELD}" value="([^"]+)"', html)
    assert stamp is not None
    assert abs(signing.loads(stamp.group(1), salt=form_guard._SALT) - time.time()) < 5
    trap = re.search(r'<div class="form-trap" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap is not None
    assert "Leave this field empty" in trap.group(1)
    assert 'tabindex="-1"' in trap.group(1)
    assert 'autocomplete="off"' in trap.group(1)
    assert "display:none" not in html.replace(" ", "")


def test_a_person_s_form_is_taken(client: Client, url: str) -> None:
    response = client.post(url, _data())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Case.objects.count() == 1


@pytest.mark.parametrize(("overrides", "reason"), [
    ({form_guard.HONEYPOT_FIELD: "https://spam.example"}, "honeypot"),
    ({form_guard.STARTED_FIELD: None}, "missing"),
    ({form_guard.STARTED_FIELD: 0}, "too_fast"),  # seconds ago, stamped when the test runs
    ({form_guard.STARTED_FIELD: 2 * 86400}, "too_old"),
    ({form_guard.STARTED_FIELD: "1700000000:forged"}, "forged"),
    ({form_guard.STARTED_FIELD: "x" * 5000}, "forged"),
])
def test_caught_forms_get_a_neutral_400_keep_the_text_and_are_logged(
        client: Client, url: str, caplog: pytest.LogCaptureFixture, overrides: dict[str, Any], reason: str) -> None:
    overrides = {k: _stamp(v) if isinstance(v, int) else v for k, v in overrides.items()}
    with caplog.at_level(logging.WARNING, logger="civicdesk.portal.form_guard"):
        response = client.post(url, _data(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert NEUTRAL["en"] in page
    assert "Syvä kuoppa pyörätiellä." in page  # shown again, so the resident sends it again
    assert Case.objects.count() == 0
    assert _reasons(caplog) == [reason]
    assert "Syvä kuoppa" not in caplog.text
    # The form shown again has a fresh stamp: sent again later (here: a stamp 10 s old), it is taken.
    assert client.post(url, _data()).status_code == 302


def test_too_many_links_are_refused_with_a_clear_message(client: Client, url: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    text = "Katso https://a.example/1 ja http://b.example/2 sekä www.c.example"
    with caplog.at_level(logging.WARNING, logger="civicdesk.portal.form_guard"):
        response = client.post(url, _data(description=text))
    assert response.status_code == 400
    assert "Write at most 2 web addresses in your message." in response.content.decode()
    assert Case.objects.count() == 0
    assert _reasons(caplog) == ["links"]
    two = "Katso https://a.example/1 ja www.c.example"
    assert client.post(url, _data(description=two)).status_code == 302


def test_the_embedded_form_is_guarded_too(client: Client, city: Any) -> None:
    add_topic(city)
    url = f"/embed/{city.org.slug}/en/contact/{city.org.slug}/topics/pothole/"
    html = client.get(url).content.decode()
    assert f'name="{form_guard.STARTED_FIELD}"' in html
    assert 'class="form-trap"' in html
    refused = client.post(url, _data(**{form_guard.HONEYPOT_FIELD: "x"}))
    assert refused.status_code == 400
    assert client.post(url, _data()).status_code == 302


def test_switched_off_the_time_check_takes_forms_without_a_stamp(client: Client, url: str, settings: Any) -> None:
    settings.PORTAL_FORM_MIN_SECONDS = 0
    assert client.post(url, _data(**{form_guard.STARTED_FIELD: None})).status_code == 302


def test_links_are_counted_as_addresses_with_a_scheme_or_www() -> None:
    assert form_guard.links_count("no links here, just text.") == 0
    assert form_guard.links_count("https://a.fi http://b.fi www.c.fi ftp://d.fi") == 4
    assert form_guard.links_count("x", "HTTPS://A.FI") == 1
