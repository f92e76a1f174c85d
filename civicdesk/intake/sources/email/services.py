"""Mail into cases: reply addresses, threading, the decision what a message is, and the intake.

Every message is first stored (`inbound_email_receive`, idempotent by the raw bytes' hash) and
only then handled (`inbound_email_process`), so no receiver needs to hold mail in memory and no
message is lost when a worker dies: an unhandled row is handled again, a handled one never twice.

How a message finds its case (ADR 0017), in this order: the signed token in the reply address it
was sent to; the Message-IDs it answers (`In-Reply-To`, `References`) among the mails of the same
organisation; a case number in the subject, but only from the case's own customer. A message that
reaches a case from anyone but the customer is held on the timeline for staff; it never changes
the customer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import Role, User
from civicdesk.cases import services as case_services
from civicdesk.cases.attachments import ValidatedFile, attachment_validate
from civicdesk.cases.models import Case, Channel, TimelineEntry
from civicdesk.core.drains import drain_soon, waiting_ids
from civicdesk.core.errors import ApplicationError, InvalidInputError
from civicdesk.core.follow_ups import committed_row_keep, follow_up, follow_ups_here
from civicdesk.core.process_cache import ProcessCache
from civicdesk.intake import services as intake_services
from civicdesk.intake.models import InboundEmail, InboundState, Mailbox, OutboundEmail
from civicdesk.intake.sources.email.parsing import (
    AutoKind,
    ParsedEmail,
    email_head_parse,
    email_parse,
    sender_verified,
    subject_without_prefixes,
)

logger = logging.getLogger(__name__)

TOKEN_SALT = "civicdesk.intake.email.reply-address"  # noqa: S105 - a salt, not a secret
TOKEN_RE = re.compile(r"^c-(?P<case>[0-9a-z]{1,13})-(?P<mac>[0-9a-f]{20})$")
REFERENCE_RE = re.compile(r"\[?(?P<reference>\d{4}-\d{6})\]?")
EMAIL_FILES_MAX = 10
STAFF_ROLES = (Role.SERVICE_ADVISOR, Role.EXPERT, Role.CONTENT_ADMIN, Role.TECHNICAL_ADMIN)
HANDLED_STATES = (InboundState.CASE_CREATED, InboundState.ADDED_TO_CASE, InboundState.HELD_UNKNOWN_SENDER,
                  InboundState.ACCEPTED)


# --- reply addresses ----------------------------------------------------------------------


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def case_reply_token(case_id: int) -> str:
    """`c-<case id in base 36>-<20 hex digits of an HMAC>`: lower case, so MTAs that fold case keep it valid."""
    mac = salted_hmac(TOKEN_SALT, str(case_id), algorithm="sha256").hexdigest()[:20]
    return f"c-{_base36(case_id)}-{mac}"


def case_id_from_token(token: str) -> int | None:
    found = TOKEN_RE.match(token.lower())
    if not found:
        return None
    case_id = int(found.group("case"), 36)
    return case_id if constant_time_compare(case_reply_token(case_id), token.lower()) else None


def case_reply_address(*, case: Case, mailbox: Mailbox) -> str:
    local, _at, domain = mailbox.address.partition("@")
    return f"{local}{settings.EMAIL_REPLY_SEPARATOR}{case_reply_token(case.pk)}@{domain}"


@dataclass(frozen=True)
class Recipient:
    mailbox: Mailbox
    case_id: int | None


def _address_parts(address: str) -> tuple[str, str, str] | None:
    """`palaute+c-…@city` → ("palaute", "c-…", "city"); the token is empty for a plain address."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    if not at:
        return None
    token = ""
    separator = settings.EMAIL_REPLY_SEPARATOR
    if separator and separator in local:
        local, _sep, token = local.partition(separator)
    return local, token, domain


def recipient_resolve(address: str) -> Recipient | None:
    """The active mailbox (and case, for a reply address) an envelope or header address names, else None."""
    parts = _address_parts(address)
    if parts is None:
        return None
    local, token, domain = parts
    mailbox = _mailbox_of_address(f"{local}@{domain}")
    if mailbox is None or not mailbox.organization.is_active:
        return None
    if not token:
        return Recipient(mailbox=mailbox, case_id=None)
    case_id = case_id_from_token(token)
    return Recipient(mailbox=mailbox, case_id=case_id) if case_id is not None else None


def mailbox_for_case(case: Case) -> Mailbox | None:
    """The mailbox a case's mail is sent from and replied to: its group's, else the organisation's first.

    The organisation's mailboxes are kept per process for EMAIL_MAILBOX_CACHE_SECONDS, as the
    inbound mapping is (`_mailbox_cached`). Shared: only read the mailbox returned."""
    mailboxes = _organization_mailboxes.get(
        case.organization_id, seconds=settings.EMAIL_MAILBOX_CACHE_SECONDS,
        load=lambda: tuple(Mailbox.objects.filter(organization_id=case.organization_id, is_active=True)
                           .order_by("id")))
    for mailbox in mailboxes:
        if mailbox.service_group_id == case.owner_group_id:
            return mailbox
    return next((m for m in mailboxes if m.service_group_id is None), mailboxes[0] if mailboxes else None)


def message_id_make(*, case: Case | None, kind: str, domain: str) -> str:
    reference = case.reference if case is not None else "none"
    return f"<civicdesk.{reference}.{kind}.{secrets.token_hex(8)}@{domain}>"


# --- storing ------------------------------------------------------------------------------


def inbound_email_receive(
    *, raw: bytes, source: str, recipients: Sequence[str], process: bool = True
) -> list[InboundEmail]:
    """Store a message once per organisation it is addressed to, and queue its handling after commit.

    Recipients that are not an active mailbox or a valid reply address are skipped (the SMTP
    receiver refuses them before DATA). Receiving the same bytes again returns the stored row.
    """
    stored: list[InboundEmail] = []
    seen_orgs: set[int] = set()
    digest = hashlib.sha256(raw).hexdigest()
    for address in recipients:
        recipient = recipient_resolve(address)
        if recipient is None or recipient.mailbox.organization_id in seen_orgs:
            continue
        seen_orgs.add(recipient.mailbox.organization_id)
        stored.append(_store(raw, digest=digest, source=source, address=address, mailbox=recipient.mailbox))
    if process and any(row.state == InboundState.RECEIVED for row in stored):
        if settings.CELERY_TASK_ALWAYS_EAGER:  # tests: each mail handled here and now, by its own task
            from civicdesk.intake.tasks import inbound_email_process_task

            for row in stored:
                if row.state == InboundState.RECEIVED:
                    _queue(inbound_email_process_task, row.pk)
        else:
            transaction.on_commit(inbound_emails_drain_soon)
    return stored


DRAIN_KEY = "intake:inbound-email"
# The mails a drain reads ids of at a time; more waiting than this brings in another drain.
DRAIN_BATCH = 50
# The most mails one drain task handles before it queues the next one (a worker restart, a deploy, or a
# time limit then costs at most this much work again; what was handled is never handled twice).
DRAIN_MAX = 500


def inbound_emails_drain_soon() -> None:
    """Have the stored mail handled within about a second, by one task for the whole burst (`core.drains`)."""
    from civicdesk.intake.tasks import inbound_emails_drain_task

    drain_soon(inbound_emails_drain_task, key=DRAIN_KEY)


def inbound_emails_waiting() -> int:
    """How many stored mails wait to be handled (the partial index `inbound_email_waiting_idx`)."""
    return InboundEmail.objects.filter(state=InboundState.RECEIVED).count()


def inbound_emails_drain(*, limit: int | None = None) -> tuple[int, bool]:
    """Handle the stored mail that waits, oldest first, each in its own transaction with what follows it
    (as `inbound_email_process_task` does); at most `limit` (DRAIN_MAX). Returns how many were handled
    and whether more wait.

    Several drains (and single-mail tasks) may run at once: on PostgreSQL a mail another task holds is
    skipped (`SKIP LOCKED`), and it is handled there."""
    limit = DRAIN_MAX if limit is None else limit
    handled = 0
    for inbound_id in waiting_ids(InboundEmail.objects.filter(state=InboundState.RECEIVED), batch=DRAIN_BATCH):
        if handled >= limit:
            return handled, True
        with follow_ups_here():
            inbound_email_process(inbound_id=inbound_id, skip_locked=True)
        handled += 1
    return handled, False


def inbound_email_store(*, raw: bytes, source: str, mailbox: Mailbox, size: int | None = None) -> InboundEmail:
    """Store a message read from a known mailbox (IMAP), once; `size` is the server's when only headers were read."""
    return _store(raw, digest=hashlib.sha256(raw).hexdigest(), source=source, address=mailbox.address,
                  mailbox=mailbox, size=size)


def _queue(task: Any, inbound_id: int) -> None:
    transaction.on_commit(lambda: task.delay(inbound_id=inbound_id))


def _store(raw: bytes, *, digest: str, source: str, address: str, mailbox: Mailbox,
           size: int | None = None) -> InboundEmail:
    # No look-up first: the same bytes come again rarely (a retried SMTP transaction, a re-read IMAP
    # folder), and the unique (organization, sha256) constraint finds them below at no cost to the rest.
    parsed_head = _head_only(raw)
    # The whole message (the receivers refuse anything over EMAIL_MAX_BYTES) until it is handled:
    # its files are read from it. Only the evidence copy kept afterwards is cut (`_evidence_only`).
    row = InboundEmail(
        organization_id=mailbox.organization_id, mailbox=mailbox, source=source,
        envelope_recipient=address[:320], sender_address=parsed_head.sender_address[:320],
        sender_name=parsed_head.sender_name[:200], subject=parsed_head.subject[:998],
        message_id=parsed_head.message_id[:998], raw=raw, raw_size=max(size or 0, len(raw)), sha256=digest,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # stored meanwhile by another receiver
        return InboundEmail.objects.get(organization_id=mailbox.organization_id, sha256=digest)
    return row


def _head_only(raw: bytes) -> ParsedEmail:
    return email_head_parse(raw)


# --- handling -----------------------------------------------------------------------------


def _files(parsed: ParsedEmail) -> tuple[list[ValidatedFile], list[dict[str, str]]]:
    accepted: list[ValidatedFile] = []
    refused: list[dict[str, str]] = []
    for attachment in parsed.attachments:
        if len(accepted) >= EMAIL_FILES_MAX:
            refused.append({"name": attachment.filename, "reason": gettext("Too many files in one message.")})
            continue
        try:
            accepted.append(attachment_validate(ContentFile(attachment.data, name=attachment.filename),
                                                name=attachment.filename))
        except InvalidInputError as exc:
            refused.append({"name": attachment.filename, "reason": str(exc.message)})
    return accepted, refused


# The stored message under its row lock, with how many of its sender's messages the last hour handled
# (the sender's rate limit), in one statement: the handling task's first.
_LOCKED_SQL = (
    f"SELECT m.*, (SELECT COUNT(*) FROM {InboundEmail._meta.db_table} r "  # noqa: S608 (the model's table)
    "WHERE r.organization_id = m.organization_id AND r.sender_address = m.sender_address "
    "AND r.received_at >= %s AND r.state IN ({states}) AND r.id <> m.id) AS recent_from_sender "
    f"FROM {InboundEmail._meta.db_table} m WHERE m.id = %s"
)


def _locked_for_handling(inbound_id: int, *, skip_locked: bool = False) -> InboundEmail | None:
    """The stored message, locked until the handling's transaction ends, with `recent_from_sender`;
    with `skip_locked`, None while another task holds it (PostgreSQL)."""
    since = connection.ops.adapt_datetimefield_value(timezone.now() - dt.timedelta(hours=1))
    sql = _LOCKED_SQL.format(states=", ".join(["%s"] * len(HANDLED_STATES)))
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF m"
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            sql += " SKIP LOCKED"
    return next(iter(InboundEmail.objects.raw(sql, [since, *HANDLED_STATES, inbound_id])), None)


def _case_of_thread(organization_id: int, parsed: ParsedEmail) -> Case | None:
    ids = parsed.thread_ids[:50]
    if not ids:
        return None
    outbound = OutboundEmail.objects.filter(organization_id=organization_id, message_id__in=ids,
                                            case__isnull=False).values_list("message_id", "case_id")
    inbound = InboundEmail.objects.filter(organization_id=organization_id, message_id__in=ids,
                                          case__isnull=False).values_list("message_id", "case_id")
    case_of = dict([*inbound, *outbound])
    for message_id in ids:  # the nearest message this one answers decides
        if message_id in case_of:
            return _one(Case.objects.filter(pk=case_of[message_id]).only(*_FOUND_CASE_FIELDS))
    return None


def _case_of_subject(organization_id: int, parsed: ParsedEmail) -> Case | None:
    """A case number in the subject counts only when the sender is that case's customer."""
    found = REFERENCE_RE.search(parsed.subject)
    if not found or not parsed.sender_address:
        return None
    return _one(Case.objects.filter(organization_id=organization_id, reference=found.group("reference"),
                                    customer_email__iexact=parsed.sender_address).only(*_FOUND_CASE_FIELDS))


def _case_id_of_address(address: str) -> int | None:
    """The case a reply address names, from its signed token alone (no query): `palaute+c-…@city`."""
    parts = _address_parts(address)
    return case_id_from_token(parts[1]) if parts is not None and parts[1] else None


# What `_into_case` reads of the case a message threads into: the case services it calls read the
# case again under its row lock.
_FOUND_CASE_FIELDS = ("id", "organization_id", "customer_email")

M = TypeVar("M", bound=Model)


def _one(rows: QuerySet[M]) -> M | None:
    """The row of a query that matches at most one (a unique key): unlike `first()`, no ordering to build."""
    return next(iter(rows[:1]), None)


def _find_case(row: InboundEmail, parsed: ParsedEmail) -> tuple[Case | None, str]:
    # The token is signed, so it names a real case of ours; the organisation is checked below (the
    # envelope's mailbox was resolved when the message was stored).
    case_ids = dict.fromkeys(
        case_id for case_id in map(_case_id_of_address, [row.envelope_recipient, *parsed.to, *parsed.cc])
        if case_id is not None)
    for case_id in case_ids:
        case = _one(Case.objects.filter(pk=case_id, organization_id=row.organization_id).only(*_FOUND_CASE_FIELDS))
        if case is not None:
            return case, "reply_address"
    case = _case_of_thread(row.organization_id, parsed)
    if case is not None:
        return case, "thread"
    case = _case_of_subject(row.organization_id, parsed)
    return (case, "subject") if case is not None else (None, "")


def _staff_forwarder(row: InboundEmail) -> User | None:
    if not row.sender_address:
        return None
    return User.objects.filter(
        email__iexact=row.sender_address, is_active=True,
        memberships__organization_id=row.organization_id, memberships__role__in=STAFF_ROLES,
    ).distinct().first()


def _sender_label(parsed: ParsedEmail) -> str:
    if parsed.sender_name and parsed.sender_address:
        return f"{parsed.sender_name} <{parsed.sender_address}>"[:200]
    return (parsed.sender_name or parsed.sender_address)[:200]


_mailboxes: ProcessCache[Mailbox | None] = ProcessCache()
_mailboxes_by_address: ProcessCache[Mailbox | None] = ProcessCache()
_organization_mailboxes: ProcessCache[tuple[Mailbox, ...]] = ProcessCache()


def _mailbox_of_address(address: str) -> Mailbox | None:
    """The active mailbox with this address, with its organisation; kept per process like `_mailbox_cached`
    (a mailbox switched off stops taking mail within EMAIL_MAILBOX_CACHE_SECONDS). Shared: only read it."""
    return _mailboxes_by_address.get(address, seconds=settings.EMAIL_MAILBOX_CACHE_SECONDS, load=lambda: (
        Mailbox.objects.filter(address=address, is_active=True).select_related("organization").first()))


def _mailbox_cached(mailbox_id: int) -> Mailbox | None:
    """The mailbox with its organisation, case type and group, kept per worker process for
    EMAIL_MAILBOX_CACHE_SECONDS (a changed mapping applies within that time). Shared: only read it."""
    return _mailboxes.get(mailbox_id, seconds=settings.EMAIL_MAILBOX_CACHE_SECONDS, load=lambda: (
        Mailbox.objects.select_related("organization", "case_type", "service_group").filter(pk=mailbox_id).first()))


def inbound_email_process(*, inbound_id: int, skip_locked: bool = False) -> InboundEmail | None:
    """Handle one stored message; does nothing to a message already handled (idempotent).

    Outcomes, kept in `state`: refused for size (with an explaining reply), automatic mail
    (bounces, auto-replies, out-of-office, lists: never answered, bounces mark the failed mail),
    held for the sender's rate limit, added to its case as the customer's message, held on the
    case from an unknown sender, or a new case through `case_intake` (acknowledged if the mailbox
    says so). Anything that goes wrong leaves the row `failed` with the reason, never lost.

    One transaction under the stored message's row lock, from reading it to its outcome: a second
    task for the same message waits, then finds it handled (with `skip_locked`, a drain, it does not
    wait: None).
    """
    parsed: ParsedEmail | None = None
    try:
        with transaction.atomic():
            row = _locked_for_handling(inbound_id, skip_locked=skip_locked)
            if row is None or row.state != InboundState.RECEIVED:
                return row
            if row.mailbox_id is not None:
                mailbox = _mailbox_cached(row.mailbox_id)
                if mailbox is not None:
                    row.mailbox = mailbox
                    row.organization = mailbox.organization
            if row.raw_size > settings.EMAIL_MAX_BYTES:
                return _finish_refused_size(row)
            parsed = email_parse(bytes(row.raw), trusted_authserv_ids=frozenset(settings.EMAIL_TRUSTED_AUTHSERV_IDS))
            if parsed.auto_kind:
                return _finish_automatic(row, parsed)
            if getattr(row, "recent_from_sender", 0) >= settings.EMAIL_SENDER_RATE_LIMIT_PER_HOUR:
                return _finish(row, InboundState.RATE_LIMITED, parsed)
            files, refused = _files(parsed)
            details: dict[str, Any] = {"refused_files": refused} if refused else {}
            if parsed.has_calendar:
                details["calendar"] = True
            case, how = _find_case(row, parsed)
            if case is not None:
                details["matched_by"] = how
                _into_case(row, parsed, case, files, details)
            else:
                _new_case(row, parsed, files, details)
            return row
    except ApplicationError as exc:
        logger.info("email %s refused: %s", inbound_id, exc.message)
        return _finish_failed(inbound_id, parsed, error=str(exc.message))
    except Exception as exc:
        logger.exception("email %s could not be handled", inbound_id)
        return _finish_failed(inbound_id, parsed, error=f"{type(exc).__name__}: {exc}"[:1000])


def _finish_failed(inbound_id: int, parsed: ParsedEmail | None, *, error: str) -> InboundEmail | None:
    """After the handling's transaction rolled back (nothing of it is stored): the message failed, with why."""
    with transaction.atomic():
        row = _one(InboundEmail.objects.select_for_update().filter(pk=inbound_id))
        if row is None or row.state != InboundState.RECEIVED:
            return row
        return _finish(row, InboundState.FAILED, parsed, error=error)


def _finish(row: InboundEmail, state: str, parsed: ParsedEmail | None, *, error: str = "",
            details: dict[str, Any] | None = None, also: tuple[str, ...] = ()) -> InboundEmail:
    row.state = state
    row.error = error
    if parsed is not None:
        row.auto_kind = parsed.auto_kind
        row.authentication = parsed.authentication
    row.details = {**row.details, **(details or {})}
    fields = ["state", "error", "auto_kind", "authentication", "details", *also]
    if state in EVIDENCE_ONLY_STATES and _evidence_only(row):
        fields += ["raw", "raw_truncated"]
    row.save(update_fields=fields)
    return row


# Handled for good: what was needed of the message is in the case, so only the evidence copy stays.
# Held, failed and rate-limited messages keep every byte until they are accepted or handled again.
EVIDENCE_ONLY_STATES = frozenset({InboundState.CASE_CREATED, InboundState.ADDED_TO_CASE,
                                  InboundState.IGNORED_AUTOMATIC, InboundState.ACCEPTED})


def _evidence_only(row: InboundEmail) -> bool:
    """Cut the kept raw message to EMAIL_RAW_MAX_BYTES; True if it was longer."""
    limit = settings.EMAIL_RAW_MAX_BYTES
    if len(row.raw) <= limit:
        return False
    row.raw = bytes(row.raw[:limit])
    row.raw_truncated = True
    return True


def _finish_refused_size(row: InboundEmail) -> InboundEmail:
    parsed = _head_only(bytes(row.raw))
    _finish(row, InboundState.REJECTED_SIZE, parsed)
    if not parsed.auto_kind and row.sender_address:
        from civicdesk.intake.tasks import email_refusal_send_task

        transaction.on_commit(lambda: email_refusal_send_task.delay(inbound_id=row.pk))
    return row


def _finish_automatic(row: InboundEmail, parsed: ParsedEmail) -> InboundEmail:
    details: dict[str, Any] = {}
    if parsed.auto_kind == AutoKind.BOUNCE:
        from civicdesk.intake.sources.email.outbound import outbound_bounced

        failed = outbound_bounced(organization_id=row.organization_id, parsed=parsed)
        details["delivery_failures"] = [f.__dict__ for f in parsed.delivery_failures][:20]
        details["bounced_outbound"] = failed
    return _finish(row, InboundState.IGNORED_AUTOMATIC, parsed, details=details)


def _into_case(row: InboundEmail, parsed: ParsedEmail, case: Case, files: list[ValidatedFile],
               details: dict[str, Any]) -> None:
    body = parsed.trimmed_text or parsed.subject or gettext("(The message had no text.)")
    sender = _sender_label(parsed)
    if parsed.sender_address and parsed.sender_address == (case.customer_email or "").lower():
        entry = case_services.case_record_customer_message(
            case=case, body=body, sender_label=parsed.sender_name or sender, channel=Channel.EMAIL)
        if files:
            case_services.case_add_customer_files(case=entry.case, files=files, entry=entry)
        state = InboundState.ADDED_TO_CASE
    else:
        entry = case_services.case_record_unknown_sender_message(
            case=case, body=body, sender_label=sender or gettext("Unknown sender"), channel=Channel.EMAIL,
            data={"inbound_email": row.pk})
        # Files of an unknown sender wait with the message; they are stored when staff accept it.
        details["held_files"] = len(files)
        state = InboundState.HELD_UNKNOWN_SENDER
    row.case = entry.case
    row.entry = entry
    _finish(row, state, parsed, details=details, also=("case", "entry"))


def _new_case(row: InboundEmail, parsed: ParsedEmail, files: list[ValidatedFile], details: dict[str, Any]) -> None:
    mailbox = row.mailbox
    if mailbox is None:
        raise InvalidInputError(_("The mailbox of this message no longer exists."))
    customer_name, customer_email = parsed.sender_name, parsed.reply_to or parsed.sender_address
    title = subject_without_prefixes(parsed.subject)
    text = parsed.text
    forwarder = _staff_forwarder(row) if parsed.forwarded is not None else None
    if forwarder is not None and parsed.forwarded is not None:
        customer_name, customer_email = parsed.forwarded.sender_name, parsed.forwarded.sender_address
        title = subject_without_prefixes(parsed.forwarded.subject) or title
        text = parsed.forwarded.text or text
        row.forwarded_by = forwarder
        details["forwarded_by"] = {"user": forwarder.pk, "address": row.sender_address}
    description = text or title or gettext("(The message had no text.)")
    try:
        customer_email = case_services.email_clean(customer_email)
    except InvalidInputError:
        details["unusable_address"] = customer_email[:320]
        customer_email = ""
    case = intake_services.case_intake(
        organization=row.organization, channel=Channel.EMAIL, case_type=mailbox.case_type,
        description=description, title=title, language=mailbox.language, customer_name=customer_name[:200],
        customer_email=customer_email, answer_requested=bool(customer_email), owner_group=mailbox.service_group,
    )
    created = case.created_entry
    if files:
        case_services.case_add_customer_files(case=case, files=files, entry=created)
    if forwarder is not None:
        note = gettext("Forwarded to %(mailbox)s from the personal mailbox of %(name)s.") % {
            "mailbox": mailbox.address, "name": forwarder.get_full_name() or forwarder.username}
        if parsed.forwarded is not None and parsed.forwarded.comment:
            note += "\n\n" + parsed.forwarded.comment
        try:
            case_services.case_add_note(case=case, actor=forwarder, body=note)
        except ApplicationError:
            details["forward_note"] = note  # the forwarder may not handle this queue; the row keeps it
    row.case = case
    row.entry = created
    _finish(row, InboundState.CASE_CREATED, parsed, details=details, also=("case", "entry", "forwarded_by"))
    if mailbox.auto_acknowledge and case.customer_email:
        from civicdesk.intake.tasks import email_acknowledgement_send_task

        # After the routing `case_intake` registered first, so that, run by the handling task itself
        # (`core.follow_ups`), the acknowledgement leaves from the address of the group that took the case.
        committed_row_keep(row)
        follow_up(email_acknowledgement_send_task, inbound_id=row.pk)


def case_sender_verified(*, case_id: int) -> bool | None:
    """The verdict on the sender of the mail that created the case (`parsing.sender_verified`); None without one."""
    verdicts = (InboundEmail.objects.filter(case_id=case_id, state=InboundState.CASE_CREATED)
                .order_by("id").values_list("authentication", flat=True).first())
    return sender_verified(verdicts) if verdicts else None


def inbound_email_accept(*, user: Any, inbound: InboundEmail) -> TimelineEntry:
    """Staff accept a held message from an unknown sender as a message on its case (the customer stays)."""
    from civicdesk.cases.permissions import can_record_message_on_case
    from civicdesk.core.errors import InvalidStateError, NotFoundError

    if inbound.case is None or not can_record_message_on_case(user, inbound.case):
        raise NotFoundError()
    if inbound.state != InboundState.HELD_UNKNOWN_SENDER:
        raise InvalidStateError(_("Only a held message can be accepted."))
    parsed = email_parse(bytes(inbound.raw))
    files, _refused = _files(parsed)
    with transaction.atomic():
        entry = case_services.case_record_customer_message(
            case=inbound.case, body=parsed.trimmed_text or parsed.subject or "-", sender_label=_sender_label(parsed),
            actor=user, channel=Channel.EMAIL)
        case_services.case_add_customer_files(case=entry.case, files=files, entry=entry)
        inbound.state = InboundState.ACCEPTED
        inbound.entry = entry
        fields = ["state", "entry"]
        if _evidence_only(inbound):
            fields += ["raw", "raw_truncated"]
        inbound.save(update_fields=fields)
    return entry


def inbound_emails_retry(*, rows: Iterable[InboundEmail]) -> int:
    """Put failed or rate-limited messages back to be handled again (admin action)."""
    count = 0
    for row in rows:
        if row.state in (InboundState.FAILED, InboundState.RATE_LIMITED):
            InboundEmail.objects.filter(pk=row.pk).update(state=InboundState.RECEIVED, error="")
            count += 1
            from civicdesk.intake.tasks import inbound_email_process_task

            _queue(inbound_email_process_task, row.pk)
    return count
