"""The rules' test bench in the admin: a pasted text and place, which rule fires and why; nothing written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicdesk.routing.models import RoutingDecision, RoutingRule
from tests.factories import City

pytestmark = pytest.mark.django_db


def test_the_bench_shows_the_rule_that_fires_and_each_conditions_verdict(client, city: City, other_city: City):
    RoutingRule.objects.create(organization=city.org, name="Sähköposti ensin", position=1, channels=["email"],
                               set_group=city.intake)
    RoutingRule.objects.create(organization=city.org, name="Puistot", position=2, keywords="puisto",
                               set_group=city.parks)
    client.force_login(city.admin_user())
    url = reverse("admin:routing_routingrule_test_bench")
    assert reverse("admin:routing_routingrule_test_bench") in client.get(
        reverse("admin:routing_routingrule_changelist")).content.decode()
    page = client.post(url, {"organization": city.org.pk, "text": "Puistossa penkki rikki", "channel": "web_form",
                             "lat": "60.17", "lon": "24.94"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Puistot” " in text  # “the rule ”Puistot” fires”, in the admin's language
    assert "channel: ✗ (web_form)" in text
    assert "keywords: ✓ (puisto)" in text
    assert city.parks.name in text
    assert not RoutingDecision.objects.exists()  # nothing is written


def test_the_bench_refuses_half_a_place_and_other_organisations(client, city: City, other_city: City):
    client.force_login(city.admin_user())
    url = reverse("admin:routing_routingrule_test_bench")
    half = client.post(url, {"organization": city.org.pk, "text": "x", "channel": "web_form", "lat": "60.1"})
    assert half.status_code == 400
    assert half.context["form"].non_field_errors()
    foreign = client.post(url, {"organization": other_city.org.pk, "text": "x", "channel": "web_form"})
    assert foreign.status_code == 400
    client.force_login(city.fresh("expert"))
    assert client.get(url).status_code in (302, 403)
