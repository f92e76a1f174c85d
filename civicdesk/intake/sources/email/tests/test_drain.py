"""Stored mail handled by one task per burst (`core.drains`, `inbound_emails_drain`), and its safety net."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.test import TestCase, override_settings

from civicdesk.cases.models import Case
from civicdesk.core import drains
from civicdesk.intake import tasks
from civicdesk.intake.models import InboundEmail, InboundState, Mailbox
from civicdesk.intake.sources.email import services
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

pytestmark = pytest.mark.django_db


def _stored(count: int) -> list[InboundEmail]:
    return [services.inbound_email_receive(raw=make_mail(subject=f"Asia {n}", sender=f"a{n} <a{n}@example.fi>"),
                                           source="smtp", recipients=["palaute@testcity.example"],
                                           process=False)[0] for n in range(count)]


def test_a_drain_handles_every_waiting_mail_oldest_first_and_says_when_more_wait(city: City, mailbox: Mailbox):
    rows = _stored(3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.inbound_emails_drain(limit=2) == (2, True)
    states = dict(InboundEmail.objects.values_list("pk", "state"))
    assert [states[r.pk] for r in rows] == [InboundState.CASE_CREATED, InboundState.CASE_CREATED,
                                            InboundState.RECEIVED]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.inbound_emails_drain() == (1, False)
    assert Case.objects.count() == 3
    assert services.inbound_emails_drain() == (0, False), "handled mail is never handled again"


def test_the_drain_task_queues_the_next_drain_for_what_is_left(city: City, mailbox: Mailbox):
    _stored(3)
    with mock.patch.object(services, "DRAIN_MAX", 2), \
            mock.patch.object(tasks.inbound_emails_drain_task, "delay") as next_drain:
        assert tasks.inbound_emails_drain_task() == 2
    next_drain.assert_called_once_with()


def test_a_backlog_brings_in_another_drain_that_shares_the_work(city: City, mailbox: Mailbox):
    _stored(4)
    worker_request = mock.Mock(is_eager=False)
    with mock.patch.object(services, "DRAIN_BATCH", 2), \
            mock.patch.object(type(tasks.inbound_emails_drain_task), "request", worker_request, create=True), \
            mock.patch.object(tasks.inbound_emails_drain_task, "delay") as another:
        assert tasks.inbound_emails_drain_task() == 4
    another.assert_called_once_with()


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_a_burst_of_mail_queues_one_drain_per_second_not_a_task_per_mail(city: City, mailbox: Mailbox):
    cache.clear()
    drains._asked.clear()
    with mock.patch.object(tasks.inbound_emails_drain_task, "apply_async") as queued, \
            mock.patch.object(tasks.inbound_email_process_task, "delay") as per_mail, \
            mock.patch.object(drains.time, "time", return_value=1_000_000.25), \
            TestCase.captureOnCommitCallbacks(execute=True):
        for n in range(5):
            services.inbound_email_receive(raw=make_mail(subject=f"Asia {n}"), source="smtp",
                                           recipients=["palaute@testcity.example"])
    per_mail.assert_not_called()
    queued.assert_called_once()
    assert 0.1 < queued.call_args.kwargs["countdown"] <= 1.1, "for the end of the second, after these commits"
    drains._asked.clear()  # another process in the same second: the shared flag says one is queued already
    drains.drain_soon(tasks.inbound_emails_drain_task, key=services.DRAIN_KEY)
    with mock.patch.object(tasks.inbound_emails_drain_task, "apply_async") as next_second, \
            mock.patch.object(drains.time, "time", return_value=1_000_001.5):
        drains.drain_soon(tasks.inbound_emails_drain_task, key=services.DRAIN_KEY)
    next_second.assert_called_once()


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_a_lost_trigger_loses_no_mail_the_beat_drains_it(city: City, mailbox: Mailbox):
    from django.conf import settings

    cache.clear()
    drains._asked.clear()
    with mock.patch.object(tasks.inbound_emails_drain_task, "apply_async", side_effect=ConnectionError("down")), \
            TestCase.captureOnCommitCallbacks(execute=True):
        row = services.inbound_email_receive(raw=make_mail(), source="smtp",
                                             recipients=["palaute@testcity.example"])[0]
    assert InboundEmail.objects.get(pk=row.pk).state == InboundState.RECEIVED, "stored, waiting"
    beat = settings.CELERY_BEAT_SCHEDULE["intake-email-drain"]
    assert beat["task"] == tasks.inbound_emails_drain_task.name
    assert int(str(beat["schedule"])) <= 60
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tasks.inbound_emails_drain_task() == 1
    assert InboundEmail.objects.get(pk=row.pk).state == InboundState.CASE_CREATED
