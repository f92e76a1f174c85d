"""The bundled email of R4.7: one mail per away user for everything waiting, never twice, in
their language, with links that lead to the case after login."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone, translation

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case
from civicdesk.notifications import services
from civicdesk.notifications.models import Delivery, Notification, NotificationKind, UserActivity
from civicdesk.notifications.tasks import notifications_email_bundles_task
from tests.factories import City

pytestmark = pytest.mark.django_db
SITE = "https://palaute.example.fi"


def _age(hours: float = 2) -> None:
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(hours=hours))


def _three_events(city: City, committed: Any) -> Case:
    """Three notifications for the expert: assigned, a customer message, a comment request."""
    case = city.case()
    with committed():
        case_services.case_assign(case=case, actor=city.fresh("advisor"), handler=city.fresh("expert"))
        case_services.case_record_customer_message(case=case, body="Lisätietoa")
        case_services.case_request_comment(case=city.case(), actor=city.fresh("advisor"), question="?",
                                           from_user=city.fresh("expert"))
    assert Notification.objects.filter(recipient=city.users["expert"]).count() == 3
    return case


@override_settings(SITE_URL=SITE)
def test_one_mail_for_many_events_and_never_a_second(city: City, committed: Any) -> None:
    case = _three_events(city, committed)
    _age()

    assert notifications_email_bundles_task() == {"mailed": 1}

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [city.users["expert"].email]
    assert message.body.count(f"{SITE}/staff/cases/") == 3
    assert f"{SITE}/staff/cases/{case.reference}/" in message.body
    html, mimetype = message.alternatives[0]  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert f'href="{SITE}/staff/cases/{case.reference}/"' in html
    # No case content in the mail: the reference, what happened, a link.
    assert case.title not in message.body
    assert case.customer_name not in message.body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()

    assert services.notification_bundles_send() == 0
    assert len(mail.outbox) == 1


@override_settings(SITE_URL=SITE)
def test_later_events_get_their_own_mail_without_the_earlier_ones(city: City, committed: Any) -> None:
    case = _three_events(city, committed)
    _age()
    services.notification_bundles_send()
    with committed():
        case_services.case_record_customer_message(case=case, body="Vielä yksi")
    Notification.objects.filter(emailed_at__isnull=True).update(created_at=timezone.now() - dt.timedelta(hours=2))

    assert services.notification_bundles_send() == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].body.count(f"{SITE}/staff/cases/") == 1


def test_users_at_work_are_not_mailed(city: City, committed: Any) -> None:
    _three_events(city, committed)
    _age()
    services.user_activity_touch(user=city.users["expert"])

    assert services.notification_bundles_send() == 0
    assert mail.outbox == []

    UserActivity.objects.update(last_seen_at=timezone.now() - dt.timedelta(hours=1))
    assert services.notification_bundles_send() == 1


def test_the_interval_is_waited_for(city: City, committed: Any) -> None:
    _three_events(city, committed)
    _age(hours=0.5)  # the default interval is an hour
    assert services.notification_bundles_send() == 0

    services.notification_settings_save(
        user=city.fresh("expert"), deliveries=dict.fromkeys(NotificationKind.values, Delivery.EMAIL), email_interval=15
    )
    assert services.notification_bundles_send() == 1


def test_read_in_app_and_in_app_only_are_not_mailed(city: City, committed: Any) -> None:
    _three_events(city, committed)
    _age()
    first, second, third = Notification.objects.order_by("pk")
    services.notification_mark_read(user=city.fresh("expert"), notification_id=first.pk)
    Notification.objects.filter(pk=second.pk).update(by_email=False)

    assert services.notification_bundles_send() == 1
    assert mail.outbox[0].body.count("/staff/cases/") == 1
    assert set(Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True)) == {third.pk}


def test_choosing_in_app_later_keeps_waiting_ones_from_the_mail(city: City, committed: Any) -> None:
    _three_events(city, committed)
    _age()
    services.notification_settings_save(
        user=city.fresh("expert"), deliveries=dict.fromkeys(NotificationKind.values, Delivery.IN_APP),
        email_interval=60,
    )
    assert services.notification_bundles_send() == 0
    assert Notification.objects.count() == 3  # still in the app


def test_cases_the_user_may_no_longer_see_are_left_out(city: City, committed: Any) -> None:
    case = _three_events(city, committed)
    _age()
    case_services.case_reclassify(case=case, actor=city.fresh("advisor"), contains_special_categories=True)

    assert services.notification_bundles_send() == 1
    body = mail.outbox[0].body
    assert case.reference not in body
    assert body.count("/staff/cases/") == 1


def test_users_without_an_address_are_not_mailed(city: City, committed: Any) -> None:
    _three_events(city, committed)
    _age()
    type(city.users["expert"]).objects.filter(pk=city.users["expert"].pk).update(email="")

    assert services.notification_bundles_send() == 0
    assert not Notification.objects.filter(by_email=True).exists()


@override_settings(SITE_URL=SITE)
def test_mail_is_in_the_users_language(city: City, committed: Any) -> None:
    case = _three_events(city, committed)
    _age()
    type(city.users["expert"]).objects.filter(pk=city.users["expert"].pk).update(preferred_language="en")

    with translation.override("fi"):  # whatever the task's own language
        services.notification_bundles_send()

    message = mail.outbox[0]
    assert message.subject == "CivicDesk: 3 new notifications"
    assert f"{SITE}/en/staff/cases/{case.reference}/" in message.body
    assert f"{city.users['advisor']} made you the handler of case {case.reference}." in message.body


def test_the_mails_link_leads_to_the_case_after_login(city: City, committed: Any) -> None:
    case = _three_events(city, committed)
    _age()
    services.notification_bundles_send()
    link = f"/staff/cases/{case.reference}/"
    assert link in mail.outbox[0].body

    client = Client()
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={link}"
    login = client.post(response["Location"], {"username": city.users["expert"].username,
                                               "password": "correct-horse-battery", "next": link})
    assert login.status_code == 302
    assert login["Location"] == link
    assert client.get(link).status_code == 200
