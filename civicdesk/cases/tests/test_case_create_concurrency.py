"""Creating cases: the writes of case_create and, on PostgreSQL, many contacts at once (ADR 0016)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from civicdesk.cases import services
from civicdesk.cases.models import Case, CaseCategory, EntryKind, ReferenceSequence, TimelineEntry
from civicdesk.core.errors import InvalidInputError
from civicdesk.organizations.models import Area
from civicdesk.privacy.models import AuditEntry
from civicdesk.privacy.services import audit_verify_chain
from tests.factories import City

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pytest.mark.django_db
def test_a_new_case_gets_its_number_entry_category_and_audit_in_one_transaction(
    city: City, django_assert_max_num_queries: Any
) -> None:
    city.case()  # the organisation's counter row and the chain head exist from here on
    with django_assert_max_num_queries(12):
        case = city.case()
    case.refresh_from_db()
    assert not case.reference.startswith("~")
    assert CaseCategory.objects.filter(case=case, category=city.category_streets, is_primary=True).exists()
    assert TimelineEntry.objects.filter(case=case, kind=EntryKind.CREATED).count() == 1
    entry = AuditEntry.objects.get(object_type="case", object_id=str(case.pk), action="case.create")
    assert entry.object_label == case.reference
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_a_point_outside_every_area_is_refused_before_anything_is_written(city: City) -> None:
    if not Area.objects.filter(organization=city.org).exists():
        pytest.skip("the factory city has no areas")
    first = city.case()
    counts = (Case.objects.count(), AuditEntry.objects.count(), list(ReferenceSequence.objects.values()))
    with pytest.raises(InvalidInputError):
        city.case(lat=10.0, lon=10.0, require_inside_areas=True)
    assert (Case.objects.count(), AuditEntry.objects.count(), list(ReferenceSequence.objects.values())) == counts
    assert int(city.case().reference[-6:]) == int(first.reference[-6:]) + 1


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_new_cases_search_vector_is_the_one_a_refresh_computes(city: City) -> None:
    case = city.case(title="Rikkinäinen katuvalo", description="Katuvalot eivät pala Kauppakadulla.")

    def lexemes() -> set[tuple[str, tuple[str, ...]]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT lexeme, weights FROM cases_case, unnest(search_vector) WHERE id = %s", [case.pk])
            return {(lexeme, tuple(sorted(set(weights)))) for lexeme, weights in cursor.fetchall()}

    created = lexemes()
    services.case_refresh_search_vector(case_id=case.pk)
    assert created == lexemes()
    assert Case.objects.filter(pk=case.pk, search_vector=case.reference).exists()


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_contacts_get_consecutive_unique_numbers_and_an_unbroken_audit_chain(city: City) -> None:
    threads_count, per_thread = 6, 4
    first = city.case()
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def create_some() -> None:
        try:
            start.wait(timeout=30)
            for _ in range(per_thread):
                city.case(customer_email="", answer_requested=False)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=create_some) for _ in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert errors == []
    references = Case.objects.filter(organization=city.org).values_list("reference", flat=True)
    numbers = sorted(int(r[-6:]) for r in references)
    base = int(first.reference[-6:])
    assert numbers == list(range(base, base + 1 + threads_count * per_thread))
    sequence = ReferenceSequence.objects.get(organization=city.org, year=int(first.reference[:4]))
    assert sequence.last_value == numbers[-1]
    assert audit_verify_chain().ok
    assert AuditEntry.objects.filter(action="case.create").count() == 1 + threads_count * per_thread
