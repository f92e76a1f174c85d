from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from civicdesk.intake.models import Mailbox
from tests.database import audit_log_empty_for_flush
from tests.factories import City


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """Committed data for servers on other threads, and an audit log emptied before the closing flush.

    As in tests/browser: on SQLite the flush is a DELETE, which the audit log's append-only
    triggers refuse, so the log is emptied with the triggers dropped and they are put back.
    """
    yield
    audit_log_empty_for_flush()


@pytest.fixture
def mailbox(city: City) -> Mailbox:
    return Mailbox.objects.create(
        organization=city.org, name="Palaute", address="palaute@testcity.example", case_type=city.types["feedback"],
        service_group=city.streets, language="fi",
    )


def make_mail(*, sender: str = "Maija Meikäläinen <maija@example.fi>", to: str = "palaute@testcity.example",
              subject: str = "Kuoppa Rantakadulla", body: str = "Rantakadulla on iso kuoppa.",
              headers: dict[str, str] | None = None, attachments: tuple[tuple[str, str, bytes], ...] = ()) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.fi")
    message["Date"] = "Mon, 03 Nov 2025 09:14:22 +0200"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)
