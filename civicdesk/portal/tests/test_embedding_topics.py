"""Embedding a topic's form: `?topic=` on the embedded address opens that topic inside the frame (R1.4)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from civicdesk.organizations.models import Organization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finnish():
    with translation.override("fi"):
        yield


@pytest.fixture
def allowed(city):
    Organization.objects.filter(pk=city.org.pk).update(embed_origins="https://www.example.fi")
    return city


def _embed(city, path: str) -> str:
    return f"/embed/{city.org.slug}{path}"


def test_topic_preselection_redirects_inside_the_embedding(client, allowed):
    from civicdesk.intake.models import Topic

    Topic.objects.create(organization=allowed.org, slug="pothole", name="Kuoppa", category=allowed.category_streets,
                         kinds=["fault_report"])
    response = client.get(_embed(allowed, reverse("portal:contact", args=[allowed.org.slug])), {"topic": "pothole"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/embed/{allowed.org.slug}/contact/{allowed.org.slug}/topics/pothole/")
