"""Signals of defective procedures (R6.5): ping-pong, repeated reopening, overdue untouched, unnecessary late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case
from civicdesk.routing.procedures import procedure_signals
from tests.factories import City

pytestmark = pytest.mark.django_db


def _flagged(report, signal: str) -> set[str]:
    return {case.reference for case in report.cases[signal]}


def test_each_signal_finds_its_cases_and_only_those(city: City):
    advisor = city.fresh("advisor")
    calm = city.case(title="Tavallinen asia")
    case_services.case_forward(case=calm, actor=advisor, to_group=city.parks)

    bounced = city.case(title="Pallottelu")  # streets → parks → streets
    case_services.case_forward(case=bounced, actor=advisor, to_group=city.parks)
    case_services.case_forward(case=bounced, actor=advisor, to_group=city.streets)

    reopened = city.case(title="Ei ratkennut", answer_requested=False)
    for _round in range(2):
        case_services.case_close(case=reopened, actor=advisor)
        case_services.case_reopen(case=reopened, actor=advisor, reason="Asiakas soitti uudelleen")

    overdue = city.case(title="Unohtunut")
    past = timezone.now() - dt.timedelta(days=3)
    Case.objects.filter(pk=overdue.pk).update(due_at=past, last_activity_at=past - dt.timedelta(days=1))
    touched = city.case(title="Myöhässä mutta työn alla")
    Case.objects.filter(pk=touched.pk).update(due_at=past, last_activity_at=timezone.now())

    late = city.case(title="Turha pitkän käsittelyn jälkeen")
    case_services.case_close_unnecessary(case=late, actor=advisor, reason="Ei kaupungin asia")
    Case.objects.filter(pk=late.pk).update(created_at=timezone.now() - dt.timedelta(days=20))
    quick = city.case(title="Turha heti")
    case_services.case_close_unnecessary(case=quick, actor=advisor, reason="Roskaposti")

    report = procedure_signals(user=city.fresh("advisor"), organization_id=city.org.pk)
    assert _flagged(report, "ping_pong") == {bounced.reference}
    assert "→" in report.cases["ping_pong"][0].detail
    assert _flagged(report, "reopened") == {reopened.reference}
    assert _flagged(report, "overdue_untouched") == {overdue.reference}
    assert _flagged(report, "unnecessary_late") == {late.reference}
    assert report.total == 4
    assert sum(row.total for row in report.rows) == 4
    assert calm.reference not in {c.reference for found in report.cases.values() for c in found}


def test_the_signals_respect_who_may_see_the_cases(city: City):
    advisor = city.fresh("advisor")
    secret = city.case(title="Arkaluonteinen", case_type=city.special_type, owner_group=city.social,
                       categories=[city.category_social], contains_special_categories=True)
    Case.objects.filter(pk=secret.pk).update(due_at=timezone.now() - dt.timedelta(days=2),
                                             last_activity_at=timezone.now() - dt.timedelta(days=5))
    assert secret.reference not in _flagged(procedure_signals(user=advisor, organization_id=city.org.pk),
                                            "overdue_untouched")
    assert secret.reference in _flagged(procedure_signals(user=city.fresh("social_expert"),
                                                          organization_id=city.org.pk), "overdue_untouched")


def test_the_page_for_advisors_and_a_clear_refusal_for_others(client, city: City):
    client.force_login(city.fresh("advisor"))
    page = client.get(reverse("routing:procedures"))
    assert page.status_code == 200
    assert page.context["report"].total == 0
    assert client.get(reverse("routing:procedures"), {"days": "7"}).status_code == 400
    assert client.get(reverse("routing:procedures"), {"days": "x"}).status_code == 400
    client.force_login(city.fresh("partner"))
    assert client.get(reverse("routing:procedures")).status_code == 404
