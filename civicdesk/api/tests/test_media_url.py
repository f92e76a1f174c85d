"""A posted media_url: stored with the case (never fetched), shown to staff, returned once published."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from civicdesk.api.tests.conftest import BASE, Open311City, jpeg_with_exif
from civicdesk.api.tests.test_open311 import form_post, node, post_data, xml
from civicdesk.cases import services as case_services
from civicdesk.cases.models import Attachment, Case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # Requests to /en/ pages (and `locale=en`) leave English active in this thread; later tests
    # in the worker expect the default language.
    with translation.override("fi"):
        yield

PHOTO = "https://photos.example.org/kuoppa.jpg?size=large&x=1"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection the server tried to open for the URL would fail the test (SSRF)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the server tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def _post(client: Client, o311: Open311City, **overrides: Any) -> Case:
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, **overrides))
    assert response.status_code == 200, response.content
    return Case.objects.get(tracking_token=response.json()[0]["token"])


def test_the_address_is_stored_with_the_case_not_in_its_text(client: Client, o311: Open311City) -> None:
    case = _post(client, o311, media_url=PHOTO)
    assert case.description == "Iso kuoppa pyörätiellä."
    assert case.form_answers["media_url"] == PHOTO
    row = case.form_answers["answers"][-1]
    assert (row["kind"], row["value"], row["display"]) == ("media_url", PHOTO, PHOTO)
    client.force_login(o311.city.users["expert"])
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "https://photos.example.org/kuoppa.jpg?size=large&amp;x=1" in page


def test_it_is_returned_only_once_the_request_is_published(client: Client, o311: Open311City) -> None:
    case = _post(client, o311, media_url=PHOTO)
    unpublished = client.get(f"{BASE}/requests/{case.reference}.json?extensions=true").json()[0]
    assert unpublished["media_url"] == ""
    assert unpublished["extended_attributes"]["media_urls"] == []
    case_services.case_publish(case=case, actor=o311.city.users["advisor"], public_title="Kuoppa",
                               public_text="Kadulla on kuoppa.", public_answer="")
    single = client.get(f"{BASE}/requests/{case.reference}.json?extensions=true").json()[0]
    assert single["media_url"] == PHOTO
    assert single["extended_attributes"]["media_urls"] == [PHOTO]
    listed = client.get(f"{BASE}/requests.json?extensions=true").json()
    assert [(r["media_url"], r["extended_attributes"]["media_urls"]) for r in listed] == [(PHOTO, [PHOTO])]
    root = xml(client.get(f"{BASE}/requests.xml?extensions=true"))
    assert node(root, "request/media_url").text == PHOTO
    assert node(root, "request/extended_attributes/media_urls/media_url").text == PHOTO


def test_a_request_without_an_address_has_empty_media_fields(client: Client, o311: Open311City) -> None:
    o311.published()
    row = client.get(f"{BASE}/requests.json?extensions=true").json()[0]
    assert (row["media_url"], row["extended_attributes"]["media_urls"]) == ("", [])


@pytest.mark.parametrize("bad", [
    "javascript:alert(1)", "ftp://example.org/a.jpg", "file:///etc/passwd", "https://user:pass@example.org/a.jpg",
    "https://", "kuoppa.jpg", "https://exa mple.org/a.jpg", "https://example.org/" + "a" * 1000,
])
def test_bad_addresses_are_refused_and_nothing_is_kept(client: Client, o311: Open311City, bad: str) -> None:
    response = form_post(client, f"{BASE}/requests.json", post_data(o311, media_url=bad, locale="en"))
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("media_url: ")
    assert Case.objects.count() == 0


def test_uploaded_media_still_work_beside_the_address(client: Client, o311: Open311City) -> None:
    photo = SimpleUploadedFile("kuoppa.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", {**post_data(o311, media_url=PHOTO), "media": photo})
    assert response.status_code == 200, response.content
    case = Case.objects.get(reference=response.json()[0]["service_request_id"])
    assert Attachment.objects.filter(case=case).count() == 1
    assert case.form_answers["media_url"] == PHOTO
