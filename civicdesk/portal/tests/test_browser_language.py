"""Residents arrive in their browser's language; a language they choose on the site wins (R1.9)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finnish():
    with translation.override("fi"):
        yield


def test_a_swedish_browser_is_sent_to_the_swedish_page(client, city):
    response = client.get("/contacts/?status=done", HTTP_ACCEPT_LANGUAGE="sv-FI,sv;q=0.9,en;q=0.5")
    assert response.status_code == 302
    assert response["Location"] == "/sv/contacts/?status=done"
    assert "Accept-Language" in response["Vary"]
    english = client.get("/news/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert english["Location"] == "/en/news/"


def test_finnish_or_unknown_browsers_and_chosen_languages_stay(client, city):
    assert client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="fi-FI,fi;q=0.9,en;q=0.5").status_code == 200
    assert client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="de-DE").status_code == 200
    assert client.get("/contacts/").status_code == 200
    assert client.get("/en/contacts/", HTTP_ACCEPT_LANGUAGE="sv").status_code == 200
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fi"
    assert client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="sv").status_code == 200


def test_staff_pages_json_and_embedded_pages_are_not_redirected(client, city):
    assert client.get("/contacts/map.json", HTTP_ACCEPT_LANGUAGE="sv").status_code == 200
    assert client.get(f"/embed/{city.org.slug}/contacts/", HTTP_ACCEPT_LANGUAGE="sv").status_code == 200
    assert client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv").status_code == 200
