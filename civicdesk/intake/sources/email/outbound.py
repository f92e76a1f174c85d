"""Mail out of cases: addresses and headers that make replies come back to the right case.

Every mail about a case gets a Message-ID of our own (kept in `OutboundEmail`, so the customer's
answer, which cites it in `In-Reply-To`, finds the case), `In-Reply-To`/`References` pointing at
the customer's messages (so their client threads the conversation) and `Reply-To` the case's
signed reply address. Mail the system writes by itself carries `Auto-Submitted: auto-replied`,
which well-behaved autoresponders never answer (RFC 3834).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
import time
from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from civicdesk.cases.models import Case, DeliveryState, TimelineEntry
from civicdesk.intake.models import InboundEmail, Mailbox, OutboundEmail, OutboundKind
from civicdesk.intake.sources.email.parsing import ParsedEmail
from civicdesk.intake.sources.email.services import case_reply_address, mailbox_for_case, message_id_make

__all__ = ["mail_prepare", "mail_send", "mailbox_for_case", "outbound_bounced"]

logger = logging.getLogger(__name__)

REFERENCES_MAX = 10
AUTOMATIC_KINDS = {OutboundKind.RECEIPT, OutboundKind.ACKNOWLEDGEMENT, OutboundKind.BOUNCE, OutboundKind.REMINDER}


@dataclass
class PreparedMail:
    outbound: OutboundEmail
    message: EmailMultiAlternatives


def _domain(mailbox: Mailbox | None) -> str:
    if mailbox is not None:
        return mailbox.address.rpartition("@")[2]
    default = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ")
    return default or "civicdesk.localhost"


def case_sender(case: Case, mailbox: Mailbox | None) -> str:
    """The From address: the case's service group's own address, else the mailbox's, else the default."""
    group = case.owner_group
    name = str(group.name) if group is not None else str(case.organization.name)
    if group is not None and group.email:
        return formataddr((name, group.email))
    if mailbox is not None:
        return formataddr((str(case.organization.name), mailbox.address))
    return settings.DEFAULT_FROM_EMAIL


# The case's message ids, both ways, oldest first, in one statement: every mail out of a case reads
# them, and building two ORM queries cost more than running them (docs/benchmarks.md, email channel).
_THREAD_SQL = (
    f"SELECT 0, message_id, received_at, id FROM {InboundEmail._meta.db_table} "  # noqa: S608 (the models' tables)
    "WHERE case_id = %s AND message_id <> '' "
    f"UNION ALL SELECT 1, message_id, created_at, id FROM {OutboundEmail._meta.db_table} "
    "WHERE case_id = %s AND message_id <> '' ORDER BY 1, 3, 4"
)


def thread_headers(case: Case) -> dict[str, str]:
    """In-Reply-To the customer's latest message, References the case's conversation so far (oldest first)."""
    with connection.cursor() as cursor:
        cursor.execute(_THREAD_SQL, [case.pk, case.pk])
        rows = cursor.fetchall()
    inbound = [message_id for way, message_id, _at, _id in rows if way == 0][:50]
    outbound = [message_id for way, message_id, _at, _id in rows if way == 1][:50]
    if not inbound and not outbound:
        return {}
    chain = inbound[:1] + [m for m in outbound + inbound[1:] if m not in inbound[:1]]
    chain = chain[:1] + chain[1:][-(REFERENCES_MAX - 1):]
    headers = {"References": " ".join(chain)}
    if inbound:
        headers["In-Reply-To"] = inbound[-1]
    return headers


def mail_prepare(
    *, case: Case, kind: str, subject: str, body: str, to: str, entry: TimelineEntry | None = None,
    html: str = "", extra_headers: dict[str, str] | None = None,
) -> PreparedMail:
    """The message and its `OutboundEmail` row (state queued); `mail_send` sends it."""
    mailbox = mailbox_for_case(case)
    # A retry sends the same message again under the same Message-ID.
    outbound = OutboundEmail.objects.filter(entry=entry, kind=kind).first() if entry is not None else None
    message_id = outbound.message_id if outbound else message_id_make(case=case, kind=kind, domain=_domain(mailbox))
    headers = {"Message-ID": message_id, "X-CivicDesk-Case": case.reference, **thread_headers(case)}
    if kind in AUTOMATIC_KINDS:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    headers.update(extra_headers or {})
    reply_to = [case_reply_address(case=case, mailbox=mailbox)] if mailbox is not None else []
    message = EmailMultiAlternatives(subject=" ".join(subject.split())[:250], body=body,
                                     from_email=case_sender(case, mailbox), to=[to], reply_to=reply_to,
                                     headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    if outbound is None:
        outbound = OutboundEmail.objects.create(organization_id=case.organization_id, case=case, entry=entry,
                                                kind=kind, message_id=message_id, to_address=to[:320])
    return PreparedMail(outbound=outbound, message=message)


class _KeptConnection(threading.local):
    """This thread's open connection to the mail server, and what it was opened for."""

    backend: BaseEmailBackend | None = None
    key: tuple[Any, ...] = ()
    used_at: float = 0.0
    sent: int = 0


_kept = _KeptConnection()
# Some relays limit the messages of one SMTP session; well below the usual limits (Postfix: none,
# Exchange Online: 30 per minute per connection is the throttle, not the session).
KEPT_CONNECTION_MAX_MESSAGES = 100


def _connection_key() -> tuple[Any, ...]:
    return (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER,
            settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL, settings.EMAIL_TIMEOUT)


def _drop_kept_connection() -> None:
    backend, _kept.backend = _kept.backend, None
    if backend is not None:
        with contextlib.suppress(Exception):  # the server may have gone already
            backend.close()


def _session_closed_by_server(exc: Exception) -> bool:
    """Disconnected, or 421 ("closing the channel", e.g. Postfix's idle timeout) to the first command."""
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421)


def _send_on_kept_connection(message: EmailMultiAlternatives) -> None:
    """Send on this thread's kept connection: one SMTP session for a worker's many mails, not one each.

    A connection idle longer than EMAIL_CONNECTION_KEEP_SECONDS (0: never kept), opened under other
    settings, or that has carried KEPT_CONNECTION_MAX_MESSAGES is closed first. If a kept connection
    turns out closed by the server, the mail is sent once more on a new one; any other failure closes
    the connection and raises.
    """
    keep = settings.EMAIL_CONNECTION_KEEP_SECONDS
    now = time.monotonic()
    if _kept.backend is not None and (_kept.key != _connection_key() or now - _kept.used_at > keep
                                      or _kept.sent >= KEPT_CONNECTION_MAX_MESSAGES):
        _drop_kept_connection()
    for attempt in (1, 2):
        reused = _kept.backend is not None
        if not reused:
            backend = get_connection(fail_silently=False)
            backend.open()
            _kept.backend, _kept.key, _kept.sent = backend, _connection_key(), 0
        message.connection = _kept.backend
        try:
            message.send(fail_silently=False)
        except Exception as exc:
            _drop_kept_connection()
            if reused and attempt == 1 and _session_closed_by_server(exc):
                continue  # the server ended the idle session before this mail: nothing was sent on it
            raise
        finally:
            message.connection = None
        _kept.used_at, _kept.sent = time.monotonic(), _kept.sent + 1
        if keep <= 0:
            _drop_kept_connection()
        return


def mail_send(prepared: PreparedMail) -> None:
    """Send through Django's mail backend (SMTP in production) on a kept connection; raises on failure for
    the task to retry."""
    try:
        _send_on_kept_connection(prepared.message)
    except Exception as exc:
        OutboundEmail.objects.filter(pk=prepared.outbound.pk).update(state="failed", error=str(exc)[:1000])
        raise
    OutboundEmail.objects.filter(pk=prepared.outbound.pk).update(state="sent", sent_at=timezone.now(), error="")


def outbound_bounced(*, organization_id: int, parsed: ParsedEmail) -> list[int]:
    """Mark the mail a bounce returns as failed, and its timeline entry's delivery with the reason.

    The returned mail is found by the Message-ID the bounce quotes, else by a failed recipient's
    latest mail. Returns the ids of the `OutboundEmail` rows marked.
    """
    rows: list[OutboundEmail] = []
    if parsed.bounced_message_ids:
        rows = list(OutboundEmail.objects.filter(organization_id=organization_id,
                                                 message_id__in=parsed.bounced_message_ids))
    if not rows:
        for failure in parsed.delivery_failures[:5]:
            latest = (OutboundEmail.objects
                      .filter(organization_id=organization_id, to_address__iexact=failure.recipient)
                      .order_by("-created_at", "-id").first())
            if latest is not None:
                rows.append(latest)
    reason = "; ".join(f"{f.status} {f.diagnostic}".strip() for f in parsed.delivery_failures)[:500] or parsed.subject
    for row in rows:
        OutboundEmail.objects.filter(pk=row.pk).update(state="failed", error=f"bounce: {reason}"[:1000])
        if row.entry_id is not None:
            entry = TimelineEntry.objects.filter(pk=row.entry_id).first()
            if entry is not None:
                entry.delivery_state = DeliveryState.FAILED
                entry.data = {**entry.data, "error": reason}
                entry.save(update_fields=["delivery_state", "data"])
    return [row.pk for row in rows]
