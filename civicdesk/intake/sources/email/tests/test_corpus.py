"""The corpus: real-world-shaped mail from the clients residents and staff use, with what each must give.

Each row names a file in `corpus/` and the outcome expected of `email_parse`: the sender, the kind
of automatic mail, text that the trimmed body must start with (and text it must not contain), the
files, the forwarded sender and the SPF/DKIM/DMARC verdicts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from civicdesk.intake.sources.email.parsing import email_head_parse, email_parse

CORPUS = Path(__file__).parent / "corpus"

# file: (sender, auto kind, trimmed text starts with, must not be in trimmed, files (name, inline), forwarded sender)
EXPECTED: dict[str, tuple[str, str, str, str, list[tuple[str, bool]], str]] = {
    "01_gmail_alternative_utf8.eml": ("maija.meikalainen@gmail.com", "", "Hei,\n\nRantakadulla on iso kuoppa", "<div",
                                      [], ""),
    "02_outlook_html_only_cp1252.eml": ("jussi.virtanen@outlook.com", "", "Puiston roskis on täynnä – ”jälleen”.",
                                        "alert", [], ""),
    "03_apple_mail_related_inline_image.eml": ("anna.lindqvist@icloud.com", "", "Hej!\n\nBänken vid lekparken",
                                               "cid:", [("IMG_0001.png", True)], ""),
    "04_iphone_plain_signature.eml": ("pekka.p@elisanet.example", "", "Katuvalo ei pala", "iPhonesta", [], ""),
    "05_android_gmail_base64.eml": ("liisa.k@gmail.com", "", "Jalkakäytävä on aivan jäässä", "Android", [], ""),
    "06_iso8859_1_plain.eml": ("eero@kolumbus.example", "", "Päiväkodin pihan portti", "\ufffd", [], ""),
    "07_windows1252_mislabelled_latin1.eml": ("kirsi@yritys.example", "", "Maksoin 20 € liikaa – ”pysäköintimaksu”",
                                              "\x80", [], ""),
    "08_rfc2047_subject_mixed.eml": ("asa@example.se", "", "Det behövs fler bänkar", "=?", [], ""),
    "09_outlook_reply_quoted.eml": ("maija.meikalainen@gmail.com", "", "Kiitos! Kuoppa on nyt paikattu.",
                                    "korjaamme", [], ""),
    "10_gmail_reply_quoted_fi.eml": ("maija.meikalainen@gmail.com", "", "Kuoppa on taas auki.", "kirjoitti", [], ""),
    "11_apple_reply_quoted_en.eml": ("tom@me.example", "", "Thanks, that helps.", "playground", [], ""),
    "12_swedish_reply_quoted.eml": ("anna.lindqvist@icloud.com", "", "Tack för svaret!", "lagar", [], ""),
    "13_gmail_inline_forward_by_staff.eml": ("expert@merilahti.example", "", "Tämä tuli minulle suoraan", "",
                                             [], "sanna.asukas@gmail.com"),
    "14_outlook_inline_forward_fw.eml": ("expert@merilahti.example", "", "", "", [], "olli.naapuri@example.net"),
    "15_outlook_forward_as_attachment.eml": ("expert@merilahti.example", "", "Liitteenä asukkaan viesti.", "", [],
                                             "tiina@example.org"),
    "16_forward_by_stranger.eml": ("random@example.com", "", "FYI", "", [], "victim@example.net"),
    "17_dsn_bounce_postfix.eml": ("mailer-daemon@mx.merilahti.example", "bounce", "I'm sorry", "", [], ""),
    "18_exchange_ndr.eml": ("postmaster@outlook.com", "bounce", "Delivery has failed", "", [], ""),
    "19_outlook_out_of_office_fi.eml": ("maija.meikalainen@gmail.com", "out_of_office", "Olen lomalla", "", [], ""),
    "20_gmail_vacation_responder.eml": ("liisa.k@gmail.com", "out_of_office", "Olen poissa", "", [], ""),
    "21_autoreply_header_only.eml": ("helpdesk@vendor.example", "auto_reply", "Thank you", "", [], ""),
    "22_mailing_list.eml": ("news@newsletter.example", "list", "Tervetuloa", "", [], ""),
    "23_precedence_junk.eml": ("promo@spam.example", "bulk", "Klikkaa", "", [], ""),
    "24_calendar_invite.eml": ("ville@yhdistys.example", "", "Tervetuloa asukasiltaan", "VCALENDAR",
                               [("invite.ics", False)], ""),
    "25_mixed_with_pdf_and_photo.eml": ("info@rakennus.example", "", "Liitteenä hakemus ja kuva.", "",
                                        [("hakemus.pdf", False), ("kuva.png", False), ("lasku.pdf.exe", False)], ""),
    "26_html_with_scripts_and_remote_images.eml": ("h@evil.example", "", "Palaute", "document.cookie", [], ""),
    "27_malformed_mime_no_boundary_end.eml": ("broken@example.com", "", "Viesti ilman loppua", "",
                                              [("attachment", False)], ""),
    "28_unknown_charset.eml": ("weird@example.com", "", "Hyvää päivää.", "", [], ""),
    "29_unicode_address_smtputf8.eml": ("jörg@bücher.example", "", "Ein Gruß aus Deutschland.", "", [], ""),
    "30_header_injection_name.eml": ("evil@example.com", "", "Hello", "", [], ""),
    "31_samsung_mobile_html_only.eml": ("matti.m@hotmail.example", "", "Bussipysäkin katoksen lasi on rikki.",
                                        "Samsung", [], ""),
    "32_thunderbird_signature_dashes.eml": ("kalle@posti.example", "", "Kiitos nopeasta aurauksesta Kuusitiellä!",
                                            "040 123", [], ""),
    "33_dkim_fail_spoof.eml": ("mayor@merilahti.example", "", "Maksakaa heti.", "", [], ""),
    "34_outlook_alternative_related_cid.eml": ("sari.salo@outlook.com", "", "Koulun seinässä on graffiti", "[cid:",
                                               [("image001.png", True)], ""),
}


def test_the_corpus_has_at_least_30_messages_and_each_has_an_expectation() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.eml"))
    assert len(files) >= 30
    assert set(files) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name: str) -> None:
    sender, auto_kind, starts, absent, files, forwarded = EXPECTED[name]
    parsed = email_parse((CORPUS / name).read_bytes())
    assert parsed.sender_address == sender
    assert parsed.auto_kind == auto_kind
    assert parsed.trimmed_text.startswith(starts), parsed.trimmed_text[:200]
    if absent:
        assert absent not in parsed.trimmed_text
    assert [(a.filename, a.inline) for a in parsed.attachments] == files
    assert (parsed.forwarded.sender_address if parsed.forwarded else "") == forwarded
    assert "\n" not in parsed.subject
    assert "\r" not in parsed.subject
    assert "\n" not in parsed.sender_name
    assert "<script" not in parsed.html
    assert "onload" not in parsed.html
    assert "javascript:" not in parsed.html
    # The original, untrimmed text is kept for the record.
    assert parsed.trimmed_text in parsed.text or not parsed.text


def test_quoted_history_is_kept_in_the_original_text() -> None:
    parsed = email_parse((CORPUS / "10_gmail_reply_quoted_fi.eml").read_bytes())
    assert "korjaamme kuopan" in parsed.text
    assert parsed.thread_ids == ["<case-2025-000123.r1@merilahti.example>"]


def test_html_is_sanitised_and_remote_images_are_dropped() -> None:
    parsed = email_parse((CORPUS / "26_html_with_scripts_and_remote_images.eml").read_bytes())
    assert "evil.example" not in parsed.html
    assert "<iframe" not in parsed.html
    assert "<form" not in parsed.html
    assert "<style" not in parsed.html
    assert parsed.subject == "Hei Bcc: all@merilahti.example"  # the encoded CRLF became a space
    inline = email_parse((CORPUS / "03_apple_mail_related_inline_image.eml").read_bytes())
    assert 'src="cid:IMG1@apple"' in inline.html


def test_bounces_name_the_failed_recipient_and_the_returned_message() -> None:
    parsed = email_parse((CORPUS / "17_dsn_bounce_postfix.eml").read_bytes())
    assert [(f.recipient, f.action, f.status) for f in parsed.delivery_failures] == [
        ("nobody@nonexistent.example", "failed", "5.1.1")]
    assert parsed.bounced_message_ids == ["<case-2025-000123.r1@merilahti.example>"]
    assert "User unknown" in parsed.delivery_failures[0].diagnostic


def test_authentication_results_trust_only_the_topmost_or_the_configured_server() -> None:
    raw = (CORPUS / "33_dkim_fail_spoof.eml").read_bytes()
    assert email_parse(raw).authentication == {"authserv_id": "mx.merilahti.example", "spf": "fail",
                                               "dkim": "none", "dmarc": "fail"}
    trusted = email_parse(raw, trusted_authserv_ids=frozenset({"mx.merilahti.example"})).authentication
    assert trusted["dmarc"] == "fail"
    assert email_parse(raw, trusted_authserv_ids=frozenset({"other.example"})).authentication == {}


def test_calendar_parts_are_recognised() -> None:
    assert email_parse((CORPUS / "24_calendar_invite.eml").read_bytes()).has_calendar


@pytest.mark.parametrize("raw", [
    b"", b"\x00\x01\x02", b"Subject: =?utf-8?B?####?=\n\n", b"From: <<<@@@>>>\nTo: ,,,,\n\nx",
    b"Content-Type: multipart/mixed\n\nno boundary", b"Content-Type: text/plain; charset=\"\xff\xfe\"\n\n\xff\xfe",
    b"Message-ID: " + b"<" + b"a" * 5000 + b">\n\nx", b"Content-Transfer-Encoding: base64\n\n====",
    b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 2000,
])
def test_malformed_input_never_raises(raw: bytes) -> None:
    parsed = email_parse(raw)
    assert parsed.size == len(raw)
    assert len(parsed.message_id) < 1000
    assert email_head_parse(raw).size == len(raw)


HEAD_FIELDS = ("message_id", "in_reply_to", "references", "subject", "sender_name", "sender_address", "reply_to",
               "to", "cc", "date", "authentication")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_header_alone_gives_what_the_whole_message_gives_of_it(name: str) -> None:
    """Storing a message reads only its header (`email_head_parse`): the same fields, and the same kind
    of automatic mail wherever the header shows it (every bounce of the corpus does)."""
    raw = (CORPUS / name).read_bytes()
    whole, head = email_parse(raw, trusted_authserv_ids=frozenset({"mx.merilahti.example"})), email_head_parse(
        raw, trusted_authserv_ids=frozenset({"mx.merilahti.example"}))
    assert {f: getattr(head, f) for f in HEAD_FIELDS} == {f: getattr(whole, f) for f in HEAD_FIELDS}
    assert head.auto_kind == whole.auto_kind
    assert head.text == "", "the body is not read"
    assert head.attachments == []
