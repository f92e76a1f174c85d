"""Writing and verifying the audit log (R4.8, R9.5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import sql
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from civicdesk.core.request_context import current_request_context
from civicdesk.privacy.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def audit_entry_hash(*, previous_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode() + _canonical(fields)).hexdigest()


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        # Always UTC: the database returns UTC, whatever zone the writer's clock carried.
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(),
        "organization_id": entry.organization_id,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "changes": entry.changes,
        "subjects": entry.subjects,
        "source_ip": entry.source_ip,
        "channel": entry.channel,
        "request_id": entry.request_id,
    }


def _source_ip(value: str | None) -> str | None:
    """The address as the database will store it (IPv6 normalised), so that the hash matches."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
        return clean_ipv6_address(value) if address.version == 6 else str(address)
    except (ValueError, ValidationError):
        return None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# No savepoint: the entry joins the caller's transaction and fails with it (only database errors can).
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    organization_id: int | None = None,
    object_type: str,
    object_id: Any,
    object_label: str = "",
    changes: dict[str, Any] | None = None,
    subjects: Iterable[str] = (),
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction.

    Written in the same transaction as the change it records: a change is never committed
    without its audit entry, and an entry never describes a change that was rolled back.
    The chain head is locked from here to the commit, which serialises every write: call this
    last in a transaction. On PostgreSQL it costs two statements (lock the head; insert the entry
    and move the head in one).
    """
    context = current_request_context()
    actor_id = getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
    # Everything but the chain's own fields is prepared before the head is locked.
    entry = AuditEntry(
        organization_id=organization_id,
        actor_id=actor_id,
        actor_label=(actor_label or (str(actor) if actor_id else ""))[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:200],
        changes=_jsonable(changes or {}),
        subjects=sorted({s.strip().lower() for s in subjects if s and s.strip()}),
        source_ip=_source_ip(context.source_ip),
        channel=context.channel,
        request_id=context.request_id,
    )
    last_sequence, last_hash = _locked_head()
    entry.created_at = timezone.now()  # taken under the lock: times follow the sequence
    entry.sequence = last_sequence + 1
    entry.previous_hash = last_hash
    entry.entry_hash = audit_entry_hash(previous_hash=last_hash, fields=_hashed_fields(entry))
    if connection.vendor == "postgresql":
        _append_and_move_head(entry)
    else:
        entry.save()
        with connection.cursor() as cursor:
            cursor.execute(_MOVE_HEAD_SQL, [entry.sequence, entry.entry_hash])
    return entry


# The head's statements as plain SQL: every audited write passes here, and the ORM's building of a
# query costs more than running it (docs/benchmarks.md, email channel).
_HEAD_TABLE = AuditChainHead._meta.db_table
_HEAD_SQL = f"SELECT last_sequence, last_hash FROM {_HEAD_TABLE} WHERE id = 1"  # noqa: S608 (a model's table)
_MOVE_HEAD_SQL = f"UPDATE {_HEAD_TABLE} SET last_sequence = %s, last_hash = %s WHERE id = 1"  # noqa: S608


def _locked_head() -> tuple[int, str]:
    """The chain's last sequence and hash, with the head row locked until the commit."""
    locking = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL + locking)
        row = cursor.fetchone()
    if row is None:
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        return head.last_sequence, head.last_hash
    return int(row[0]), str(row[1])


def _append_and_move_head(entry: AuditEntry) -> None:
    """INSERT the entry and UPDATE the head in one statement (PostgreSQL), the entry's SQL built by the ORM."""
    fields = [f for f in AuditEntry._meta.local_concrete_fields if not f.primary_key]
    query = sql.InsertQuery(AuditEntry)
    query.insert_values(fields, [entry])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [AuditEntry._meta.pk]
    ((insert_sql, insert_params),) = compiler.as_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH appended AS ({insert_sql}) "  # noqa: S608 (the ORM's own INSERT, parameters apart)
            "UPDATE privacy_auditchainhead SET last_sequence = %s, last_hash = %s WHERE id = 1 "
            "RETURNING (SELECT id FROM appended)",
            [*insert_params, entry.sequence, entry.entry_hash],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise DatabaseError("the audit chain head is missing")
    entry.pk = row[0]
    entry._state.adding = False
    entry._state.db = connection.alias


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    checked: int
    first_bad_sequence: int | None = None
    reason: str = ""


def audit_verify_chain(*, batch_size: int = 5000) -> ChainVerification:
    """Recompute every hash in order; report the first entry that was altered, removed or inserted."""
    previous_hash = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    last_seen = 0
    while True:
        batch = list(AuditEntry.objects.filter(sequence__gt=last_seen).order_by("sequence")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.sequence != expected_sequence:
                return ChainVerification(False, checked, expected_sequence, "missing entry")
            if entry.previous_hash != previous_hash:
                return ChainVerification(False, checked, entry.sequence, "broken link")
            if audit_entry_hash(previous_hash=previous_hash, fields=_hashed_fields(entry)) != entry.entry_hash:
                return ChainVerification(False, checked, entry.sequence, "content changed")
            previous_hash = entry.entry_hash
            expected_sequence += 1
            checked += 1
            last_seen = entry.sequence
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_sequence != checked or head.last_hash != previous_hash):
        return ChainVerification(False, checked, checked + 1, "entries removed from the end")
    return ChainVerification(True, checked)
