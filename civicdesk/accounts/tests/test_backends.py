"""The session's user is read by a kept statement (accounts.backends): the same user the ORM gives,
nobody for an unknown, malformed or deactivated account, and a change to the row seen at once."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth import get_user
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from civicdesk.accounts.backends import _USER, KeptUserBackend, _user_by_pk
from civicdesk.accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_user(**values: Any) -> User:
    return cast(User, UserFactory(**values))


def test_the_user_is_the_one_the_orm_gives_and_changes_are_seen_at_once() -> None:
    anna = make_user(username="anna", first_name="Anna")
    backend = KeptUserBackend()
    found = backend.get_user(anna.pk)
    assert found == anna
    assert (found.username, found.first_name, found.password, found.is_active) == (
        anna.username, anna.first_name, anna.password, True)
    assert not found._state.adding
    User.objects.filter(pk=anna.pk).update(first_name="Anni")
    with CaptureQueriesContext(connection) as queries:
        again = backend.get_user(str(anna.pk))  # as the session stores it
    assert again.first_name == "Anni"
    assert len(queries) == 1
    if connection.vendor == "postgresql":  # SQLite's backend is not asked: its statements are plain text
        assert _USER.is_kept(user_id=anna.pk)
    assert _user_by_pk(user_id=anna.pk).get() == anna


def test_unknown_malformed_and_deactivated_accounts_are_nobody() -> None:
    backend = KeptUserBackend()
    anna = make_user(username="anna")
    assert backend.get_user(anna.pk + 1000) is None
    assert backend.get_user("not-a-number") is None
    User.objects.filter(pk=anna.pk).update(is_active=False)
    assert backend.get_user(anna.pk) is None


def test_a_signed_in_request_gets_its_user_through_the_backend(client: Client) -> None:
    anna = make_user(username="anna")
    client.force_login(anna)
    request = RequestFactory().get("/")
    request.session = client.session
    assert get_user(request) == anna
    assert client.session["_auth_user_backend"] == "civicdesk.accounts.backends.KeptUserBackend"
    assert client.get("/staff/").status_code == 200
