import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_login_with_correct_password_redirects_to_staff_home(client):
    UserFactory(username="anna")
    response = client.post("/accounts/login/", {"username": "anna", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


@pytest.mark.django_db
@override_settings(LOGIN_RATE_LIMIT_PER_USER="3/m", LOGIN_RATE_LIMIT="100/m")
def test_password_guessing_for_one_user_is_slowed_down():
    from django.test import Client

    UserFactory(username="anna")
    client = Client()
    statuses = [client.post("/accounts/login/", {"username": "anna", "password": f"wrong-{i}"}).status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    # Even the right password waits until the window has passed.
    blocked = client.post("/accounts/login/", {"username": "anna", "password": "correct-horse-battery"})
    assert blocked.status_code == 429
    assert blocked["Retry-After"]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(LOGIN_RATE_LIMIT="2/m", LOGIN_RATE_LIMIT_PER_USER="100/m")
def test_one_address_trying_many_usernames_is_slowed_down(client):
    statuses = [client.post("/accounts/login/", {"username": f"user{i}", "password": "x"}).status_code
                for i in range(3)]
    assert statuses[-1] == 429


@pytest.mark.django_db
def test_rate_limit_message_is_translated(client):
    with override_settings(LOGIN_RATE_LIMIT="1/m"):
        client.post("/accounts/login/", {"username": "a", "password": "b"}, HTTP_ACCEPT_LANGUAGE="fi")
        response = client.post("/accounts/login/", {"username": "a", "password": "b"}, HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 429
    assert response.headers["Content-Language"] == "fi"
