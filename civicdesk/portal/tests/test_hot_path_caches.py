"""The per-process caches of the form's hottest paths (the submission and the nearby lookup)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from civicdesk.core.errors import NotFoundError
from civicdesk.portal import selectors
from tests.factories import City


@pytest.mark.django_db
def test_the_organisation_is_read_once_per_cache_period(city: City, django_assert_num_queries: Any) -> None:
    selectors._organizations.clear()
    with override_settings(PORTAL_FORM_CACHE_SECONDS=30):
        first = selectors.organization_for_contact_cached(slug=city.org.slug)
        with django_assert_num_queries(0):
            again = selectors.organization_for_contact_cached(slug=city.org.slug)
    assert again is first
    assert first.pk == city.org.pk
    selectors._organizations.clear()


@pytest.mark.django_db
def test_without_a_cache_period_every_call_reads_and_unknown_slugs_are_not_found(
    city: City, django_assert_num_queries: Any
) -> None:
    with override_settings(PORTAL_FORM_CACHE_SECONDS=0):
        with django_assert_num_queries(1):
            selectors.organization_for_contact_cached(slug=city.org.slug)
        with pytest.raises(NotFoundError):
            selectors.organization_for_contact_cached(slug="no-such-city")
    assert selectors._organizations == {}
