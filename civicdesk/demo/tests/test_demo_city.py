"""The demo city: complete (every role, state and district), consistent (timelines, audit chain,
anonymised publications) and loaded only once."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from civicdesk.accounts.models import Membership, Role, User
from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case, CaseType, Category, Resolution, Status, TimelineEntry
from civicdesk.demo.builder import (
    DEFAULT_PASSWORD,
    DemoClock,
    demo_city_build,
    demo_time_travel,
    district_outlines,
    load_helsinki_feedback,
)
from civicdesk.demo.catalogue import DEMO_LOGINS, ORGANIZATION_SLUG, SOCIAL_GROUP
from civicdesk.organizations.models import Organization, ServiceGroup
from civicdesk.organizations.selectors import area_for_point
from civicdesk.privacy.models import AuditEntry
from civicdesk.privacy.services import audit_verify_chain

CASES = 60


@pytest.mark.django_db
def test_demo_city_is_complete_consistent_and_built_once() -> None:
    report = demo_city_build(cases=CASES, seed=7)

    assert report.created
    assert report.skipped == []
    org = Organization.objects.get(slug=ORGANIZATION_SLUG)
    assert Organization.objects.filter(pk=org.pk, name_sv="Havsviks stad", name_en="City of Merilahti").exists()
    cases = Case.objects.filter(organization=org)
    assert cases.count() == CASES

    # Every role has a user; the admins reach Django's admin without being superusers.
    roles = set(Membership.objects.filter(organization=org).values_list("role", flat=True))
    assert roles == set(Role.values)
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(DEFAULT_PASSWORD)
        assert not user.is_superuser
        assert user.is_staff == (login.username in {"techadmin", "contentadmin"})
    viewer = Membership.objects.get(user__username="viewer", organization=org, role=Role.VIEWER)
    assert viewer.areas.count() == 2

    # Configuration: one intake group, one partner group, translated categories, the special type.
    groups = ServiceGroup.objects.filter(organization=org)
    assert groups.filter(is_intake=True).count() == 1
    assert groups.filter(kind=ServiceGroup.Kind.PARTNER).count() == 1
    assert all(group.calendar_id for group in groups)
    categories = Category.objects.filter(organization=org)
    assert categories.count() >= 30
    assert not categories.filter(name_sv="").exists()
    assert not categories.filter(name_en="").exists()
    special = CaseType.objects.get(organization=org, code="sosiaalipalvelujen-palaute")
    assert list(special.special_data_groups.values_list("code", flat=True)) == [SOCIAL_GROUP]

    # Every located case lies in the district it was filed under.
    located = cases.exclude(lat=None)
    assert located.count() > CASES // 3
    for case in located:
        assert case.lat is not None
        assert case.lon is not None
        area = area_for_point(organization=org, lat=case.lat, lon=case.lon)
        assert area is not None
        assert area.pk == case.area_id

    # Every state appears, within the last two years.
    assert set(cases.values_list("status", flat=True)) == set(Status.values)
    oldest = timezone.now() - dt.timedelta(days=731)
    assert not cases.filter(created_at__lt=oldest).exists()
    assert not cases.filter(created_at__gt=timezone.now()).exists()

    # Handled cases have a history (merged cases hand theirs to the case they were merged into).
    handled = cases.exclude(handler=None).exclude(resolution=Resolution.MERGED).annotate(n=Count("timeline"))
    assert handled.exists()
    assert all(case.n > 1 for case in handled)
    closed = cases.filter(status=Status.CLOSED).exclude(resolution=Resolution.MERGED)
    assert all(case.closed_at and case.closed_at >= case.created_at for case in closed)
    assert not TimelineEntry.objects.filter(case__organization=org, created_at__gt=timezone.now()).exists()

    # Publications are anonymised.
    published = cases.filter(is_published=True)
    for case in published:
        public = f"{case.public_title}\n{case.public_text}\n{case.public_answer}"
        assert not case_services.EMAIL_IN_TEXT_RE.search(public)
        for personal in (case.customer_email, case.customer_phone, case.customer_name):
            assert not personal or personal.lower() not in public.lower()

    # The audit log is complete, intact and in calendar order.
    assert audit_verify_chain().ok
    times = list(AuditEntry.objects.filter(organization=org).order_by("sequence").values_list("created_at", flat=True))
    assert len(times) >= CASES
    assert all(a <= b for a, b in itertools.pairwise(times))

    # The fault reports' workflow is in use, and every open fault report is in a step of its status.
    from civicdesk.routing.models import CaseWorkflow, Workflow, WorkflowStatus
    from civicdesk.routing.workflows import workflow_problems

    workflow = Workflow.objects.get(organization=org, status=WorkflowStatus.ACTIVE)
    assert workflow_problems(workflow) == []
    assert getattr(workflow.states.get(code="work"), "name_sv") == "Under arbete"  # noqa: B009 (modeltranslation)
    open_faults = Case.objects.filter(organization=org, case_type=workflow.case_type).exclude(status="closed")
    rows = CaseWorkflow.objects.filter(case__in=open_faults).select_related("state", "case")
    assert rows.count() == open_faults.count()
    assert all(row.state.phase == row.case.status for row in rows)

    # A second run changes nothing.
    counts = (Case.objects.count(), User.objects.count(), AuditEntry.objects.count(), Organization.objects.count())
    assert not demo_city_build(cases=CASES, seed=7).created
    assert (Case.objects.count(), User.objects.count(), AuditEntry.objects.count(),
            Organization.objects.count()) == counts


def test_districts_tile_the_box_without_gaps_or_overlaps() -> None:
    outlines = [shape(o) for o in district_outlines(rng=random.Random(1))]
    assert len(outlines) == 8
    assert all(o.is_valid for o in outlines)
    for a, b in itertools.combinations(outlines, 2):
        assert a.intersection(b).area < 1e-12
    # One outline without holes whose area is the sum of the parts: no gaps, no overlaps.
    union = unary_union(outlines)
    assert union.geom_type == "Polygon"
    assert not union.interiors
    assert union.area == pytest.approx(sum(o.area for o in outlines), rel=1e-9)
    assert union.covers(Point(24.94, 60.17))


def test_time_travel_moves_the_services_clock_and_restores_it() -> None:
    moment = timezone.now() - dt.timedelta(days=100)
    with demo_time_travel(DemoClock(moment)):
        assert timezone.now() == moment
        assert case_services._now() == moment
        assert timezone.now().utcoffset() == dt.timedelta(0)
    assert timezone.now() > moment + dt.timedelta(days=99)


def test_real_feedback_is_scrubbed(tmp_path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text(
        '{"service_code": "171", "title": "Kuoppa", "description": "Iso kuoppa, soita 040 123 4567 tai '
        'maija@example.fi", "answer": "Korjataan ensi viikolla.\\nTerveisin\\nRakennusvirasto p. 09 310 39000"}\n',
        encoding="utf-8",
    )
    (feedback,) = load_helsinki_feedback(path=path)["171"]
    assert "040" not in feedback.description
    assert "@" not in feedback.description
    assert feedback.answer == "Korjataan ensi viikolla."
    assert load_helsinki_feedback(path=tmp_path / "missing.jsonl") == {}


def test_reset_explains_how_to_rebuild() -> None:
    with pytest.raises(CommandError, match="make demo-reset"):
        call_command("demo_city", "--reset")


@pytest.mark.django_db
def test_command_does_nothing_when_loaded() -> None:
    Organization.objects.create(slug=ORGANIZATION_SLUG, name="Merilahden kaupunki")
    out = StringIO()
    call_command("demo_city", stdout=out)
    assert "already loaded" in out.getvalue()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_demo_city_has_resident_topics_with_two_handled_elsewhere() -> None:
    from civicdesk.intake.models import AddressPoint, ContactFormSettings, Topic

    demo_city_build(cases=10, seed=3)
    org = Organization.objects.get(slug=ORGANIZATION_SLUG)
    topics = Topic.objects.filter(organization=org)
    assert topics.count() >= 15
    elsewhere = topics.exclude(redirect_url="")
    assert {t.slug for t in elsewhere} == {"joukkoliikenne", "katuvalo"}
    for topic in topics.filter(redirect_url=""):
        topic.full_clean()  # a category, types of this organisation, valid questions
        for question in topic.questions.all():
            question.full_clean()
    assert ContactFormSettings.objects.get(organization=org).consent_text_sv  # type: ignore[attr-defined]
    points = list(AddressPoint.objects.filter(organization=org)[:50])
    assert len(points) == 50
    assert all(area_for_point(organization=org, lat=p.lat, lon=p.lon) is not None for p in points)
    Topic.objects.filter(organization=org).delete()  # a city loaded before topics existed
    demo_city_build(cases=10, seed=3)
    assert Topic.objects.filter(organization=org).count() >= 15
