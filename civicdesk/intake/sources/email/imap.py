"""Reading a mailbox over IMAP (stdlib `imaplib`): store, handle, then move each message away.

The order makes a poll safe to interrupt at any point: a message is moved to the handled folder
only after it is stored and handled in committed transactions, and storing is idempotent by the
message's hash. A worker killed before the move leaves the message in the inbox; the next poll
finds it already stored (and handled) and only moves it. Mail is never deleted.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from typing import Any

from django.conf import settings
from django.utils import timezone

from civicdesk.intake.models import ImapSecurity, InboundEmail, InboundState, Mailbox
from civicdesk.intake.sources.email.services import inbound_email_process, inbound_email_store

logger = logging.getLogger(__name__)

BATCH = 200
SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapError(Exception):
    pass


def imap_connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in connection to the mailbox's server (TLS unless the mailbox says none)."""
    timeout = settings.EMAIL_IMAP_TIMEOUT_SECONDS
    context = ssl.create_default_context()
    try:
        if mailbox.imap_security == ImapSecurity.SSL:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(mailbox.imap_host, mailbox.imap_port,
                                                          ssl_context=context, timeout=timeout)
        else:
            connection = imaplib.IMAP4(mailbox.imap_host, mailbox.imap_port, timeout=timeout)
            if mailbox.imap_security == ImapSecurity.STARTTLS:
                connection.starttls(ssl_context=context)
        connection.login(mailbox.imap_username, mailbox.imap_password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(str(exc) or type(exc).__name__) from exc
    return connection


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(result: tuple[str, list[Any]], what: str) -> list[Any]:
    status, data = result
    if status != "OK":
        raise ImapError(f"{what}: {status} {data!r}"[:500])
    return data


def _capabilities(connection: imaplib.IMAP4) -> set[str]:
    # imaplib keeps the greeting's list; after login a server often offers more (MOVE, UIDPLUS).
    cached: set[str] | None = getattr(connection, "_civicdesk_capabilities", None)
    if cached is None:
        status, data = connection.capability()
        words = data[0].decode(errors="replace").split() if status == "OK" and isinstance(data[0], bytes) else []
        cached = {word.upper() for word in [*words, *connection.capabilities]}
        connection._civicdesk_capabilities = cached  # type: ignore[attr-defined]
    return cached


def _move(connection: imaplib.IMAP4, uid: bytes, folder: str) -> None:
    capabilities = _capabilities(connection)
    if "MOVE" in capabilities:
        _check(connection.uid("MOVE", uid.decode(), _quote(folder)), "MOVE")
        return
    _check(connection.uid("COPY", uid.decode(), _quote(folder)), "COPY")
    _check(connection.uid("STORE", uid.decode(), "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
    if "UIDPLUS" in capabilities:
        connection.uid("EXPUNGE", uid.decode())
    else:
        connection.expunge()


def mailbox_test_connection(mailbox: Mailbox) -> str:
    """Log in and open the folder; returns the number of messages waiting, raises `ImapError` otherwise."""
    connection = imap_connect(mailbox)
    try:
        data = _check(connection.select(_quote(mailbox.imap_folder), readonly=True), "SELECT")
        return (data[0] or b"0").decode() if isinstance(data[0], bytes) else str(data[0])
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def mailbox_poll(*, mailbox: Mailbox, limit: int = BATCH) -> int:
    """Store, handle and move up to `limit` messages of the mailbox's folder; returns how many were moved.

    A connection or server error is recorded on the mailbox (`last_error`, shown in the admin) and
    the poll ends; the next beat tries again.
    """
    moved = 0
    try:
        connection = imap_connect(mailbox)
    except ImapError as exc:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=str(exc)[:2000], last_polled_at=timezone.now())
        logger.warning("imap %s: %s", mailbox.address, exc)
        return 0
    try:
        connection.create(_quote(mailbox.imap_done_folder))  # "already exists" is fine
        _check(connection.select(_quote(mailbox.imap_folder)), "SELECT")
        data = _check(connection.uid("SEARCH", "UNDELETED"), "SEARCH")
        uids = (data[0] or b"").split() if isinstance(data[0], bytes) else []
        for uid in uids[:limit]:
            _poll_one(connection, mailbox, uid)
            moved += 1
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error="", last_polled_at=timezone.now())
    except (OSError, imaplib.IMAP4.error, ImapError) as exc:
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=str(exc)[:2000], last_polled_at=timezone.now())
        logger.warning("imap %s: %s", mailbox.address, exc)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
    return moved


def _poll_one(connection: imaplib.IMAP4, mailbox: Mailbox, uid: bytes) -> None:
    sizes = _check(connection.uid("FETCH", uid.decode(), "(RFC822.SIZE)"), "FETCH SIZE")
    found = SIZE_RE.search(sizes[0] if isinstance(sizes[0], bytes) else b"")
    size = int(found.group(1)) if found else 0
    # Too large: only the headers are fetched, enough to refuse it with a reason to the sender.
    part = "BODY.PEEK[HEADER]" if size > settings.EMAIL_MAX_BYTES else "BODY.PEEK[]"
    fetched = _check(connection.uid("FETCH", uid.decode(), f"({part})"), "FETCH")
    raw = b""
    for item in fetched:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            raw = item[1]
            break
    row: InboundEmail = inbound_email_store(raw=raw, source="imap", mailbox=mailbox, size=max(size, len(raw)))
    if row.state == InboundState.RECEIVED:
        inbound_email_process(inbound_id=row.pk)
    _move(connection, uid, mailbox.imap_done_folder)
