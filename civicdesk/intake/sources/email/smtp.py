"""The built-in SMTP receiver (aiosmtpd) that the city's MTA relays intake mail to.

It accepts only recipients that are an active mailbox or a valid reply address (550 for the rest,
before any data is sent), refuses messages over `EMAIL_MAX_BYTES` at the protocol level (the SIZE
extension and 552), and answers 250 only once the message is stored: a failure to store is a 451,
so the MTA keeps the mail and tries again. Handling happens afterwards in the Celery worker.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from civicdesk.intake.sources.email.services import inbound_email_receive, recipient_resolve

logger = logging.getLogger(__name__)

RECIPIENTS_MAX = 50


def _resolve(address: str) -> bool:
    close_old_connections()
    return recipient_resolve(address) is not None


def _receive(raw: bytes, recipients: list[str]) -> int:
    close_old_connections()
    return len(inbound_email_receive(raw=raw, source="smtp", recipients=recipients))


class IntakeHandler:
    """aiosmtpd handler: recipient validation at RCPT, storage at DATA."""

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= RECIPIENTS_MAX:
            return "452 4.5.3 Too many recipients"
        try:
            known = await sync_to_async(_resolve, thread_sensitive=True)(address)
        except Exception:
            logger.exception("smtp receiver: recipient lookup failed")
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        if len(raw) > settings.EMAIL_MAX_BYTES:
            return "552 5.3.4 Message too big for this system"
        try:
            stored = await sync_to_async(_receive, thread_sensitive=True)(raw, list(envelope.rcpt_tos))
        except Exception:
            logger.exception("smtp receiver: could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 Temporary failure, try again later"
        logger.info("smtp receiver: stored a message of %d bytes from %s for %d organisation(s)",
                    len(raw), envelope.mail_from, stored)
        return "250 Message accepted for delivery"


def smtp_receiver(*, host: str | None = None, port: int | None = None, **extra: Any) -> Controller:
    """A controller (not started) serving the intake on host:port, by default the settings' 127.0.0.1:2525."""
    return Controller(
        IntakeHandler(), hostname=host or settings.EMAIL_SMTP_RECEIVER_HOST,
        port=settings.EMAIL_SMTP_RECEIVER_PORT if port is None else port,
        data_size_limit=settings.EMAIL_MAX_BYTES, enable_SMTPUTF8=True, decode_data=False,
        ident="CivicDesk intake", **extra,
    )
