"""Query parameters holding a NUL character are refused with a translated 400 before any view runs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_a_nul_in_the_query_is_a_translated_400(client):
    with translation.override("en"):
        response = client.get(reverse("portal:public_contacts"), {"q": "ab\x00c"})
    assert response.status_code == 400
    assert "character that is not allowed" in response.content.decode()


def test_json_clients_get_the_error_as_json(client):
    response = client.get(reverse("portal:public_contacts"), {"x\x00": "1"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "null_character"


def test_the_open311_api_answers_in_its_own_format(client):
    response = client.get("/open311/v2/services.json", {"jurisdiction_id": "a\x00"})
    assert response.status_code in {400, 404}
    assert response["Content-Type"].startswith("application/json")
    assert "description" in response.json()[0]
