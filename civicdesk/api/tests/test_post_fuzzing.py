"""Hypothesis against POST requests: whatever the fields hold, the answer is a 200 with exactly one
new case, or a 4xx in the spec's error shape with nothing stored — never a 500."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicdesk.api.tests.conftest import BASE, SVG_WITH_SCRIPT, Open311City, jpeg_with_exif
from civicdesk.cases.models import Attachment, Case

pytestmark = pytest.mark.django_db

coordinates = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["60.17", "24.94", "0", "-91", "181", "1e309", "nan", "60,17", " 60.17 ", "", "0x10"]),
    st.text(max_size=30),
)
texts = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.sampled_from(['<script>alert(1)</script>', "<b>kuoppa</b> &amp; <img src=x onerror=alert(1)>",
                     "x" * 4001, "Rivi\nToinen rivi", "\x00\x01\x1f", "😀" * 50]),
)
FIELDS = {
    "service_code": st.one_of(st.none(), st.sampled_from(["171", "172", "999", "", "171,172"]), st.text(max_size=60)),
    "description": texts,
    "title": texts,
    "lat": coordinates,
    "long": coordinates,
    "address_string": texts,
    "email": st.one_of(st.none(), st.emails().map(str), st.text(max_size=40)),
    "first_name": texts,
    "last_name": texts,
    "phone": st.one_of(st.none(), st.sampled_from(["040 123 4567", "+358401234567", "123"]), st.text(max_size=40)),
    "media_url": st.one_of(st.none(), st.sampled_from(["https://example.org/a.jpg", "javascript:x", "ftp://x"])),
    "locale": st.one_of(st.none(), st.sampled_from(["fi", "sv_FI", "en-GB", "xx", "ääää"])),
    "attribute[case_type]": st.one_of(st.none(), st.sampled_from(["fault-report", "feedback", "nope"])),
    "attribute[feedback_subtype]": st.one_of(st.none(), st.sampled_from(["thanks", "idea", "bad"])),
    "jurisdiction_id": st.one_of(st.none(), st.sampled_from(["testcity", "nowhere"])),
    "answer_requested": st.one_of(st.none(), st.sampled_from(["true", "false", "maybe"])),
}
keys = st.sampled_from(["valid", "valid", "valid", "missing", "wrong", "garbage"])
media = st.lists(st.sampled_from(["jpeg", "svg", "text", "garbage", "empty"]), max_size=3)


def _key(kind: str, o311: Open311City) -> str | None:
    return {"valid": o311.key, "missing": None, "wrong": o311.key[:-4] + "AAAA", "garbage": "' OR 1=1 --"}[kind]


def _upload(kind: str, number: int) -> SimpleUploadedFile:
    content = {"jpeg": jpeg_with_exif(), "svg": SVG_WITH_SCRIPT, "text": b"plain words\n",
               "garbage": bytes(range(256)) * 4, "empty": b""}[kind]
    return SimpleUploadedFile(f"file{number}.jpg", content, content_type="image/jpeg")


def _check(response: Any, before: int) -> None:
    assert response.status_code < 500, response.content
    body = response.json()
    if response.status_code == 200:
        assert Case.objects.count() == before + 1
        case = Case.objects.get(tracking_token=body[0]["token"])
        assert body[0]["token"] == case.tracking_token
    else:
        assert 400 <= response.status_code < 500
        assert body
        assert all(set(error) == {"code", "description"} for error in body)
        assert body[0]["code"] == response.status_code
        assert Case.objects.count() == before


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({}, optional=FIELDS), key=keys)
def test_form_encoded_posts(client: Client, o311: Open311City, fields: dict[str, Any], key: str) -> None:
    data = {name: value for name, value in {**fields, "api_key": _key(key, o311)}.items() if value is not None}
    before = Case.objects.count()
    response = client.post(f"{BASE}/requests.json", urlencode(data), content_type="application/x-www-form-urlencoded")
    _check(response, before)


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=media, description=st.text(min_size=1, max_size=50))
def test_multipart_posts_with_media(client: Client, o311: Open311City, files: list[str], description: str) -> None:
    data: dict[str, Any] = {"api_key": o311.key, "service_code": "171", "description": description}
    if files:
        data["media"] = [_upload(kind, n) for n, kind in enumerate(files)]
    before, attachments = Case.objects.count(), Attachment.objects.count()
    response = client.post(f"{BASE}/requests.json", data)
    _check(response, before)
    ok = response.status_code == 200
    assert Attachment.objects.count() == attachments + (len(files) if ok else 0)
    if {"svg", "garbage", "empty"} & set(files):
        assert not ok


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.binary(max_size=400), boundary=st.sampled_from(["xyz", "", "a" * 80]))
def test_broken_multipart_bodies(client: Client, o311: Open311City, body: bytes, boundary: str) -> None:
    before = Case.objects.count()
    response = client.post(f"{BASE}/requests.json", body, content_type=f"multipart/form-data; boundary={boundary}")
    _check(response, before)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({"description": st.text(min_size=1, max_size=300)},
                                    optional={k: FIELDS[k] for k in ("lat", "long", "title", "email", "phone",
                                                                       "first_name", "address_string", "locale")}))
def test_valid_posts_are_never_lost(client: Client, o311: Open311City, fields: dict[str, Any]) -> None:
    """With the required fields right, only the optional ones can refuse a post, and then with a 400."""
    data = {"api_key": o311.key, "service_code": "171", **{k: v for k, v in fields.items() if v is not None}}
    before = Case.objects.count()
    response = client.post(f"{BASE}/requests.json", urlencode(data), content_type="application/x-www-form-urlencoded")
    _check(response, before)
    if response.status_code == 200:
        case = Case.objects.get(tracking_token=response.json()[0]["token"])
        assert case.description == fields["description"].replace("\x00", "").strip()
