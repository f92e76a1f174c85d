"""Service levels: business-hours due times across holidays, pauses while waiting, warnings and escalation
fired by the periodic job, and the admin's refusals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case, Channel, EntryKind, Priority, Status
from civicdesk.intake.services import case_intake
from civicdesk.notifications.models import Notification, NotificationKind
from civicdesk.privacy.models import AuditEntry
from civicdesk.routing import services as routing_services
from civicdesk.routing.models import CaseServiceLevel, RoutingRule, ServiceLevel
from civicdesk.routing.service_levels import service_level_apply, service_levels_check
from civicdesk.routing.tasks import service_levels_check_task
from tests.factories import City

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
# Wednesday before Christmas, 14:00: the streets group works Mon–Fri 8–16, Christmas Eve and Day are off.
ARRIVAL = dt.datetime(2026, 12, 23, 14, 0, tzinfo=HELSINKI)


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=HELSINKI)


def _level(city: City, **values) -> ServiceLevel:
    level = ServiceLevel.objects.create(organization=city.org, name=values.pop("name", "Katuvauriot"),
                                        first_response_hours=values.pop("first_response_hours", 2),
                                        resolution_hours=values.pop("resolution_hours", 8), **values)
    level.full_clean()
    return level


def _case(city: City, **values) -> Case:
    return city.case(owner_group=city.streets, created_at=ARRIVAL, **values)


def test_due_times_count_business_hours_of_the_groups_calendar_across_christmas(city: City):
    _level(city)
    case = _case(city)
    state = service_level_apply(case=case)
    assert state is not None
    assert state.first_response_due == _at(23, 16)  # 2 h: the rest of Wednesday
    # 8 h: Wednesday 14–16, then Christmas Eve, Christmas Day and the weekend are closed: Monday 8–14.
    assert state.resolution_due == _at(28, 14)
    case.refresh_from_db()
    assert case.due_at == _at(28, 14)
    assert service_level_apply(case=case) is None  # once per case


def test_the_first_matching_level_in_order_applies(city: City):
    _level(city, name="Puistot", position=1, resolution_hours=40).groups.add(city.parks)
    _level(city, name="Kadut", position=2, resolution_hours=16).categories.add(city.category_streets)
    _level(city, name="Kaikki", position=3, resolution_hours=80)
    state = service_level_apply(case=_case(city))
    assert state is not None
    assert state.service_level is not None
    assert state.service_level.name == "Kadut"


def test_warning_then_breach_escalate_once_each_from_the_periodic_job(city: City, django_capture_on_commit_callbacks):
    _level(city, warn_before_hours=4, breach_raise_priority=True, breach_group=city.parks)
    case = _case(city)
    service_level_apply(case=case)
    case_services.case_reply(case=case, actor=city.fresh("expert"), body="Selvitämme asiaa.")

    with django_capture_on_commit_callbacks(execute=True):
        first = service_levels_check(now=_at(28, 9))  # 5 business hours left
        done = service_levels_check(now=_at(28, 11))  # 3 left: within the 4-hour warning
    assert (first["warned"], first["responded"]) == (0, 1)  # the reply was the first answer
    assert (done["warned"], done["breached"]) == (1, 0)
    warning = case.timeline.get(kind=EntryKind.SERVICE_LEVEL, data__event="warning")
    assert "Katuvauriot" in warning.body
    warned = set(Notification.objects.filter(kind=NotificationKind.SERVICE_LEVEL, entry=warning)
                 .values_list("recipient__username", flat=True))
    assert warned == {"testcity-expert"}  # the handler (replying made the expert the handler)
    assert service_levels_check(now=_at(28, 12))["warned"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        done = service_levels_check(now=_at(28, 14, 30))
    assert done["breached"] == 1
    case.refresh_from_db()
    assert case.owner_group == city.parks
    assert case.priority == Priority.NORMAL + 1
    breach = case.timeline.get(kind=EntryKind.SERVICE_LEVEL, data__event="breach")
    assert breach.data["changes"]["owner_group"] == [city.streets.pk, city.parks.pk]
    assert Notification.objects.filter(entry=breach, recipient=city.users["parks_expert"]).exists()
    assert AuditEntry.objects.filter(action="case.service_level_breach", object_id=str(case.pk)).exists()
    assert service_levels_check_task() == {"responded": 0, "paused": 0, "resumed": 0, "warned": 0,
                                           "response_breached": 0, "breached": 0}


def test_no_answer_in_time_is_a_response_breach_and_waiting_for_the_customer_pauses_the_clock(city: City):
    _level(city)
    case = _case(city)
    service_level_apply(case=case)
    assert service_levels_check(now=_at(23, 16, 5))["response_breached"] == 1
    assert case.timeline.filter(kind=EntryKind.SERVICE_LEVEL, data__event="response_breach").count() == 1

    case_services.case_reply(case=case, actor=city.fresh("expert"), body="Missä kohtaa tarkalleen?",
                             wait_for_customer=True)
    case.refresh_from_db()
    assert case.status == Status.WAITING
    done = service_levels_check(now=_at(28, 9))
    assert (done["paused"], done["responded"]) == (1, 1)
    assert service_levels_check(now=_at(29, 9))["breached"] == 0  # past the due time, but paused
    case_services.case_record_customer_message(case=case, body="Rantakadun ja Puistotien kulmassa.")
    assert service_levels_check(now=_at(29, 10))["resumed"] == 1
    state = CaseServiceLevel.objects.get(case=case)
    # Paused from Monday 9:00 to Tuesday 10:00: 7 + 2 = 9 business hours later than Monday 14:00.
    assert state.resolution_due == _at(29, 15)
    case.refresh_from_db()
    assert case.due_at == _at(29, 15)


def test_a_new_contact_gets_its_level_through_routing_unless_a_rule_sets_the_due_time(city: City):
    _level(city, resolution_hours=16)
    case = case_intake(organization=city.org, channel=Channel.WEB_FORM, case_type=city.types["fault_report"],
                       description="Katuvalo ei pala Rantakadulla.", owner_group=city.streets)
    routing_services.route_case(case=case)
    assert CaseServiceLevel.objects.filter(case=case).exists()
    RoutingRule.objects.create(organization=city.org, name="Kiireelliset", keywords="kiire", due_in_hours=2)
    urgent = case_intake(organization=city.org, channel=Channel.WEB_FORM, case_type=city.types["fault_report"],
                         description="Kiire: vesi valuu kadulle.", owner_group=city.streets)
    routing_services.route_case(case=urgent)
    urgent.refresh_from_db()
    assert urgent.due_at == urgent.created_at + dt.timedelta(hours=2)  # the rule's time stands


@pytest.mark.parametrize(("values", "field"), [
    ({"first_response_hours": None, "resolution_hours": None}, "resolution_hours"),
    ({"first_response_hours": 10, "resolution_hours": 8}, "first_response_hours"),
    ({"resolution_hours": 4, "warn_before_hours": 4}, "warn_before_hours"),
])
def test_a_level_that_cannot_work_is_refused_with_the_reason(city: City, values, field):
    with pytest.raises(ValidationError) as refused:
        _level(city, **values)
    assert field in refused.value.message_dict


def test_a_breach_group_of_another_organisation_is_refused(city: City, other_city: City):
    with pytest.raises(ValidationError) as refused:
        _level(city, breach_group=other_city.parks)
    assert "breach_group" in refused.value.message_dict
