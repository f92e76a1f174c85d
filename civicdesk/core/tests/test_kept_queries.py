"""Kept queries (core.kept_queries): the kept SQL gives what the ORM gives, for every slot value,
and nothing is kept where it would not be."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicdesk.cases.models import Case, CaseCategory
from civicdesk.core.config_generation import config_changed
from civicdesk.core.kept_queries import KeptQuery
from tests.factories import City

pytestmark = pytest.mark.django_db


class Owner:
    """Stands for a user's access: compared by identity."""


def by_reference(reference: str, organization_id: int) -> Any:
    return (
        Case.objects.filter(reference=reference, organization_id=organization_id)
        .select_related("handler", "owner_group")
        .annotate(has_categories=Exists(CaseCategory.objects.filter(case_id=OuterRef("pk"))))
        .defer("search_vector")[:2]
    )


def fields(case: Case) -> tuple[Any, ...]:
    return (case.pk, case.reference, case.title, case.status, case.created_at, case.lat, case.form_answers,
            case.handler, case.owner_group.name, case.has_categories)  # type: ignore[attr-defined]


def test_instances_are_those_the_orm_gives_for_each_value(city: City) -> None:
    first = city.case(lat=60.17, lon=24.94)
    Case.objects.filter(pk=first.pk).update(handler=city.users["expert"], form_answers={"a": 1})
    second = city.case(title="Toinen")
    kept, owner = KeptQuery("test.instances"), Owner()
    for case in (first, second, first):
        found = kept.instances(by_reference, owner=owner, reference=case.reference, organization_id=city.org.pk)
        orm = list(by_reference(case.reference, city.org.pk))
        assert [fields(c) for c in found] == [fields(c) for c in orm]
        assert found[0]._state.db == "default"
        assert not found[0]._state.adding
    assert kept.is_kept(owner=owner, reference=first.reference, organization_id=city.org.pk)
    # The related rows came with the case: no query on access.
    found = kept.instances(by_reference, owner=owner, reference=first.reference, organization_id=city.org.pk)
    with CaptureQueriesContext(connection) as queries:
        assert found[0].handler == city.users["expert"]
        assert found[0].owner_group.pk == first.owner_group_id
    assert len(queries) == 0
    assert kept.instances(by_reference, owner=owner, reference="2000-999999", organization_id=city.org.pk) == []


def test_a_kept_query_runs_one_statement_without_building_the_queryset(city: City) -> None:
    case = city.case()
    kept, owner, built = KeptQuery("test.built"), Owner(), []

    def build(reference: str, organization_id: int) -> Any:
        built.append(reference)
        return by_reference(reference, organization_id)

    kept.instances(build, owner=owner, reference=case.reference, organization_id=city.org.pk)
    with CaptureQueriesContext(connection) as queries:
        kept.instances(build, owner=owner, reference=case.reference, organization_id=city.org.pk)
    assert len(queries) == 1
    assert len(built) == 1  # built once, with stand-ins
    assert case.reference not in built


def test_rows_and_capped_count(city: City) -> None:
    cases = [city.case(title=f"Kuoppa {i}") for i in range(5)]
    since = min(c.created_at for c in cases) - dt.timedelta(seconds=1)

    def titles(organization_id: int, since: dt.datetime) -> Any:
        return (Case.objects.filter(organization_id=organization_id, created_at__gte=since)
                .order_by("-created_at", "-id").values_list("id", "title", "created_at")[:3])

    def all_of(organization_id: int) -> Any:
        return Case.objects.filter(organization_id=organization_id)

    kept, owner = KeptQuery("test.rows"), Owner()
    for _ in range(2):
        assert kept.rows(titles, owner=owner, organization_id=city.org.pk, since=since) == list(
            titles(city.org.pk, since))
        assert kept.count(all_of, limit=3, owner=owner, organization_id=city.org.pk) == 3
        assert kept.count(all_of, limit=100, owner=owner, organization_id=city.org.pk) == 5
    assert kept.count(all_of, limit=100, owner=owner, organization_id=-1) == 0


def test_a_value_the_orm_rewrites_is_not_kept_and_still_right(city: City) -> None:
    city.case(title="Rikki oleva valo")
    city.case(title="Kuoppa")

    def titled(words: str) -> Any:
        return Case.objects.filter(title__icontains=words).values_list("title")  # '%words%': not the value

    kept, owner = KeptQuery("test.rewritten"), Owner()
    assert kept.rows(titled, owner=owner, words="valo") == [("Rikki oleva valo",)]
    assert not kept.is_kept(owner=owner, words="valo")
    assert kept.rows(titled, owner=owner, words="kuoppa") == [("Kuoppa",)]


def test_another_owner_or_a_new_generation_compiles_again(city: City) -> None:
    case = city.case()
    kept, owner, other = KeptQuery("test.owner"), Owner(), Owner()
    kept.instances(by_reference, owner=owner, reference=case.reference, organization_id=city.org.pk)
    assert not kept.is_kept(owner=other, reference=case.reference, organization_id=city.org.pk)
    kept.instances(by_reference, owner=other, reference=case.reference, organization_id=city.org.pk)
    assert kept.is_kept(owner=other, reference=case.reference, organization_id=city.org.pk)

    built = []

    def build(reference: str, organization_id: int) -> Any:
        built.append(1)
        return by_reference(reference, organization_id)

    ownerless = KeptQuery("test.ownerless")
    ownerless.instances(build, reference=case.reference, organization_id=city.org.pk)
    ownerless.instances(build, reference=case.reference, organization_id=city.org.pk)
    assert len(built) == 1
    config_changed()
    assert ownerless.instances(build, reference=case.reference, organization_id=city.org.pk)[0].pk == case.pk
    assert len(built) == 2


def test_slots_take_only_values_passed_unchanged(city: City) -> None:
    kept = KeptQuery("test.types")
    with pytest.raises(TypeError):
        kept.rows(lambda flag: Case.objects.filter(is_published=flag).values_list("id"), flag=True)
    with pytest.raises(TypeError):
        kept.rows(lambda when: Case.objects.filter(created_at__gte=when).values_list("id"),
                  when=dt.datetime(2024, 1, 1))  # naive
    assert kept.rows(lambda when: Case.objects.filter(created_at__gte=when).values_list("id"),
                     when=timezone.now()) == []
