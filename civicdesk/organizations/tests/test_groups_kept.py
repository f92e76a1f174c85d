"""organizations.selectors.KEPT_GROUPS and its kin: rows kept per process until one changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from civicdesk.organizations.models import ServiceGroup
from civicdesk.organizations.selectors import KEPT_GROUPS

pytestmark = pytest.mark.django_db


def service_group_kept(group_id: int) -> Any:
    return KEPT_GROUPS.get(group_id)


def test_a_kept_group_is_a_fresh_instance_with_its_values(city: Any, django_assert_num_queries: Any) -> None:
    first = service_group_kept(city.streets.pk)
    assert first is not None
    assert first.pk == city.streets.pk
    assert first.organization_id == city.org.pk

    with django_assert_num_queries(1):  # the configuration generation only
        again = service_group_kept(city.streets.pk)
    assert again is not first
    assert again == first
    again.name = "changed in one request"
    assert service_group_kept(city.streets.pk).name != "changed in one request"


def test_a_change_to_a_group_is_seen_at_once(city: Any) -> None:
    assert service_group_kept(city.streets.pk).is_active
    group = ServiceGroup.objects.get(pk=city.streets.pk)
    group.is_active = False
    group.save()

    assert not service_group_kept(city.streets.pk).is_active
    assert KEPT_GROUPS.get(10**9) is None


def test_names_are_in_the_current_language(city: Any) -> None:
    group: Any = ServiceGroup.objects.get(pk=city.streets.pk)
    group.name_fi, group.name_sv, group.name_en = "Kadut", "Gator", "Streets"
    group.save()

    kept = service_group_kept(city.streets.pk)
    with translation.override("sv"):
        assert str(kept) == "Gator"
    with translation.override("en"):
        assert kept.name == "Streets"


def test_kept_areas_leave_their_shape_to_load_on_access(city: Any, django_assert_num_queries: Any) -> None:
    from civicdesk.organizations.selectors import KEPT_AREAS

    KEPT_AREAS.get(city.area_west.pk)
    area: Any = KEPT_AREAS.get(city.area_west.pk)
    assert area.name == city.area_west.name
    assert "geometry" in area.get_deferred_fields()
    with django_assert_num_queries(1):
        assert area.geometry == city.area_west.geometry


def test_a_renamed_organisation_is_seen_at_once(city: Any) -> None:
    from civicdesk.organizations.models import Organization
    from civicdesk.organizations.selectors import KEPT_ORGANIZATIONS

    assert KEPT_ORGANIZATIONS.get(city.org.pk).name == city.org.name  # type: ignore[union-attr]
    organization = Organization.objects.get(pk=city.org.pk)
    organization.name = "Uusi kaupunki"
    organization.save()
    assert KEPT_ORGANIZATIONS.get(city.org.pk).name == "Uusi kaupunki"  # type: ignore[union-attr]
