"""Who is told of what: each case event reaches the people it concerns, never the actor, never
anyone who may not see the case, and only as their settings say."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone, translation

from civicdesk.cases import services as case_services
from civicdesk.cases.models import CaseKind, EntryKind, Status, TimelineEntry
from civicdesk.notifications import services
from civicdesk.notifications.models import CaseFollow, Delivery, Notification, NotificationKind
from tests.factories import City

pytestmark = pytest.mark.django_db


def told(city: City, **filters: Any) -> dict[str, str]:
    """Role name in the city -> kind, for the notifications matching `filters`."""
    names = {user.pk: name for name, user in city.users.items()}
    return {
        names.get(recipient_id, str(recipient_id)): kind
        for recipient_id, kind in Notification.objects.filter(**filters).values_list("recipient_id", "kind")
    }


def test_assigning_tells_the_new_handler_only(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        case_services.case_assign(case=case, actor=city.fresh("advisor"), handler=city.fresh("expert"))

    assert told(city) == {"expert": NotificationKind.CASE_ASSIGNED}
    notification = Notification.objects.get()
    assert notification.actor == city.users["advisor"]
    assert notification.case == case
    assert notification.by_email  # the default for what is addressed to you
    with translation.override("en"):
        assert notification.summary() == f"{city.users['advisor']} made you the handler of case {case.reference}."


def test_taking_a_case_tells_nobody(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        case_services.case_take(case=case, actor=city.fresh("expert"))
    assert told(city) == {}


def test_forwarding_tells_the_new_group_and_the_sender_follows(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        case_services.case_forward(case=case, actor=city.fresh("expert"), to_group=city.parks, message="Teille")

    assert told(city) == {"parks_expert": NotificationKind.CASE_TO_GROUP}
    assert Notification.objects.get().service_group == city.parks
    assert CaseFollow.objects.filter(user=city.users["expert"], case=case).exists()

    # What happens after the hand-over reaches the sender, who follows the case now.
    with committed():
        case_services.case_take(case=case, actor=city.fresh("parks_expert"))
    assert told(city, entry__kind=EntryKind.HANDLER_CHANGE) == {"expert": NotificationKind.FOLLOWED_CASE}
    with translation.override("en"):
        summary = Notification.objects.get(recipient=city.users["expert"]).summary()
    assert summary == f"Case {case.reference}, which you follow: Handler changed ({city.users['parks_expert']})."


def test_forwarding_with_a_handler_tells_them_once_as_handler(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        case_services.case_assign(case=case, actor=city.fresh("advisor"), service_group=city.parks,
                                  handler=city.fresh("parks_expert"))
    assert told(city) == {"parks_expert": NotificationKind.CASE_ASSIGNED}
    # case_assign to another group is a forward too: the sender follows.
    assert CaseFollow.objects.filter(user=city.users["advisor"], case=case).exists()


def test_comment_request_and_its_answer(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        request = case_services.case_request_comment(
            case=case, actor=city.fresh("expert"), question="Onko tämä teidän?", from_user=city.fresh("parks_expert")
        )
    assert told(city) == {"parks_expert": NotificationKind.COMMENT_REQUESTED}

    with committed():
        case_services.comment_request_answer(comment_request=request, actor=city.fresh("parks_expert"), answer="Ei.")
    assert told(city, entry__kind=EntryKind.COMMENT_REPLY) == {"expert": NotificationKind.COMMENT_ANSWERED}


def test_comment_request_to_a_group(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        case_services.case_request_comment(case=case, actor=city.fresh("advisor"), question="Kommentoikaa",
                                           from_group=city.streets)
    assert told(city) == {"expert": NotificationKind.COMMENT_REQUESTED, "expert2": NotificationKind.COMMENT_REQUESTED}
    assert {n.service_group for n in Notification.objects.all()} == {city.streets}


def test_sending_for_information_to_a_person_and_to_a_group(city: City, committed: Any) -> None:
    case = city.case()
    with committed():
        case_services.case_send_for_information(case=case, actor=city.fresh("advisor"), message="Tiedoksi",
                                                to_user=city.fresh("reporter"))
        case_services.case_send_for_information(case=case, actor=city.fresh("advisor"), message="Tiedoksi",
                                                to_group=city.parks)
    assert told(city) == {"reporter": NotificationKind.CASE_SHARED, "parks_expert": NotificationKind.CASE_SHARED}


def test_customer_message_tells_the_handler_and_says_when_it_reopened_the_case(city: City, committed: Any) -> None:
    case = city.case()
    case_services.case_take(case=case, actor=city.fresh("expert"))
    with committed():
        case_services.case_record_customer_message(case=case, body="Lisätietoa: kuoppa on syvä.")
    assert told(city) == {"expert": NotificationKind.CUSTOMER_MESSAGE}
    assert Notification.objects.get().params == {}

    case_services.case_close(case=case, actor=city.fresh("expert"), reply="Korjattu.")
    Notification.objects.all().delete()
    with committed():
        case_services.case_record_customer_message(case=case, body="Ei ole korjattu!")
    case.refresh_from_db()
    assert case.status != Status.CLOSED
    # One notification for the message, none for the reopening it caused.
    assert told(city) == {"expert": NotificationKind.CUSTOMER_MESSAGE}
    notification = Notification.objects.get()
    assert notification.params == {"reopened": True}
    with translation.override("en"):
        assert "reopened" in notification.summary()


def test_staff_logging_a_customer_message_is_not_told_of_it(city: City, committed: Any) -> None:
    case = city.case()
    case_services.case_take(case=case, actor=city.fresh("expert"))
    with committed():
        case_services.case_record_customer_message(case=case, body="Soitti", actor=city.fresh("expert"))
    assert told(city) == {}


def test_reopening_tells_the_handler(city: City, committed: Any) -> None:
    case = city.case(answer_requested=False)
    case_services.case_take(case=case, actor=city.fresh("expert"))
    case_services.case_close(case=case, actor=city.fresh("expert"))
    with committed():
        case_services.case_reopen(case=case, actor=city.fresh("advisor"), reason="Ei valmis")
    assert told(city) == {"expert": NotificationKind.CASE_REOPENED}


def test_followers_hear_of_everything_but_the_actor_does_not(city: City, committed: Any) -> None:
    case = city.case()
    services.case_follow(user=city.fresh("expert2"), case=case)
    services.case_follow(user=city.fresh("advisor"), case=case)
    with committed():
        case_services.case_add_note(case=case, actor=city.fresh("advisor"), body="Tarkistettu.")
    assert told(city) == {"expert2": NotificationKind.FOLLOWED_CASE}
    assert Notification.objects.get().params == {"entry_kind": EntryKind.INTERNAL_NOTE}
    assert not Notification.objects.get().by_email  # followed cases: in the app only, by default


def test_a_reply_that_waits_for_the_customer_is_one_notification(city: City, committed: Any) -> None:
    case = city.case()
    services.case_follow(user=city.fresh("expert2"), case=case)
    with committed():
        case_services.case_reply(case=case, actor=city.fresh("advisor"), body="Missä?", wait_for_customer=True)
    # The status change that comes with the reply is not news of its own.
    assert list(Notification.objects.values_list("params__entry_kind", flat=True)) == [EntryKind.OUTBOUND_REPLY]


def test_special_category_case_reaches_only_the_named_groups(city: City, committed: Any) -> None:
    case = city.case(case_type=city.special_type, categories=[city.category_social])
    assert case.owner_group == city.social
    # The advisor follows while the case is ordinary, and hears of a note.
    services.case_follow(user=city.fresh("advisor"), case=case)
    with committed():
        case_services.case_add_note(case=case, actor=city.fresh("social_expert"), body="Ensimmäinen")
    assert told(city) == {"advisor": NotificationKind.FOLLOWED_CASE}

    case_services.case_reclassify(case=case, actor=city.fresh("social_expert"), contains_special_categories=True)
    Notification.objects.all().delete()
    with committed():
        case_services.case_add_note(case=case, actor=city.fresh("social_expert"), body="Arkaluonteinen")
        case_services.case_record_customer_message(case=case, body="Lisää tietoa terveydestäni")
    # The advisor still follows but may no longer see the case: nothing reaches them.
    assert CaseFollow.objects.filter(user=city.users["advisor"], case=case).exists()
    assert told(city) == {}


def test_the_handler_who_lost_access_is_not_told(city: City, committed: Any) -> None:
    case = city.case(case_type=city.types[CaseKind.FAULT_REPORT])
    case_services.case_take(case=case, actor=city.fresh("expert"))
    # Marked special on a type that names no group: only superusers may see it now.
    case_services.case_reclassify(case=case, actor=city.fresh("advisor"), contains_special_categories=True)
    with committed():
        case_services.case_record_customer_message(case=case, body="Viesti")
    assert told(city) == {}


def test_settings_off_and_in_app(city: City, committed: Any) -> None:
    expert = city.fresh("expert")
    deliveries = dict.fromkeys(NotificationKind.values, Delivery.EMAIL)
    services.notification_settings_save(
        user=expert, deliveries={**deliveries, NotificationKind.CASE_ASSIGNED: Delivery.OFF}, email_interval=60
    )
    case = city.case()
    with committed():
        case_services.case_assign(case=case, actor=city.fresh("advisor"), handler=city.fresh("expert"))
    assert told(city) == {}

    services.notification_settings_save(
        user=expert, deliveries={**deliveries, NotificationKind.CUSTOMER_MESSAGE: Delivery.IN_APP}, email_interval=60
    )
    with committed():
        case_services.case_record_customer_message(case=case, body="Viesti")
    notification = Notification.objects.get()
    assert notification.kind == NotificationKind.CUSTOMER_MESSAGE
    assert not notification.by_email


def test_nothing_is_told_of_rolled_back_work(city: City, committed: Any) -> None:
    case = city.case()

    def failing_work() -> None:
        with transaction.atomic():
            case_services.case_assign(case=case, actor=city.fresh("advisor"), handler=city.fresh("expert"))
            raise RuntimeError("the surrounding work failed")

    with committed() as callbacks, pytest.raises(RuntimeError):
        failing_work()
    assert callbacks == []
    assert not Notification.objects.exists()


def test_creating_notifications_twice_tells_once(city: City) -> None:
    case = city.case()
    case_services.case_assign(case=case, actor=city.fresh("advisor"), handler=city.fresh("expert"))
    entry = TimelineEntry.objects.get(case=case, kind=EntryKind.HANDLER_CHANGE)

    assert services.notifications_create_for_entry(entry_id=entry.pk) == 1
    services.notifications_create_for_entry(entry_id=entry.pk)
    assert Notification.objects.count() == 1
    assert services.notifications_create_for_entry(entry_id=10**9) == 0


def test_history_written_in_the_past_tells_nobody(city: City, django_capture_on_commit_callbacks: Any) -> None:
    case = city.case()
    entry = TimelineEntry.objects.get(case=case)
    entry.kind = EntryKind.INTERNAL_NOTE
    entry.created_at = timezone.now() - dt.timedelta(days=30)
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify_case_event(entry=entry)
    assert callbacks == []
    entry.created_at = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        services.notify_case_event(entry=entry)
    assert len(callbacks) == 1


def test_following_needs_access_and_unfollowing_is_idempotent(city: City) -> None:
    from civicdesk.core.errors import NotFoundError

    case = city.case(case_type=city.special_type, categories=[city.category_social], contains_special_categories=True)
    with pytest.raises(NotFoundError):
        services.case_follow(user=city.fresh("advisor"), case=case)
    assert not CaseFollow.objects.exists()
    services.case_follow(user=city.fresh("social_expert"), case=case)
    services.case_follow(user=city.fresh("social_expert"), case=case)
    assert CaseFollow.objects.count() == 1
    services.case_unfollow(user=city.fresh("social_expert"), case=case)
    services.case_unfollow(user=city.fresh("social_expert"), case=case)
    assert not CaseFollow.objects.exists()


def test_bad_settings_are_refused(city: City) -> None:
    from civicdesk.core.errors import InvalidInputError
    from civicdesk.notifications.models import NotificationSettings

    good = dict.fromkeys(NotificationKind.values, Delivery.EMAIL)
    with translation.override("en"), pytest.raises(InvalidInputError, match="Choose how"):
        services.notification_settings_save(user=city.fresh("expert"), deliveries={**good, "case_assigned": "loud"},
                                            email_interval=60)
    with translation.override("en"), pytest.raises(InvalidInputError, match="how often"):
        services.notification_settings_save(user=city.fresh("expert"), deliveries=good, email_interval=7)
    assert not NotificationSettings.objects.exists()
