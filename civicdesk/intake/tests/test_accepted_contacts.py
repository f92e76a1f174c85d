"""Deferred contacts (ADR 0022): the form and Open311 answer after one INSERT; the drain makes each case once."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicdesk.accounts.api_keys import api_client_create
from civicdesk.api.selectors import configuration_forget
from civicdesk.cases.models import Case, Channel
from civicdesk.core import drains
from civicdesk.intake import accepted_contacts
from civicdesk.intake.accepted_contacts import (
    MAX_ATTEMPTS,
    accepted_contact_process,
    accepted_contacts_drain,
    accepted_contacts_purge,
    accepted_contacts_retry,
)
from civicdesk.intake.models import AcceptedContact, AcceptedState
from tests.factories import add_topic

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()
    configuration_forget()


@pytest.fixture
def triggers(settings: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A worker that does not run: Celery not eager, and the drain's trigger only counted."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls: list[int] = []
    monkeypatch.setattr(accepted_contacts, "_drain_soon", lambda: calls.append(1))
    return calls


@pytest.fixture
def topic(city: Any) -> Any:
    return add_topic(city, "bench", name="Puiston penkki", category=city.category_parks,
                     kinds=["complaint", "thanks"], location="optional")


def _form(**overrides: Any) -> dict[str, str]:
    data = {"kind": "complaint", "description": "Puiston penkki on rikki.", "address": "Esplanadi 1",
            "name": "Maija Meikäläinen", "email": "maija@example.fi", "phone": "", "answer_requested": "on",
            "consent": "on"}
    data.update(overrides)
    return data


@pytest.fixture
def api_key(city: Any) -> str:
    city.category_streets.open311_service_code = "171"
    city.category_streets.save()
    _client, key = api_client_create(organization=city.org, name="Kaupunkisovellus", rate_limit="1000/m",
                                     consent_text="Hyväksyn.")
    configuration_forget()
    return key


def _post(client: Any, key: str, suffix: str = "json", **overrides: str) -> Any:
    data = {"api_key": key, "service_code": "171", "description": "Katuvalo ei pala.", "lat": "60.17",
            "long": "24.94", "email": "maija@example.fi", **overrides}
    return client.post(f"{BASE}/requests.{suffix}", urlencode(data), content_type="application/x-www-form-urlencoded")


def test_the_form_answers_at_once_and_the_drain_makes_the_case_once(client: Any, city: Any, topic: Any,
                                                                     triggers: list[int],
                                                                     django_capture_on_commit_callbacks: Any) -> None:
    url = reverse("portal:contact_topic", args=[city.org.slug, "bench"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _form())
    assert response.status_code == 302
    assert Case.objects.count() == 0
    row = AcceptedContact.objects.get()
    assert (row.state, row.channel, row.case_id) == (AcceptedState.ACCEPTED, Channel.WEB_FORM, None)
    assert triggers == [1]
    assert response["Location"].endswith(reverse("portal:received", args=[row.tracking_token]))

    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    assert receipt["Cache-Control"] == "private, no-store"
    found = re.search(r'href="([^"]+)" data-tracking-link', receipt.content.decode())
    assert found
    assert found.group(1).endswith(reverse("portal:track", args=[row.tracking_token]))
    pending = client.get(found.group(1))
    assert pending.status_code == 200
    assert pending["Cache-Control"] == "private, no-store"
    assert "data-status" not in pending.content.decode()  # no case to show yet

    with django_capture_on_commit_callbacks(execute=True):
        assert accepted_contacts_drain() == 1
    case = Case.objects.get()
    row.refresh_from_db()
    assert (row.state, row.case, row.payload, row.attempts) == (AcceptedState.DONE, case, {}, 1)
    assert case.tracking_token == row.tracking_token
    assert (case.channel, case.owner_group, case.customer_email) == (Channel.WEB_FORM, city.parks, "maija@example.fi")
    assert case.form_answers["topic"]["slug"] == "bench"
    assert case.reference in client.get(response["Location"]).content.decode()
    assert client.get(found.group(1)).status_code == 200

    # Retried (a second drain, the same row again): never a second case.
    assert accepted_contacts_drain() == 0
    assert accepted_contact_process(contact_id=row.pk) is None
    assert Case.objects.count() == 1


def test_open311_answers_a_token_and_tokens_gives_the_id_once_the_case_is_made(client: Any, city: Any,
                                                                               api_key: str,
                                                                               triggers: list[int]) -> None:
    response = _post(client, api_key)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body[0]) == ["token", "service_notice", "account_id"]
    token = body[0]["token"]
    assert Case.objects.count() == 0
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": None, "token": token}]
    root = ET.fromstring(client.get(f"{BASE}/tokens/{token}.xml").content)  # noqa: S314 (our own response)
    request = root.find("request")
    assert request is not None
    assert [(child.tag, child.text) for child in request] == [("service_request_id", None), ("token", token)]
    assert client.get(f"{BASE}/tokens/{token}x.json").status_code == 404

    assert accepted_contacts_drain() == 1
    case = Case.objects.get()
    assert (case.tracking_token, case.channel, case.lat, case.lon) == (token, Channel.MOBILE_APP, 60.17, 24.94)
    assert case.consent_text == "Hyväksyn."
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": case.reference,
                                                                 "token": token}]


def test_accepting_a_post_writes_one_row_and_nothing_of_a_case(client: Any, city: Any, api_key: str,
                                                               triggers: list[int]) -> None:
    _post(client, api_key)  # the configuration caches and the key's last use, as in a running process
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, api_key)
    assert response.status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SELECT NEXTVAL"))]
    assert len(writes) == 1, writes
    assert writes[0].lstrip().startswith('INSERT INTO "intake_acceptedcontact"')
    assert not any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize(("change", "message"), [
    ({"email": "maija@"}, "Enter a valid email address."),
    ({"phone": "soita minulle"}, "Enter a valid phone number."),
    ({"lat": "91"}, ""),
    ({"long": ""}, "Give both latitude and longitude."),
])
def test_what_the_case_service_would_refuse_is_refused_in_the_request(
        client: Any, api_key: str, triggers: list[int], change: dict[str, str], message: str) -> None:
    response = _post(client, api_key, locale="en", **change)
    assert response.status_code == 400, response.content
    assert message in response.json()[0]["description"]
    assert AcceptedContact.objects.count() == 0
    assert Case.objects.count() == 0
    assert triggers == []


def test_a_point_outside_the_areas_is_refused_in_the_request(client: Any, city: Any, api_key: str,
                                                              triggers: list[int]) -> None:
    from civicdesk.organizations.services import area_save

    assert _post(client, api_key, lat="0.5", long="0.5").status_code == 400
    assert AcceptedContact.objects.count() == 0
    area_save(organization=city.org, name="Meri", code="meri",
              geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]})
    # The per-process copy of the areas follows the change at once (ADR 0021).
    assert _post(client, api_key, lat="0.5", long="0.5").status_code == 200
    assert AcceptedContact.objects.count() == 1


def test_immediate_write_path_makes_the_case_in_the_request(client: Any, city: Any, api_key: str,
                                                            settings: Any) -> None:
    settings.CONTACT_WRITE_PATH = "immediate"
    body = _post(client, api_key).json()
    assert list(body[0]) == ["service_request_id", "service_notice", "account_id", "token"]
    assert Case.objects.get(reference=body[0]["service_request_id"]).tracking_token == body[0]["token"]
    assert AcceptedContact.objects.count() == 0


def test_with_eager_celery_the_contact_is_a_case_when_the_answer_leaves(client: Any, city: Any,
                                                                        api_key: str) -> None:
    token = _post(client, api_key).json()[0]["token"]
    row = AcceptedContact.objects.select_related("case").get()
    assert row.case is not None
    assert (row.state, row.case.tracking_token) == (AcceptedState.DONE, token)


def test_a_database_error_is_retried_and_then_the_row_fails(client: Any, city: Any, api_key: str,
                                                            triggers: list[int],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _post(client, api_key)
    row = AcceptedContact.objects.get()

    def broken(**kwargs: Any) -> Case:
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(accepted_contacts, "case_intake", broken)
    assert accepted_contacts_drain() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts) == (AcceptedState.ACCEPTED, 1)
    assert "the disk is full" in row.reason
    for _attempt in range(MAX_ATTEMPTS - 1):
        accepted_contacts_drain()
    row.refresh_from_db()
    assert (row.state, row.attempts) == (AcceptedState.FAILED, MAX_ATTEMPTS)
    assert row.payload["description"] == "Katuvalo ei pala."  # kept until the case is made
    assert Case.objects.count() == 0

    monkeypatch.undo()
    assert accepted_contacts_retry(rows=AcceptedContact.objects.all()) == 1
    assert accepted_contacts_drain() == 1
    assert Case.objects.get().tracking_token == row.tracking_token


def test_a_category_closed_after_acceptance_sends_the_contact_to_intake(client: Any, city: Any, api_key: str,
                                                                         triggers: list[int]) -> None:
    _post(client, api_key)
    city.category_streets.is_active = False
    city.category_streets.save()
    assert accepted_contacts_drain() == 1
    case = Case.objects.get()
    assert case.owner_group == city.intake
    assert not case.categories.exists()


def test_the_trigger_queues_one_drain_per_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from civicdesk.intake.tasks import accepted_contacts_drain_task

    queued: list[float] = []

    def queue(*, countdown: float) -> None:
        queued.append(countdown)

    monkeypatch.setattr(accepted_contacts_drain_task, "apply_async", queue)
    monkeypatch.setattr(drains, "_asked", {})
    clock = [1000.25]
    monkeypatch.setattr(drains.time, "time", lambda: clock[0])
    adds: list[str] = []
    real_add = drains.cache.add

    def add(key: str, *args: Any, **kwargs: Any) -> bool:
        adds.append(key)
        return bool(real_add(key, *args, **kwargs))

    monkeypatch.setattr(drains.cache, "add", add)
    for _contact in range(3):
        accepted_contacts._drain_soon()
    # One cache round trip and one drain, run when the window ends (after every commit in it).
    assert len(adds) == 1
    assert queued == [pytest.approx(0.75 + 0.1)]
    monkeypatch.setattr(drains, "_asked", {})  # another process, same window
    accepted_contacts._drain_soon()
    assert (len(adds), len(queued)) == (2, 1)
    clock[0] = 1001.5  # the next window
    accepted_contacts._drain_soon()
    assert len(queued) == 2


def test_the_trigger_never_fails_a_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(drains.cache, "add", down)
    accepted_contacts._drain_soon()  # logged; the beat drains it


def test_done_rows_are_purged_after_the_retention_failed_ones_stay(city: Any, settings: Any) -> None:
    settings.ACCEPTED_CONTACTS_KEEP_DAYS = 30
    now = timezone.now()
    old = AcceptedContact.objects.create(organization=city.org, channel="api", tracking_token="a" * 43,
                                         state=AcceptedState.DONE, done_at=now - dt.timedelta(days=31))
    recent = AcceptedContact.objects.create(organization=city.org, channel="api", tracking_token="b" * 43,
                                            state=AcceptedState.DONE, done_at=now - dt.timedelta(days=29))
    failed = AcceptedContact.objects.create(organization=city.org, channel="api", tracking_token="c" * 43,
                                            state=AcceptedState.FAILED)
    assert accepted_contacts_purge(now=now) == 1
    assert set(AcceptedContact.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}
    assert not AcceptedContact.objects.filter(pk=old.pk).exists()


def test_the_admin_lists_failed_contacts_and_tries_them_again(admin_client: Any, city: Any,
                                                              triggers: list[int]) -> None:
    row = AcceptedContact.objects.create(organization=city.org, channel="api", tracking_token="d" * 43,
                                         state=AcceptedState.FAILED, attempts=MAX_ATTEMPTS, reason="disk full")
    url = reverse("admin:intake_acceptedcontact_changelist")
    assert admin_client.get(url, {"state": "failed"}).status_code == 200
    response = admin_client.post(url, {"action": "try_again", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.attempts) == (AcceptedState.ACCEPTED, 0)


def test_claiming_a_contact_locks_its_row_only_not_the_organisation(city: Any) -> None:
    """FOR UPDATE without `of` also locked the joined organisation: every other writer's foreign-key check
    on it then waited, and one holding the audit chain's lock deadlocked with the drain (seen under load)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not connection.features.has_select_for_update_of:
        pytest.skip("SQLite claims by a conditional UPDATE, without row locks")
    row = AcceptedContact.objects.create(organization=city.org, channel="api", tracking_token="c" * 43, payload={})
    with CaptureQueriesContext(connection) as queries:
        assert accepted_contacts._claim(row.pk) is not None
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert 'FOR UPDATE OF "intake_acceptedcontact" SKIP LOCKED' in locking[0]
