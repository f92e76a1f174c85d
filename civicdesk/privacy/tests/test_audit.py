"""The audit log: hash chain, append-only storage, request context, commands and admin export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import translation

from civicdesk.cases import services as case_services
from civicdesk.core.request_context import RequestContext, client_ip_from_meta, request_context
from civicdesk.privacy.models import AuditChainHead, AuditEntry
from civicdesk.privacy.services import (
    GENESIS_HASH,
    ChainVerification,
    audit_entry_hash,
    audit_record,
    audit_verify_chain,
)
from tests.factories import UserFactory

SQLITE_TRIGGERS = {
    "privacy_audit_no_update": "CREATE TRIGGER privacy_audit_no_update BEFORE UPDATE ON privacy_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    "privacy_audit_no_delete": "CREATE TRIGGER privacy_audit_no_delete BEFORE DELETE ON privacy_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
}

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite triggers")
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
PG_TRIGGER = "privacy_audit_append_only"


def record(n: int = 1, **overrides: Any) -> list[AuditEntry]:
    values: dict[str, Any] = {"action": "test.event", "object_type": "thing", "object_id": 1}
    values.update(overrides)
    return [audit_record(**{**values, "object_id": values["object_id"] if n == 1 else i}) for i in range(1, n + 1)]


def append_only_triggers() -> set[str]:
    """The database triggers that keep the audit log append-only (enabled ones, on PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'privacy_auditentry'::regclass "
                           "AND NOT tgisinternal AND tgenabled <> 'D'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'privacy_auditentry'")
        return {row[0] for row in cursor.fetchall()}


def expected_triggers() -> set[str]:
    return {PG_TRIGGER} if connection.vendor == "postgresql" else set(SQLITE_TRIGGERS)


@contextmanager
def tampering() -> Iterator[None]:
    """Switch the append-only triggers off for the block, as an attacker with database access would.

    The block runs in a savepoint that is rolled back, which also brings the triggers back (DDL
    is transactional in SQLite and PostgreSQL); should that ever fail, they are restored.
    """

    class RollbackError(Exception):
        pass

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # ALTER TABLE refuses while deferred foreign-key checks of this transaction wait.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"ALTER TABLE privacy_auditentry DISABLE TRIGGER {PG_TRIGGER}")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                else:
                    for name in SQLITE_TRIGGERS:
                        cursor.execute(f"DROP TRIGGER {name}")
            assert not append_only_triggers()
            yield
            raise RollbackError
    except RollbackError:
        pass
    finally:
        missing = expected_triggers() - append_only_triggers()
        with connection.cursor() as cursor:
            for name in missing:
                if connection.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"ALTER TABLE privacy_auditentry ENABLE TRIGGER {name}")
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                else:
                    cursor.execute(SQLITE_TRIGGERS[name])
        assert not missing, f"rolling back did not restore the triggers {missing}"


def raw(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def hashed_fields(entry: AuditEntry, **overrides) -> dict:
    """The fields audit_entry_hash covers, as a forger who knows the algorithm would compute them."""
    fields = {
        "sequence": entry.sequence, "created_at": entry.created_at.isoformat(),
        "organization_id": entry.organization_id, "actor_id": entry.actor_id, "actor_label": entry.actor_label,
        "action": entry.action, "object_type": entry.object_type, "object_id": entry.object_id,
        "object_label": entry.object_label, "changes": entry.changes, "subjects": entry.subjects,
        "source_ip": entry.source_ip, "channel": entry.channel, "request_id": entry.request_id,
    }
    return {**fields, **overrides}


def insert_forged_entry(*, after: AuditEntry, sequence: int, action: str) -> None:
    """Insert, bypassing the model, an entry correctly linked to `after`."""
    fields = hashed_fields(after, sequence=sequence, action=action, object_id="99")
    raw(
        "INSERT INTO privacy_auditentry (sequence, created_at, actor_label, action, object_type, object_id, "
        "object_label, changes, subjects, channel, request_id, previous_hash, entry_hash) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [sequence, after.created_at, after.actor_label, action, after.object_type, "99", after.object_label,
         json.dumps(after.changes), json.dumps(after.subjects), after.channel, after.request_id, after.entry_hash,
         audit_entry_hash(previous_hash=after.entry_hash, fields=fields)],
    )


# --- the chain ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_entries_are_chained():
    first, second, third = record(3)

    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert len({first.entry_hash, second.entry_hash, third.entry_hash}) == 3
    head = AuditChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (3, third.entry_hash)


@pytest.mark.django_db
def test_entry_hash_covers_the_content():
    entry = record(changes={"status": ["new", "closed"]}, subjects=["Maija@Example.fi", " ", ""])[0]
    stored = AuditEntry.objects.get(pk=entry.pk)

    assert stored.subjects == ["maija@example.fi"]
    assert stored.entry_hash == entry.entry_hash
    # Any field changed gives another hash.
    fields = {
        "sequence": stored.sequence, "created_at": stored.created_at.isoformat(),
        "organization_id": None, "actor_id": None, "actor_label": "", "action": "test.event",
        "object_type": "thing", "object_id": "1", "object_label": "", "changes": {"status": ["new", "closed"]},
        "subjects": ["maija@example.fi"], "source_ip": None, "channel": "system", "request_id": stored.request_id,
    }
    assert audit_entry_hash(previous_hash=GENESIS_HASH, fields=fields) == stored.entry_hash
    assert audit_entry_hash(previous_hash=GENESIS_HASH, fields={**fields, "action": "test.other"}) != stored.entry_hash


@pytest.mark.django_db
def test_entry_records_actor_and_organisation(city):
    actor = city.users["expert"]
    entry = audit_record(action="case.view", actor=actor, organization_id=city.org.pk, object_type="case",
                         object_id=42, object_label="2026-000042", changes={"when": city.org.created_at})

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor == actor
    assert stored.actor_label == str(actor)
    assert stored.organization == city.org
    assert stored.object_id == "42"
    # Values that JSON cannot hold are stored as text, and still verify.
    assert stored.changes == {"when": str(city.org.created_at)}
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_anonymous_actor_is_not_linked(city):
    from django.contrib.auth.models import AnonymousUser

    entry = audit_record(action="public.view", actor=AnonymousUser(), actor_label="resident", object_type="case",
                         object_id=1)
    assert entry.actor_id is None
    assert entry.actor_label == "resident"


@pytest.mark.django_db
def test_verify_empty_and_intact_chain():
    assert audit_verify_chain() == ChainVerification(True, 0)
    record(12)

    result = audit_verify_chain(batch_size=5)
    assert result.ok
    assert result.checked == 12


@pytest.mark.django_db
def test_audit_record_joins_the_callers_transaction():
    record()

    def fail_after_recording() -> None:
        with transaction.atomic():
            record(action="rolled.back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_after_recording()

    assert not AuditEntry.objects.filter(action="rolled.back").exists()
    assert AuditChainHead.objects.get().last_sequence == 1
    second = record()[0]
    assert second.sequence == 2
    assert audit_verify_chain().ok


# --- append-only --------------------------------------------------------------------------


@pytest.mark.django_db
def test_model_refuses_changes():
    entry = record()[0]

    entry.action = "changed"
    attempts: list[Callable[[], object]] = [
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="changed"),
        lambda: AuditEntry.objects.all().delete(),
        lambda: AuditEntry.objects.bulk_update([entry], ["action"]),
        lambda: AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"action": "changed"}),
    ]
    for attempt in attempts:
        with pytest.raises(TypeError, match="append-only"), transaction.atomic():
            attempt()

    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"
    assert audit_verify_chain().ok


@sqlite_only
@pytest.mark.django_db
def test_sqlite_triggers_refuse_raw_update_and_delete():
    entry = record()[0]
    assert append_only_triggers() >= set(SQLITE_TRIGGERS)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE privacy_auditentry SET action = 'changed' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM privacy_auditentry WHERE id = %s", [entry.pk])

    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"
    assert audit_verify_chain().ok


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_trigger_refuses_raw_update_and_delete():
    entry = record()[0]

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE privacy_auditentry SET action = 'changed' WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM privacy_auditentry WHERE id = %s", [entry.pk])

    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"


# --- tampering is detected ----------------------------------------------------------------


@pytest.mark.django_db
def test_verify_detects_a_changed_entry():
    entries = record(5)

    with tampering():
        raw("UPDATE privacy_auditentry SET object_label = 'nothing to see' WHERE id = %s", [entries[2].pk])
        result = audit_verify_chain()
        assert not result.ok
        assert result.first_bad_sequence == 3
        assert result.reason == "content changed"
        assert result.checked == 2

    assert append_only_triggers() == expected_triggers()
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_verify_detects_a_changed_entry_whose_hash_was_recomputed():
    entries = record(4)
    target = AuditEntry.objects.get(pk=entries[1].pk)
    forged_hash = audit_entry_hash(previous_hash=target.previous_hash,
                                   fields=hashed_fields(target, action="nothing.happened"))

    with tampering():
        raw("UPDATE privacy_auditentry SET action = %s, entry_hash = %s WHERE id = %s",
            ["nothing.happened", forged_hash, target.pk])
        result = audit_verify_chain()
        assert not result.ok
        # The forged entry itself hashes right, but the next one no longer links to it.
        assert (result.first_bad_sequence, result.reason) == (3, "broken link")


@pytest.mark.django_db
def test_verify_detects_a_removed_entry():
    entries = record(5)

    with tampering():
        raw("DELETE FROM privacy_auditentry WHERE id = %s", [entries[1].pk])
        result = audit_verify_chain()
        assert not result.ok
        assert (result.first_bad_sequence, result.reason) == (2, "missing entry")


@pytest.mark.django_db
def test_verify_detects_entries_removed_from_the_end():
    entries = record(5)

    with tampering():
        raw("DELETE FROM privacy_auditentry WHERE id IN (%s, %s)", [entries[3].pk, entries[4].pk])
        result = audit_verify_chain()
        assert not result.ok
        assert result.checked == 3
        assert result.first_bad_sequence == 4


@pytest.mark.django_db
def test_verify_detects_an_inserted_entry():
    entries = record(4)

    with tampering():
        # Make room after entry 2 and slip in an entry that links to it correctly.
        for entry in reversed(entries[2:]):
            raw("UPDATE privacy_auditentry SET sequence = sequence + 1 WHERE id = %s", [entry.pk])
        insert_forged_entry(after=AuditEntry.objects.get(pk=entries[1].pk), sequence=3, action="inserted")
        result = audit_verify_chain()
        assert not result.ok
        assert result.first_bad_sequence == 4
        assert result.checked == 3


@pytest.mark.django_db
def test_verify_detects_an_entry_appended_without_the_chain_head():
    entries = record(2)

    # Appending needs no trigger dropped: the triggers refuse only rewriting.
    with tampering():
        insert_forged_entry(after=AuditEntry.objects.get(pk=entries[-1].pk), sequence=3, action="appended")
        result = audit_verify_chain()
        assert not result.ok
        assert (result.checked, result.first_bad_sequence) == (3, 4)

    assert audit_verify_chain().ok


# --- request context ----------------------------------------------------------------------


@pytest.mark.django_db
def test_request_context_fills_source_ip_channel_and_request_id():
    with request_context(RequestContext(source_ip="192.0.2.10", channel="web", request_id="req-1")):
        entry = record()[0]
    outside = record(object_id=2)[0]

    assert (entry.source_ip, entry.channel, entry.request_id) == ("192.0.2.10", "web", "req-1")
    assert (outside.source_ip, outside.channel) == (None, "system")
    assert audit_verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw_ip", "stored"),
    [
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
    ],
)
def test_ipv6_addresses_are_stored_as_hashed(raw_ip, stored):
    """The database normalises IPv6 text; the hash must be computed from what is stored."""
    with request_context(RequestContext(source_ip=raw_ip, channel="web")):
        entry = record()[0]

    assert AuditEntry.objects.get(pk=entry.pk).source_ip == stored
    assert audit_verify_chain().ok


@pytest.mark.django_db
def test_case_page_view_is_logged_with_client_ip_and_actor(client, city):
    case = city.case()
    expert = city.users["expert"]
    client.force_login(expert)
    before = AuditEntry.objects.count()

    response = client.get(f"/staff/cases/{case.reference}/")

    assert response.status_code == 200
    views = list(AuditEntry.objects.filter(sequence__gt=before))
    assert [e.action for e in views] == ["case.view"]
    view = views[0]
    assert view.source_ip == "127.0.0.1"
    assert view.channel == "web"
    assert view.actor == expert
    assert view.organization == city.org
    assert (view.object_type, view.object_id, view.object_label) == ("case", str(case.pk), case.reference)
    assert view.subjects == ["maija@example.fi"]
    assert audit_verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "scenario",
    [
        (0, "203.0.113.7", "10.0.0.1", "10.0.0.1"),  # no proxy trusted: the header is ignored
        (1, "203.0.113.7", "10.0.0.1", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "10.0.0.1", "203.0.113.7"),  # a client-made entry is skipped
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "10.0.0.1", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.1", "10.0.0.1"),  # fewer hops than proxies: not trusted
        (1, "", "10.0.0.1", "10.0.0.1"),
    ],
)
def test_trusted_proxy_count_and_x_forwarded_for(client, city, scenario):
    proxies, forwarded_for, remote_addr, expected = scenario
    case = city.case()
    client.force_login(city.users["advisor"])
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}

    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        response = client.get(f"/staff/cases/{case.reference}/", headers=headers, REMOTE_ADDR=remote_addr)

    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="case.view").get().source_ip == expected


@pytest.mark.parametrize("bogus", ["unknown", "<script>", "999.1.1.1", "2001:db8::g"])
def test_client_ip_ignores_forwarded_values_that_are_not_addresses(bogus):
    meta = {"HTTP_X_FORWARDED_FOR": f"198.51.100.1, {bogus}", "REMOTE_ADDR": "10.0.0.1"}
    assert client_ip_from_meta(meta, 1) == "10.0.0.1"


@pytest.mark.django_db
def test_bogus_forwarded_for_does_not_break_the_request(client, city):
    case = city.case()
    client.force_login(city.users["advisor"])

    with override_settings(TRUSTED_PROXY_COUNT=1):
        response = client.get(f"/staff/cases/{case.reference}/", headers={"X-Forwarded-For": "unknown"})

    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="case.view").get().source_ip == "127.0.0.1"
    assert audit_verify_chain().ok


# --- management commands ------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_verify_command_ok():
    record(3)
    out = io.StringIO()

    call_command("audit_verify", stdout=out)

    assert "3 entries verified" in out.getvalue()


@pytest.mark.django_db
def test_audit_verify_command_reports_a_broken_chain():
    entries = record(3)

    with tampering():
        raw("UPDATE privacy_auditentry SET actor_label = 'someone else' WHERE id = %s", [entries[1].pk])
        with pytest.raises(CommandError, match=r"broken at entry 2: content changed"):
            call_command("audit_verify", stdout=io.StringIO())


def export(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("audit_export", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.fixture
def log_request_world(city, other_city):
    """Cases of two customers in two cities, viewed and handled by various staff."""
    maija = city.case()
    matti = city.case(customer_name="Matti", customer_email="matti@example.fi", title="Roskis")
    elsewhere = other_city.case()  # same customer, another organisation
    expert, advisor = city.users["expert"], city.users["advisor"]
    case_services.case_view(user=expert, case=maija)
    case_services.case_view(user=advisor, case=matti)
    case_services.case_add_note(case=maija, actor=expert, body="Kävin paikalla.")
    case_services.case_view(user=other_city.users["advisor"], case=elsewhere)
    audit_record(action="user.login", actor=expert, organization_id=city.org.pk, object_type="user",
                 object_id=expert.pk)
    return {"maija": maija, "matti": matti, "elsewhere": elsewhere, "expert": expert, "advisor": advisor}


@pytest.mark.django_db
def test_audit_export_by_case(city, log_request_world):
    maija = log_request_world["maija"]

    rows = export("--organization", city.org.slug, "--case", maija.reference)

    expected = AuditEntry.objects.filter(object_type="case", object_id=str(maija.pk)).order_by("sequence")
    assert [int(r["sequence"]) for r in rows] == [e.sequence for e in expected]
    assert {r["action"] for r in rows} >= {"case.create", "case.view"}
    assert {r["object_label"] for r in rows} == {maija.reference}
    viewer = next(r for r in rows if r["action"] == "case.view")
    assert viewer["actor"] == log_request_world["expert"].username


@pytest.mark.django_db
def test_audit_export_by_case_includes_merged_cases(city, log_request_world):
    maija, matti = log_request_world["maija"], log_request_world["matti"]
    case_services.case_merge(source=matti, target=maija, actor=city.users["advisor"])

    rows = export("--organization", city.org.slug, "--case", maija.reference)

    assert {r["object_id"] for r in rows} == {str(maija.pk), str(matti.pk)}


@pytest.mark.django_db
def test_audit_export_by_subject(city, log_request_world):
    rows = export("--organization", city.org.slug, "--subject", "MAIJA@example.fi")

    maija = log_request_world["maija"]
    assert rows
    # Every entry about Maija's case in this city, none about Matti's or the other city's.
    assert {r["object_id"] for r in rows} == {str(maija.pk)}
    expected = AuditEntry.objects.filter(organization=city.org, subjects__icontains='"maija@example.fi"')
    assert len(rows) == expected.count()


@pytest.mark.django_db
def test_audit_export_by_subject_with_non_ascii_address(city, log_request_world):
    case = city.case(customer_email="Maija@Sähkö.fi")

    rows = export("--organization", city.org.slug, "--subject", "maija@sähkö.fi")

    assert rows
    assert {r["object_id"] for r in rows} == {str(case.pk)}


@pytest.mark.django_db
def test_audit_export_by_actor(city, log_request_world):
    advisor = log_request_world["advisor"]

    rows = export("--organization", city.org.slug, "--actor", advisor.username)

    assert rows
    assert {r["actor_id"] for r in rows} == {str(advisor.pk)}
    assert [int(r["sequence"]) for r in rows] == list(
        AuditEntry.objects.filter(actor=advisor, organization=city.org).order_by("sequence")
        .values_list("sequence", flat=True)
    )


@pytest.mark.django_db
def test_audit_export_to_a_file(city, log_request_world, tmp_path):
    target = tmp_path / "log.csv"
    err = io.StringIO()

    call_command("audit_export", "--organization", city.org.slug, "--actor", log_request_world["expert"].username,
                 "--output", str(target), stderr=err)

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows
    assert f"Wrote {len(rows)} entries" in err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "no-such-city"], "No such organisation"),
        (["--organization", "testcity"], "Name a case, a person or an actor"),
        (["--organization", "testcity", "--case", "2026-999999"], "No such cases"),
        (["--organization", "testcity", "--actor", "nobody"], "No such user"),
    ],
)
def test_audit_export_refuses_bad_requests(city, args, message):
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("audit_export", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_audit_export_does_not_find_another_organisations_case(city, other_city, log_request_world):
    elsewhere = log_request_world["elsewhere"]
    # Same reference number exists in both cities; the other city's entries never appear.
    rows = export("--organization", city.org.slug, "--case", elsewhere.reference)

    assert {r["object_label"] for r in rows} == {elsewhere.reference}
    assert elsewhere.pk not in {int(r["object_id"]) for r in rows}


# --- admin --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_csv_export_for_superuser(client, city):
    entries = record(3)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post("/admin/privacy/auditentry/", {
        "action": "export_csv", "_selected_action": [entries[0].pk, entries[2].pk],
    })

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["sequence"] for r in rows] == ["1", "3"]


@pytest.mark.django_db
def test_admin_audit_log_is_read_only(client, city):
    entry = record()[0]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get("/admin/privacy/auditentry/").status_code == 200
    assert client.get("/admin/privacy/auditentry/add/").status_code == 403
    assert client.post(f"/admin/privacy/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/privacy/auditentry/{entry.pk}/change/", {"action": "x"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"
