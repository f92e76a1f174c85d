"""The built-in SMTP receiver on a real socket, fed by Python's smtplib and by swaks."""

from __future__ import annotations

import io
import os
import shutil
import smtplib
import socket
import subprocess
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings

from civicdesk.cases.models import Case, Channel
from civicdesk.intake.models import InboundEmail, InboundState, Mailbox
from civicdesk.intake.sources.email.services import case_reply_address
from civicdesk.intake.sources.email.smtp import smtp_receiver
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.usefixtures("committed_db")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver(mailbox: Mailbox) -> Iterator[int]:
    port = free_port()
    controller = smtp_receiver(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_smtplib_mail_becomes_a_case_and_is_acknowledged(city: City, receiver: int) -> None:
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        refused = client.sendmail("maija@example.fi", ["palaute@testcity.example"], make_mail())
    assert refused == {}
    row = InboundEmail.objects.get()
    assert row.state == InboundState.CASE_CREATED
    assert row.source == "smtp"
    case = Case.objects.get()
    assert (case.channel, case.owner_group_id, case.customer_email) == (Channel.EMAIL, city.streets.pk,
                                                                        "maija@example.fi")
    assert mail.outbox[0].to == ["maija@example.fi"]


def test_unknown_recipients_are_refused_before_data(city: City, mailbox: Mailbox, receiver: int) -> None:
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.sendmail("x@example.fi", ["nobody@testcity.example", "palaute+c-1-00000000000000000000@testcity."
                                             "example"], make_mail())
        codes = {code for code, _ in refused.value.recipients.values()}
    assert codes == {550}
    assert not InboundEmail.objects.exists()
    case = city.case()
    with smtplib.SMTP("127.0.0.1", receiver, timeout=10) as client:
        address = case_reply_address(case=case, mailbox=mailbox)
        client.sendmail("maija@example.fi", [address], make_mail(to=address, body="Lisätietoa."))
    assert InboundEmail.objects.get().state == InboundState.ADDED_TO_CASE


def test_oversized_mail_is_refused_at_the_smtp_level(city: City, mailbox: Mailbox) -> None:
    port = free_port()
    with override_settings(EMAIL_MAX_BYTES=10_000):
        controller = smtp_receiver(host="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            assert client.has_extn("size")
            assert int(client.esmtp_features["size"]) == 10_000
            big = make_mail(attachments=(("iso.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 20_000),))
            with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
                client.sendmail("maija@example.fi", ["palaute@testcity.example"], big)
            assert refused.value.smtp_code == 552
    finally:
        controller.stop()
    assert not InboundEmail.objects.exists()


@pytest.mark.skipif(shutil.which("swaks") is None and not os.environ.get("CI"),
                    reason="swaks is not installed (apt-get install swaks); CI installs it")
def test_swaks_delivers_with_an_attachment_and_unicode(city: City, receiver: int, tmp_path) -> None:
    photo = tmp_path / "kuva.txt"
    photo.write_text("Mittaukset: 12 cm syvä kuoppa.\n", encoding="utf-8")
    result = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(receiver), "--from", "liisa@example.fi",
         "--to", "palaute@testcity.example", "--header", "Subject: =?UTF-8?Q?J=C3=A4=C3=A4t=C3=A4v=C3=A4_katu?=",
         "--header", "From: Liisa <liisa@example.fi>", "--body", "Katu on jäässä koulun edessä.",
         "--attach-type", "text/plain", "--attach-name", "mittaukset.txt", "--attach", f"@{photo}",
         "--hide-all"],
        capture_output=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    case = Case.objects.get()
    assert case.title == "Jäätävä katu"
    assert "koulun edessä" in case.description
    assert [a.original_name for a in case.attachments.all()] == ["mittaukset.txt"]
    refused = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(receiver), "--to",
                              "stranger@testcity.example", "--hide-all"], capture_output=True, timeout=60, check=False)
    assert refused.returncode != 0


def test_the_command_serves_and_reports_its_addresses(city: City, mailbox: Mailbox, monkeypatch) -> None:
    from civicdesk.intake.management.commands import smtp_receiver as command

    port = free_port()
    answers: list[int] = []

    def deliver_then_stop() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            answers.append(client.noop()[0])

    monkeypatch.setattr(command, "wait_until_stopped", deliver_then_stop)
    out = io.StringIO()
    call_command("smtp_receiver", "--port", str(port), stdout=out)
    assert "palaute@testcity.example" in out.getvalue()
    assert answers == [250]


def test_a_real_50_mb_mail_is_refused_whether_or_not_the_client_announces_its_size(
        city: City, mailbox: Mailbox, receiver: int) -> None:
    """With the default limits (EMAIL_MAX_BYTES 40 MB): refused at MAIL FROM by SIZE, and after DATA without it."""
    # CRLF line ends as an MTA sends them (smtplib passes bytes on as they are).
    huge = make_mail(attachments=(("video.mp4", "video/mp4", b"\0" * (50 * 1024 * 1024)),)).replace(b"\n", b"\r\n")
    with smtplib.SMTP("127.0.0.1", receiver, timeout=60) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as announced:
            client.sendmail("maija@example.fi", ["palaute@testcity.example"], huge)
        assert announced.value.smtp_code == 552
    with smtplib.SMTP("127.0.0.1", receiver, timeout=60) as client:
        client.ehlo()
        assert client.mail("maija@example.fi")[0] == 250  # no SIZE parameter: the server learns it while reading
        assert client.rcpt("palaute@testcity.example")[0] == 250
        code, message = client.data(huge)
        assert code == 552, message
    assert not InboundEmail.objects.exists()


def test_a_mail_within_the_limit_keeps_its_text_and_explains_the_attachment_that_is_too_large(
        city: City, mailbox: Mailbox, receiver: int) -> None:
    """A 20 MB PDF is under the mail limit (40 MB) but over the file limit (15 MB): the case is made, the file is
    refused with the reason on the row, and nothing of it is stored."""
    big_pdf = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    with smtplib.SMTP("127.0.0.1", receiver, timeout=60) as client:
        client.sendmail("maija@example.fi", ["palaute@testcity.example"],
                        make_mail(body="Liitteenä suunnitelma.", attachments=(
                            ("suunnitelma.pdf", "application/pdf", big_pdf),)).replace(b"\n", b"\r\n"))
    row = InboundEmail.objects.get()
    assert row.state == InboundState.CASE_CREATED
    assert row.raw_truncated  # the evidence copy is size-limited (EMAIL_RAW_MAX_BYTES)
    assert [f["name"] for f in row.details["refused_files"]] == ["suunnitelma.pdf"]
    assert row.case is not None
    assert not row.case.attachments.exists()
