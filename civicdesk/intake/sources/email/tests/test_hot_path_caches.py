"""The per-process caches of the email channel's hot path: the mailbox an address names, and an
organisation's mailboxes for outgoing mail (EMAIL_MAILBOX_CACHE_SECONDS; 0 in the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from civicdesk.intake.models import Mailbox
from civicdesk.intake.sources.email import services
from tests.factories import City

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    services._mailboxes_by_address.clear()
    services._organization_mailboxes.clear()
    yield
    services._mailboxes_by_address.clear()
    services._organization_mailboxes.clear()


def test_an_address_is_resolved_with_one_query_per_cache_period(mailbox: Mailbox, django_assert_num_queries: Any):
    with override_settings(EMAIL_MAILBOX_CACHE_SECONDS=60):
        first = services.recipient_resolve("palaute@testcity.example")
        with django_assert_num_queries(0):
            again = services.recipient_resolve("Palaute@TestCity.example")
    assert first is not None
    assert again is not None
    assert again.mailbox is first.mailbox
    assert again.mailbox.organization.pk == mailbox.organization_id


def test_an_unknown_or_switched_off_address_is_read_again_every_time(mailbox: Mailbox,
                                                                     django_assert_num_queries: Any):
    with override_settings(EMAIL_MAILBOX_CACHE_SECONDS=60):
        with django_assert_num_queries(2):
            assert services.recipient_resolve("nobody@testcity.example") is None
            assert services.recipient_resolve("nobody@testcity.example") is None
        Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
        assert services.recipient_resolve("palaute@testcity.example") is None


def test_without_a_cache_period_a_switched_off_mailbox_stops_taking_mail_at_once(mailbox: Mailbox):
    assert services.recipient_resolve("palaute@testcity.example") is not None
    Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
    assert services.recipient_resolve("palaute@testcity.example") is None


def test_the_mailbox_of_a_case_is_read_once_per_cache_period(city: City, mailbox: Mailbox,
                                                             django_assert_num_queries: Any):
    case = city.case(customer_email="maija@example.fi")
    with override_settings(EMAIL_MAILBOX_CACHE_SECONDS=60):
        first = services.mailbox_for_case(case)
        with django_assert_num_queries(0):
            assert services.mailbox_for_case(case) is first
    assert first is not None
    assert first.pk == mailbox.pk
