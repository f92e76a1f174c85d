"""The notification pages over HTTP: list, badge, marking read, following, settings, presence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case
from civicdesk.notifications import services
from civicdesk.notifications.models import (
    CaseFollow,
    Delivery,
    Notification,
    NotificationKind,
    NotificationSettings,
    UserActivity,
)
from tests.factories import City

pytestmark = pytest.mark.django_db
LIST = "/en/staff/notifications/"
SETTINGS = "/en/staff/notifications/settings/"


def _notify(city: City, committed: Any, *, cases: int = 1) -> list[Case]:
    """`cases` cases assigned to the expert by the advisor: one notification each."""
    made = [city.case() for _ in range(cases)]
    with committed():
        for case in made:
            case_services.case_assign(case=case, actor=city.fresh("advisor"), handler=city.fresh("expert"))
    return made


def _login(client: Client, city: City, name: str) -> Client:
    client.force_login(city.users[name])
    return client


def test_list_shows_unread_first_and_the_followed_cases(client: Client, city: City, committed: Any) -> None:
    first, second = _notify(city, committed, cases=2)
    services.notification_mark_read(user=city.fresh("expert"),
                                    notification_id=Notification.objects.get(case=first).pk)
    followed = city.case(title="Seurattava kuoppa")
    services.case_follow(user=city.fresh("expert"), case=followed)

    with translation.override("en"):
        body = _login(client, city, "expert").get(LIST).content.decode()

    assert "<h1>Notifications</h1>" in body
    unread_at = body.index(f"made you the handler of case {second.reference}")
    read_at = body.index(f"made you the handler of case {first.reference}")
    assert body.index('id="unread-heading"') < unread_at < body.index('id="read-heading"') < read_at
    assert "Seurattava kuoppa" in body
    assert body.count('name="csrfmiddlewaretoken"') >= 3  # read-all, mark one, unfollow


def test_the_nav_badge_counts_unread_with_an_accessible_name(client: Client, city: City, committed: Any) -> None:
    _notify(city, committed, cases=3)
    with translation.override("en"):
        body = _login(client, city, "expert").get("/en/staff/").content.decode()
    assert 'href="/en/staff/notifications/">Notifications<span class="badge" aria-hidden="true"> (3)</span>' \
           '<span class="visually-hidden">, 3 unread</span></a>' in body

    with translation.override("en"):
        body = _login(client, city, "expert2").get("/en/staff/").content.decode()
    assert 'href="/en/staff/notifications/">Notifications</a>' in body


def test_the_badge_caps_its_count(city: City) -> None:
    from civicdesk.cases.models import EntryKind, TimelineEntry
    from civicdesk.notifications.selectors import unread_badge_for

    case = city.case()
    entries = TimelineEntry.objects.bulk_create(
        [TimelineEntry(case=case, kind=EntryKind.INTERNAL_NOTE, created_at=timezone.now()) for _ in range(101)]
    )
    Notification.objects.bulk_create([
        Notification(recipient=city.users["expert"], case=case, entry=entry, kind=NotificationKind.FOLLOWED_CASE)
        for entry in entries
    ])
    badge = unread_badge_for(user=city.users["expert"])
    assert (badge.count, badge.more) == (99, True)
    assert unread_badge_for(user=city.users["expert2"]).count == 0


def test_the_list_page_costs_the_same_for_many_notifications(client: Client, city: City, committed: Any,
                                                             django_assert_max_num_queries: Any) -> None:
    _notify(city, committed, cases=2)
    _login(client, city, "expert").get(LIST)  # the first request records presence
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    cases = _notify(city, committed, cases=20)
    for case in cases[:5]:
        services.case_follow(user=city.fresh("expert"), case=case)
    services.notifications_mark_all_read(user=city.fresh("expert"))
    _notify(city, committed, cases=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.content.decode().count('class="notification"') == 27
    with django_assert_max_num_queries(14):
        client.get(LIST)


def test_mark_one_read_touches_only_ones_own(client: Client, city: City, committed: Any) -> None:
    _notify(city, committed)
    mine = Notification.objects.get()
    with translation.override("en"):
        response = _login(client, city, "expert2").post(f"/en/staff/notifications/{mine.pk}/read/")
    assert response.status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None

    response = _login(client, city, "expert").post(f"/en/staff/notifications/{mine.pk}/read/")
    assert response.status_code == 303
    assert response["Location"] == LIST
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_mark_all_read_touches_only_ones_own(client: Client, city: City, committed: Any) -> None:
    case = _notify(city, committed, cases=2)[0]
    with committed():
        case_services.case_request_comment(case=case, actor=city.fresh("expert"), question="?",
                                           from_user=city.fresh("parks_expert"))
    response = _login(client, city, "expert").post("/en/staff/notifications/read-all/")
    assert response.status_code == 303
    assert not Notification.objects.filter(recipient=city.users["expert"], read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=city.users["parks_expert"]).read_at is None


def test_opening_marks_the_cases_notifications_read_and_goes_to_the_case(client: Client, city: City,
                                                                        committed: Any) -> None:
    case = _notify(city, committed)[0]
    with committed():
        case_services.case_record_customer_message(case=case, body="Viesti")
    first = Notification.objects.order_by("pk").first()
    assert first is not None

    assert _login(client, city, "expert2").get(f"/en/staff/notifications/{first.pk}/open/").status_code == 404
    assert Notification.objects.filter(read_at__isnull=True).count() == 2

    response = _login(client, city, "expert").get(f"/en/staff/notifications/{first.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/en/staff/cases/{case.reference}/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_a_notification_of_a_case_out_of_reach_is_listed_without_it(client: Client, city: City,
                                                                    committed: Any) -> None:
    case = _notify(city, committed)[0]
    case_services.case_reclassify(case=case, actor=city.fresh("advisor"), contains_special_categories=True)
    notification = Notification.objects.get()

    with translation.override("en"):
        body = _login(client, city, "expert").get(LIST).content.decode()
    assert "You can no longer open this case." in body
    assert case.title not in body
    assert client.get(f"/en/staff/notifications/{notification.pk}/open/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert client.post(f"/en/staff/notifications/{notification.pk}/read/").status_code == 303


def test_bad_ids_and_methods(client: Client, city: City) -> None:
    _login(client, city, "expert")
    assert client.post("/en/staff/notifications/999999/read/").status_code == 404
    assert client.get("/en/staff/notifications/999999/open/").status_code == 404
    assert client.post("/en/staff/notifications/follow/999999/", {"follow": "1"}).status_code == 404
    assert client.get("/en/staff/notifications/read-all/").status_code == 405
    assert client.get("/en/staff/notifications/1/read/").status_code == 405


def test_posts_need_the_csrf_token(city: City, committed: Any) -> None:
    case = _notify(city, committed)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.users["expert"])
    notification = Notification.objects.get()

    assert client.post(f"/en/staff/notifications/{notification.pk}/read/").status_code == 403
    assert client.post("/en/staff/notifications/read-all/").status_code == 403
    assert client.post(f"/en/staff/notifications/follow/{case.pk}/", {"follow": "1"}).status_code == 403
    assert client.post(SETTINGS, {}).status_code == 403
    notification.refresh_from_db()
    assert notification.read_at is None
    assert not CaseFollow.objects.exists()


def test_pages_need_login(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"/en/accounts/login/?next={LIST}"


def test_follow_button_on_the_case_page(client: Client, city: City) -> None:
    case = city.case()
    _login(client, city, "expert")
    with translation.override("en"):
        page = client.get(f"/en/staff/cases/{case.reference}/").content.decode()
    assert f'action="/en/staff/notifications/follow/{case.pk}/"' in page
    assert "Follow this case" in page

    response = client.post(f"/en/staff/notifications/follow/{case.pk}/", {"follow": "1"})
    assert response.status_code == 303
    assert response["Location"] == f"/en/staff/cases/{case.reference}/"
    assert CaseFollow.objects.filter(user=city.users["expert"], case=case).exists()
    with translation.override("en"):
        page = client.get(f"/en/staff/cases/{case.reference}/").content.decode()
    assert "Stop following" in page

    client.post(f"/en/staff/notifications/follow/{case.pk}/", {"follow": "0", "next": "list"})
    assert not CaseFollow.objects.exists()


def test_follow_over_htmx_answers_with_the_button(client: Client, city: City) -> None:
    case = city.case()
    with translation.override("en"):
        response = _login(client, city, "expert").post(
            f"/en/staff/notifications/follow/{case.pk}/", {"follow": "1"}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="case-follow-form"' in body
    assert "Stop following" in body
    assert 'hx-swap-oob="innerHTML">You follow this case now.' in body


def test_following_a_case_one_may_not_see_is_404_and_changes_nothing(client: Client, city: City) -> None:
    case = city.case(case_type=city.special_type, categories=[city.category_social], contains_special_categories=True)
    response = _login(client, city, "advisor").post(f"/en/staff/notifications/follow/{case.pk}/", {"follow": "1"})
    assert response.status_code == 404
    assert not CaseFollow.objects.exists()


def test_a_bad_follow_choice_is_400(client: Client, city: City) -> None:
    case = city.case()
    with translation.override("en"):
        response = _login(client, city, "expert").post(f"/en/staff/notifications/follow/{case.pk}/",
                                                       {"follow": "maybe"})
    assert response.status_code == 400
    assert "Choose whether to follow the case." in response.content.decode()
    assert not CaseFollow.objects.exists()


def test_settings_page_saves_choices(client: Client, city: City) -> None:
    _login(client, city, "expert")
    with translation.override("en"):
        page = client.get(SETTINGS).content.decode()
    assert "<legend>A case is assigned to me</legend>" in page
    assert page.count("<fieldset") == len(NotificationKind.values) + 1

    data = dict.fromkeys(NotificationKind.values, Delivery.IN_APP)
    data[NotificationKind.CASE_ASSIGNED] = Delivery.OFF
    response = client.post(SETTINGS, {**data, "email_interval": "1440"})
    assert response.status_code == 303
    saved = NotificationSettings.objects.get(user=city.users["expert"])
    assert saved.email_interval == 1440
    assert saved.delivery_for(NotificationKind.CASE_ASSIGNED) == Delivery.OFF
    assert saved.delivery_for(NotificationKind.CUSTOMER_MESSAGE) == Delivery.IN_APP


def test_bad_settings_are_400_with_a_translated_error_and_nothing_saved(client: Client, city: City) -> None:
    _login(client, city, "expert")
    data = dict.fromkeys(NotificationKind.values, Delivery.EMAIL)
    with translation.override("en"):
        response = client.post(SETTINGS, {**data, NotificationKind.CASE_SHARED: "loudly", "email_interval": "60"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "Select a valid choice." in body
    with translation.override("en"):
        response = client.post(SETTINGS, {**data, "email_interval": "7"})
    assert response.status_code == 400
    assert not NotificationSettings.objects.exists()


def test_presence_is_recorded_at_most_every_few_minutes(client: Client, city: City) -> None:
    _login(client, city, "expert")
    client.get(LIST)
    seen = UserActivity.objects.get(user=city.users["expert"]).last_seen_at
    assert timezone.now() - seen < dt.timedelta(minutes=1)

    UserActivity.objects.update(last_seen_at=seen - dt.timedelta(minutes=1))
    client.get(LIST)
    assert UserActivity.objects.get().last_seen_at == seen - dt.timedelta(minutes=1)  # throttled

    session = client.session
    session["notifications_seen_at"] = int(session["notifications_seen_at"]) - 600
    session.save()
    client.get(LIST)
    assert UserActivity.objects.get().last_seen_at > seen


def test_anonymous_requests_record_nothing(client: Client) -> None:
    client.get("/accounts/login/")
    assert not UserActivity.objects.exists()
