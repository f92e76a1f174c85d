"""Saved views: each user's named filters for a queue or the list of all contacts.

Only the owner sees, opens, renames or deletes a view; stored filters are checked again when a
view is opened; the queue page pays one query for them, however many there are.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import translation

from civicdesk.cases import selectors, services
from civicdesk.cases.models import Category, SavedView, SavedViewScope
from civicdesk.core.errors import InvalidInputError, NotFoundError
from tests.factories import City

pytestmark = pytest.mark.django_db


def _login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def _queue(city: City) -> str:
    return f"/en/staff/queues/{city.streets.pk}/"


def _save(client: Client, *, name: str, query: str, group: Any = None, next_url: str = "") -> Any:
    data = {"name": name, "query": query, "next": next_url}
    if group is not None:
        data["group"] = str(group.pk)
    return client.post("/en/staff/views/new/", data)


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _view(city: City, user: str = "advisor", *, name: str = "Kadut, eräpäivä", query: Any = None,
          group: Any = None) -> SavedView:
    return services.saved_view_create(
        user=city.users[user], name=name, query=query if query is not None else {"sort": "due"},
        service_group=group if group is not None else city.streets,
    )


# --- saving, listing and opening ----------------------------------------------------------


def test_save_the_current_filters_and_find_the_view_on_the_queue_and_home_pages(client: Client, city: City) -> None:
    city.case()
    client = _login(client, city.users["advisor"])
    list_url = f"{_queue(city)}?filter=all&sort=due&category={city.category_streets.pk}&page=1"

    page = client.get(list_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'action="/en/staff/views/new/"' in body
    # The page number and the defaults are not part of what is saved.
    saved_query = page.context["saved_view_query"]
    assert parse_qs(saved_query) == {"filter": ["all"], "sort": ["due"], "category": [str(city.category_streets.pk)]}

    response = _save(client, name="  Katujen vanhat  ", query=saved_query, group=city.streets, next_url=list_url)

    assert response.status_code == 302
    assert response["Location"] == list_url
    view = SavedView.objects.get()
    assert (view.user, view.organization, view.scope, view.service_group) == (
        city.users["advisor"], city.org, SavedViewScope.QUEUE, city.streets)
    assert view.name == "Katujen vanhat"
    assert view.query == {"filter": "all", "sort": "due", "category": str(city.category_streets.pk)}
    assert _messages(response) == ["The view “Katujen vanhat” was saved."]

    again = client.get(list_url)
    assert again.context["current_saved_view_id"] == view.pk
    assert f'href="/en/staff/views/{view.pk}/" aria-current="page">Katujen vanhat</a>' in again.content.decode()
    home = client.get("/en/staff/")
    assert f'href="/en/staff/views/{view.pk}/"' in home.content.decode()

    opened = client.get(f"/en/staff/views/{view.pk}/")
    assert opened.status_code == 302
    location = urlsplit(opened["Location"])
    assert location.path == _queue(city)
    assert parse_qs(location.query) == {"filter": ["all"], "sort": ["due"], "category": [str(city.category_streets.pk)]}
    assert client.get(opened["Location"]).status_code == 200


def test_save_a_view_of_all_contacts(client: Client, city: City) -> None:
    client = _login(client, city.users["advisor"])

    response = _save(client, name="Puhelimella tulleet", query="channel=phone", next_url="/en/staff/all/?channel=phone")

    assert response.status_code == 302
    view = SavedView.objects.get()
    assert (view.scope, view.service_group, view.organization) == (SavedViewScope.ALL, None, city.org)
    opened = client.get(f"/en/staff/views/{view.pk}/")
    assert opened["Location"] == "/en/staff/all/?channel=phone"


def test_a_saved_view_with_no_filters_opens_the_plain_list(client: Client, city: City) -> None:
    view = _view(city, query={})
    response = _login(client, city.users["advisor"]).get(f"/en/staff/views/{view.pk}/")
    assert response["Location"].endswith(f"/staff/queues/{city.streets.pk}/")


def test_saved_views_of_lists_only_the_users_own_in_order(city: City, django_assert_num_queries: Any) -> None:
    first = _view(city, name="B")
    second = _view(city, name="A", group=city.parks)
    _view(city, "expert", name="Toisen")
    advisor = city.fresh("advisor")
    selectors.saved_views_of(user=advisor)  # access_for, cached on the user

    with django_assert_num_queries(2):  # the views, and the configuration generation (once per request)
        views = selectors.saved_views_of(user=advisor)
        names = [(view.name, str(view.service_group)) for view in views]

    assert [view.pk for view in views] == [first.pk, second.pk]
    assert names == [("B", str(city.streets)), ("A", str(city.parks))]


# --- only the owner -----------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", "rename/"), ("post", "delete/")])
def test_another_users_view_is_not_found_and_unchanged(client: Client, city: City, method: str, suffix: str) -> None:
    view = _view(city, "advisor", name="Minun")
    client = _login(client, city.users["expert"])

    response = getattr(client, method)(f"/en/staff/views/{view.pk}/{suffix}", {"name": "Kaapattu"})

    assert response.status_code == 404
    view.refresh_from_db()
    assert view.name == "Minun"
    assert view.user == city.users["advisor"]
    assert "Minun" not in client.get("/en/staff/").content.decode()


def test_missing_view_is_not_found(client: Client, city: City) -> None:
    client = _login(client, city.users["advisor"])
    assert client.get("/en/staff/views/999999/").status_code == 404
    assert client.post("/en/staff/views/999999/delete/").status_code == 404


def test_services_refuse_another_users_view(city: City) -> None:
    view = _view(city, "advisor", name="Minun")
    with pytest.raises(NotFoundError):
        services.saved_view_rename(user=city.users["expert"], saved_view=view, name="Kaapattu")
    with pytest.raises(NotFoundError):
        services.saved_view_delete(user=city.users["expert"], saved_view=view)
    with pytest.raises(NotFoundError):
        selectors.saved_view_get_for_user(user=city.users["expert"], view_id=view.pk)
    assert SavedView.objects.get().name == "Minun"


def test_rename_and_delete_own_view(client: Client, city: City) -> None:
    view = _view(city, name="Vanha nimi")
    _view(city, name="Toinen")
    client = _login(client, city.users["advisor"])

    renamed = client.post(f"/en/staff/views/{view.pk}/rename/", {"name": "Uusi nimi", "next": _queue(city)})
    assert renamed.status_code == 302
    assert renamed["Location"] == _queue(city)
    view.refresh_from_db()
    assert view.name == "Uusi nimi"

    clash = client.post(f"/en/staff/views/{view.pk}/rename/", {"name": "Toinen"})
    assert clash.status_code == 400
    assert "You already have a saved view called “Toinen”." in clash.content.decode()
    view.refresh_from_db()
    assert view.name == "Uusi nimi"

    deleted = client.post(f"/en/staff/views/{view.pk}/delete/", {"next": "https://evil.example/"})
    assert deleted.status_code == 302
    assert deleted["Location"] == "/en/staff/"  # an address off the site is not followed
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_views_are_post_only_and_need_csrf(city: City) -> None:
    view = _view(city, name="Minun")
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.users["advisor"])

    assert client.get(f"/en/staff/views/{view.pk}/delete/").status_code == 405
    assert client.post(f"/en/staff/views/{view.pk}/delete/").status_code == 403
    assert client.post("/en/staff/views/new/", {"name": "X", "query": "", "group": city.streets.pk}).status_code == 403
    assert SavedView.objects.count() == 1


# --- what may be saved --------------------------------------------------------------------


def test_a_queue_the_user_cannot_open_cannot_be_saved(client: Client, city: City, other_city: City) -> None:
    client = _login(client, city.users["expert"])

    assert _save(client, name="Puistot", query="", group=city.parks).status_code == 404
    assert _save(client, name="Muu", query="", group=other_city.streets).status_code == 404
    assert client.post("/en/staff/views/new/", {"name": "X", "query": "", "group": "abc"}).status_code == 404
    # Experts have no list of all contacts.
    assert _save(client, name="Kaikki", query="").status_code == 404
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    ("name", "query", "message"),
    [
        ("", "sort=due", "Name is required."),
        ("x" * 81, "sort=due", "Name is too long (at most 80 characters)."),
        ("Huono", "category=999999", "These filters are not valid for this list: Category."),
        ("Huono", "sort=bogus&filter=nothing", "These filters are not valid for this list: Show, Sort by."),
        ("Huono", "handler=12345", "These filters are not valid for this list: Handler."),
    ],
)
def test_invalid_saves_are_refused_with_a_translated_message(
    client: Client, city: City, name: str, query: str, message: str
) -> None:
    client = _login(client, city.users["advisor"])

    response = _save(client, name=name, query=query, group=city.streets, next_url=_queue(city))

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'role="alert"' in body
    assert f'href="{_queue(city)}"' in body
    assert not SavedView.objects.exists()


def test_a_category_of_another_organisation_is_not_a_valid_filter(city: City, other_city: City) -> None:
    with pytest.raises(InvalidInputError):
        _view(city, query={"category": str(other_city.category_streets.pk)})


def test_names_are_unique_per_user_and_limited_in_number(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "SAVED_VIEWS_MAX", 3)
    for number in range(3):
        _view(city, name=f"Näkymä {number}")
    _view(city, "expert", name="Näkymä 0")  # another user may use the same name

    with translation.override("en"), pytest.raises(InvalidInputError) as too_many:
        _view(city, name="Neljäs")
    assert str(too_many.value.message) == "You can keep at most 3 saved views. Delete one first."
    services.saved_view_delete(user=city.users["advisor"], saved_view=SavedView.objects.filter(
        user=city.users["advisor"]).earliest("position"))
    with translation.override("en"), pytest.raises(InvalidInputError) as taken:
        _view(city, name="Näkymä 2")
    assert str(taken.value.message) == "You already have a saved view called “Näkymä 2”."
    assert _view(city, name="Neljäs").position == 4
    assert SavedView.objects.filter(user=city.users["advisor"]).count() == 3


def test_the_limit_is_fifty_views_through_http(client: Client, city: City) -> None:
    for number in range(services.SAVED_VIEWS_MAX):
        _view(city, name=f"Näkymä {number}")
    client = _login(client, city.users["advisor"])

    response = _save(client, name="Liikaa", query="", group=city.streets)

    assert response.status_code == 400
    assert "You can keep at most 50 saved views. Delete one first." in response.content.decode()
    assert SavedView.objects.count() == 50


# --- stored filters checked again when opened ---------------------------------------------


def test_a_deactivated_category_is_left_out_with_a_notice(client: Client, city: City) -> None:
    view = _view(city, name="Kadut", query={"category": str(city.category_streets.pk), "sort": "due"})
    Category.objects.filter(pk=city.category_streets.pk).update(is_active=False)
    client = _login(client, city.users["advisor"])

    response = client.get(f"/en/staff/views/{view.pk}/")

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"sort": ["due"]}
    assert _messages(response) == [
        "Some filters of the view “Kadut” are no longer available and were left out: Category."
    ]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "no longer available" in page.content.decode()


def test_a_deleted_category_and_a_handler_who_left_do_not_break_the_view(client: Client, city: City) -> None:
    doomed = Category.objects.create(organization=city.org, code="doomed", name="Poistuva")
    expert2 = city.users["expert2"]
    view = _view(city, name="Sekalaiset", query={"category": str(doomed.pk), "handler": str(expert2.pk), "q": "kuoppa"})
    doomed.delete()
    expert2.group_memberships.all().delete()
    client = _login(client, city.users["advisor"])

    response = client.get(f"/en/staff/views/{view.pk}/")

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"q": ["kuoppa"]}
    assert "Category, Handler" in _messages(response)[0]
    assert client.get(response["Location"]).status_code == 200


def test_tampered_stored_filters_are_left_out(client: Client, city: City) -> None:
    view = _view(city, name="Rikottu", query={})
    SavedView.objects.filter(pk=view.pk).update(
        query={"sort": "nonsense", "filter": ["open"], "area": "x" * 500, "unknown": "1", "channel": "phone"}
    )
    client = _login(client, city.users["advisor"])

    response = client.get(f"/en/staff/views/{view.pk}/")

    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query) == {"channel": ["phone"]}
    assert client.get(response["Location"]).status_code == 200


# --- the queue page stays fast ------------------------------------------------------------


# The page's queries, after a first request that pays for anything done once per session:
# session, user, access_for (2), the group, the filter form's choices (4: handlers, categories,
# types, areas), the selector (3: capped count, rows, categories), the saved views (1), the
# unread-notifications count of the page header (1) and, where the user may act on several cases,
# the action bar's choices (2: people, groups).
QUEUE_PAGE_QUERIES = 14
QUEUE_PAGE_QUERIES_WITH_ACTION_BAR = QUEUE_PAGE_QUERIES + 2


def _queue_page_queries(client: Client, url: str, django_assert_max_num_queries: Any, limit: int) -> int:
    client.get(url)
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    saved_view_queries = [query for query in captured.captured_queries if "cases_savedview" in query["sql"]]
    assert len(saved_view_queries) == 1
    return len(captured.captured_queries)


def test_queue_page_query_count_with_saved_views(
    client: Client, city: City, django_assert_max_num_queries: Any
) -> None:
    client = _login(client, city.users["advisor"])
    city.case()
    # (A category, type or area chosen in the filters costs one more query each, to validate it.)
    url = f"{_queue(city)}?sort=due&q=kuoppa&handler=none"
    limit = QUEUE_PAGE_QUERIES_WITH_ACTION_BAR
    one_row = _queue_page_queries(client, url, django_assert_max_num_queries, limit)

    for number in range(20):
        city.case(title=f"Kuoppa {number}")  # same words, so every case is on the page
        _view(city, name=f"Näkymä {number}", group=city.parks if number % 2 else city.streets)
    many = _queue_page_queries(client, url, django_assert_max_num_queries, limit)

    assert many == one_row
    assert _queue_page_queries(client, "/en/staff/all/?sort=due", django_assert_max_num_queries, limit) <= one_row


def test_saved_views_cost_one_query_on_a_page_without_the_action_bar(
    client: Client, city: City, django_assert_max_num_queries: Any
) -> None:
    client = _login(client, city.users["reporter"])
    city.case()
    before = _queue_page_queries(client, _queue(city), django_assert_max_num_queries, QUEUE_PAGE_QUERIES)
    for number in range(5):
        services.saved_view_create(user=city.users["reporter"], name=f"R{number}", query={},
                                   service_group=city.streets)
    assert _queue_page_queries(client, _queue(city), django_assert_max_num_queries, QUEUE_PAGE_QUERIES) == before
