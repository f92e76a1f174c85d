"""The mailboxes' admin (scoped by organisation, test connection, held and failed mail) and the demo's addresses."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from civicdesk.intake.models import InboundEmail, InboundState, Mailbox
from civicdesk.intake.sources.email.services import case_reply_address, inbound_email_receive
from civicdesk.intake.sources.email.tests.conftest import make_mail
from tests.factories import City

pytestmark = pytest.mark.django_db


def _staff(city: City, name: str):
    user = city.users[name]
    user.is_staff = True
    user.save()
    return user


def test_mailboxes_are_scoped_to_the_admins_organisation(client, city: City, other_city: City, mailbox: Mailbox):
    Mailbox.objects.create(organization=other_city.org, name="Muu", address="palaute@othercity.example",
                           case_type=other_city.types["feedback"])
    client.force_login(_staff(city, "contentadmin"))
    page = client.get(reverse("admin:intake_mailbox_changelist"))
    assert page.status_code == 200
    assert b"palaute@testcity.example" in page.content
    assert b"palaute@othercity.example" not in page.content
    client.force_login(_staff(city, "expert"))
    assert client.get(reverse("admin:intake_mailbox_changelist")).status_code in (302, 403)


def test_a_mailbox_refuses_another_organisations_group_and_imap_without_credentials(client, city, other_city):
    client.force_login(_staff(city, "contentadmin"))
    response = client.post(reverse("admin:intake_mailbox_add"), {
        "organization": city.org.pk, "name": "X", "address": "x@testcity.example",
        "service_group": other_city.streets.pk, "case_type": city.types["feedback"].pk, "language": "fi",
        "auto_acknowledge": "on", "is_active": "on", "imap_host": "imap.example", "imap_port": 993,
        "imap_security": "ssl", "imap_folder": "INBOX", "imap_done_folder": "CivicDesk",
    })
    assert response.status_code == 200
    assert not Mailbox.objects.filter(address="x@testcity.example").exists()


def test_test_connection_explains_a_missing_variable_and_smtp_only_mailboxes(client, city, mailbox, monkeypatch):
    monkeypatch.delenv("MAILBOX_X_PASSWORD", raising=False)
    imap = Mailbox.objects.create(organization=city.org, name="IMAP", address="imap@testcity.example",
                                  case_type=city.types["feedback"], imap_host="127.0.0.1", imap_port=1,
                                  imap_username="u", imap_password_env="MAILBOX_X_PASSWORD")
    client.force_login(_staff(city, "contentadmin"))
    response = client.post(reverse("admin:intake_mailbox_changelist"), {
        "action": "test_connection", "_selected_action": [mailbox.pk, imap.pk]}, follow=True)
    text = response.content.decode()
    assert "SMTP" in text
    assert "MAILBOX_X_PASSWORD" in text
    monkeypatch.setenv("MAILBOX_X_PASSWORD", "x")
    response = client.post(reverse("admin:intake_mailbox_changelist"), {
        "action": "test_connection", "_selected_action": [imap.pk]}, follow=True)
    assert response.status_code == 200  # a refused connection is a message, not a 500


def test_held_mail_is_accepted_from_the_admin(client, city, mailbox, django_capture_on_commit_callbacks):
    case = city.case()
    address = case_reply_address(case=case, mailbox=mailbox)
    with django_capture_on_commit_callbacks(execute=True):
        row = inbound_email_receive(raw=make_mail(sender="other@example.net", to=address), source="smtp",
                                    recipients=[address])[0]
    row.refresh_from_db()
    assert row.state == InboundState.HELD_UNKNOWN_SENDER
    client.force_login(_staff(city, "advisor"))
    listing = client.get(reverse("admin:intake_inboundemail_changelist"))
    assert listing.status_code == 200
    assert b"other@example.net" in listing.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:intake_inboundemail_changelist"), {
            "action": "accept_held", "_selected_action": [row.pk]}, follow=True)
    row.refresh_from_db()
    assert row.state == InboundState.ACCEPTED
    case.refresh_from_db()
    assert case.customer_email == "maija@example.fi"


def test_inbound_mail_of_another_organisation_is_not_listed(client, city, other_city, mailbox,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound_email_receive(raw=make_mail(), source="smtp", recipients=["palaute@testcity.example"])
    client.force_login(_staff(other_city, "advisor"))
    listing = client.get(reverse("admin:intake_inboundemail_changelist"))
    assert b"maija@example.fi" not in listing.content
    assert InboundEmail.objects.count() == 1


def test_demo_mailboxes_prints_the_intake_addresses(city, mailbox):
    out = StringIO()
    call_command("demo_mailboxes", stdout=out)
    assert out.getvalue().split() == ["palaute@testcity.example"]  # no demo city here: nothing created
