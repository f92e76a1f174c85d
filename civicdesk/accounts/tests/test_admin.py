"""The Django admin limited to the organisations an admin manages."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import override_settings

from civicdesk.accounts.models import GroupMembership, Membership, Role, User
from civicdesk.privacy.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def techadmin(city):
    user = city.fresh("techadmin")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def contentadmin(city):
    user = city.fresh("contentadmin")
    user.is_staff = True
    user.save()
    return user


def changelist_rows(client, url: str) -> list[Any]:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(response.context["cl"].result_list)


def form_data(response) -> dict[str, Any]:
    """The POST data the rendered change form would send back unchanged (main form and inlines)."""
    data: dict[str, Any] = {}

    def add(form: forms.BaseForm) -> None:
        for name in form.fields:
            bound = form[name]
            widget, value = bound.field.widget, bound.value()
            if isinstance(widget, forms.MultiWidget):
                for index, part in enumerate(widget.decompress(value) or []):
                    data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


# --- scoping of changelists ---------------------------------------------------------------


def test_technical_admin_sees_only_their_organisations_rows(client, city, other_city, techadmin):
    audit_record(action="test.mine", organization_id=city.org.pk, object_type="thing", object_id=1)
    audit_record(action="test.theirs", organization_id=other_city.org.pk, object_type="thing", object_id=2)
    audit_record(action="test.nobodys", object_type="thing", object_id=3)
    client.force_login(techadmin)

    users = changelist_rows(client, "/admin/accounts/user/")
    groups = changelist_rows(client, "/admin/organizations/servicegroup/")
    areas = changelist_rows(client, "/admin/organizations/area/")
    categories = changelist_rows(client, "/admin/cases/category/")
    entries = changelist_rows(client, "/admin/privacy/auditentry/")

    assert set(users) == set(city.users.values())
    assert {g.organization_id for g in groups} == {city.org.pk}
    assert len(groups) == 5
    assert set(areas) == {city.area_west, city.area_east}
    assert {c.organization_id for c in categories} == {city.org.pk}
    assert len(categories) == 3
    assert {e.organization_id for e in entries if e.organization_id} == {city.org.pk}
    # Entries without an organisation only when one of the organisation's own staff made them.
    assert {e.actor_id for e in entries if e.organization_id is None} == {techadmin.pk}
    # Besides the organisation's own entries: the admin's login and readings of the log itself.
    assert [e.action for e in entries if e.action not in ("audit_log.view", "auth.login")] == ["test.mine"]


def test_admin_search_does_not_reach_other_organisations(client, city, other_city, techadmin):
    client.force_login(techadmin)

    assert changelist_rows(client, f"/admin/accounts/user/?q={other_city.users['expert'].username}") == []


def test_other_organisations_objects_cannot_be_opened(client, city, other_city, techadmin):
    client.force_login(techadmin)

    for url in (
        f"/admin/accounts/user/{other_city.users['expert'].pk}/change/",
        f"/admin/organizations/servicegroup/{other_city.streets.pk}/change/",
        f"/admin/organizations/area/{other_city.area_west.pk}/change/",
        f"/admin/cases/category/{other_city.category_parks.pk}/change/",
    ):
        response = client.get(url)
        # The admin treats an object outside the queryset as missing.
        assert response.status_code == 302, url
        assert response["Location"] == "/admin/", url


def test_content_admin_cannot_see_users_or_the_audit_log(client, city, contentadmin):
    client.force_login(contentadmin)

    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get(f"/admin/accounts/user/{city.users['expert'].pk}/change/").status_code == 403
    assert client.get("/admin/privacy/auditentry/").status_code == 403
    index = client.get("/admin/")
    assert index.status_code == 200
    app_labels = {app["app_label"] for app in index.context["app_list"]}
    assert "accounts" not in app_labels
    assert "privacy" not in app_labels
    # Content configuration is theirs.
    assert len(changelist_rows(client, "/admin/cases/category/")) == 3
    assert len(changelist_rows(client, "/admin/organizations/servicegroup/")) == 5


def test_staff_without_admin_role_sees_nothing(client, city):
    expert = city.fresh("expert")
    expert.is_staff = True
    expert.save()
    client.force_login(expert)

    assert client.get("/admin/").context["app_list"] == []
    for url in ("/admin/accounts/user/", "/admin/cases/category/", "/admin/privacy/auditentry/"):
        assert client.get(url).status_code == 403, url


def test_non_staff_admin_role_cannot_enter_the_admin(client, city):
    client.force_login(city.fresh("techadmin"))

    response = client.get("/admin/accounts/user/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- users --------------------------------------------------------------------------------


def test_superuser_flag_is_read_only_for_a_technical_admin(client, city, techadmin):
    client.force_login(techadmin)
    target = city.users["expert"]

    page = client.get(f"/admin/accounts/user/{target.pk}/change/")

    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert "groups" not in form.fields
    assert 'name="is_superuser"' not in page.content.decode()


def test_technical_admin_cannot_make_someone_superuser(client, city, techadmin):
    client.force_login(techadmin)
    target = city.users["expert"]
    page = client.get(f"/admin/accounts/user/{target.pk}/change/")
    data = form_data(page)
    data.update({"is_superuser": "on", "first_name": "Eero"})

    response = client.post(f"/admin/accounts/user/{target.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    target.refresh_from_db()
    assert target.first_name == "Eero"
    assert target.is_superuser is False


def test_technical_admin_cannot_edit_a_superuser(client, city, techadmin):
    superuser = User.objects.create_user(username="root", is_superuser=True, is_staff=True)
    Membership.objects.create(user=superuser, organization=city.org, role=Role.EXPERT)
    client.force_login(techadmin)

    page = client.get(f"/admin/accounts/user/{superuser.pk}/change/")

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False


def test_superuser_can_grant_superuser(client, city):
    admin_user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    target = city.users["expert"]
    data = form_data(client.get(f"/admin/accounts/user/{target.pk}/change/"))
    data["is_superuser"] = "on"

    assert client.post(f"/admin/accounts/user/{target.pk}/change/", data).status_code == 302
    target.refresh_from_db()
    assert target.is_superuser is True


def _post_with_extra_inline_rows(client, user, rows: dict[str, list[dict[str, str]]]):
    """Post the user's change form back with extra inline rows (`prefix` → list of field values)."""
    page = client.get(f"/admin/accounts/user/{user.pk}/change/")
    data = form_data(page)
    for prefix, extra in rows.items():
        start = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
        data.setdefault(f"{prefix}-INITIAL_FORMS", "0")
        data.setdefault(f"{prefix}-MIN_NUM_FORMS", "0")
        data.setdefault(f"{prefix}-MAX_NUM_FORMS", "1000")
        data[f"{prefix}-TOTAL_FORMS"] = str(start + len(extra))
        for offset, values in enumerate(extra):
            for name, value in values.items():
                data[f"{prefix}-{start + offset}-{name}"] = value
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data)


def test_technical_admin_cannot_grant_roles_or_groups_in_another_organisation(client, city, other_city, techadmin):
    client.force_login(techadmin)

    _post_with_extra_inline_rows(client, techadmin, {
        "memberships": [{"organization": str(other_city.org.pk), "role": Role.TECHNICAL_ADMIN,
                         "user": str(techadmin.pk)}],
        "group_memberships": [{"service_group": str(other_city.social.pk), "user": str(techadmin.pk)}],
    })

    assert not Membership.objects.filter(user=techadmin, organization=other_city.org).exists()
    assert not GroupMembership.objects.filter(user=techadmin, service_group=other_city.social).exists()
    assert not Membership.objects.filter(organization=other_city.org, role=Role.TECHNICAL_ADMIN).exclude(
        user=other_city.users["techadmin"]).exists()


@pytest.fixture
def techadmin_with_model_permissions(techadmin):
    """A technical admin who has also been given Django's permissions on the inline rows."""
    from django.contrib.auth.models import Permission

    techadmin.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="accounts", content_type__model__in=["membership", "groupmembership"]
    ))
    return User.objects.get(pk=techadmin.pk)


def test_inline_choices_are_limited_to_the_admins_organisations(client, city, other_city,
                                                                 techadmin_with_model_permissions):
    client.force_login(techadmin_with_model_permissions)

    page = client.get(f"/admin/accounts/user/{city.users['viewer'].pk}/change/")

    inlines = {inline.formset.prefix: inline.formset for inline in page.context["inline_admin_formsets"]}
    empty_membership = inlines["memberships"].empty_form
    assert set(empty_membership.fields["organization"].queryset) == {city.org}
    assert set(empty_membership.fields["areas"].queryset) == {city.area_west, city.area_east}
    assert set(inlines["group_memberships"].empty_form.fields["service_group"].queryset) == set(
        city.org.service_groups.all())


def test_admin_with_model_permissions_still_cannot_reach_another_organisation(client, city, other_city,
                                                                              techadmin_with_model_permissions):
    techadmin = techadmin_with_model_permissions
    client.force_login(techadmin)

    response = _post_with_extra_inline_rows(client, techadmin, {
        "memberships": [{"organization": str(other_city.org.pk), "role": Role.TECHNICAL_ADMIN,
                         "user": str(techadmin.pk)}],
        "group_memberships": [{"service_group": str(other_city.social.pk), "user": str(techadmin.pk)}],
    })

    assert response.status_code == 200  # the form comes back with errors
    assert not Membership.objects.filter(user=techadmin, organization=other_city.org).exists()
    assert not GroupMembership.objects.filter(user=techadmin, service_group=other_city.social).exists()


def test_admin_with_model_permissions_does_not_see_other_organisations_memberships(
    client, city, other_city, techadmin_with_model_permissions
):
    shared = city.fresh("expert")
    Membership.objects.create(user=shared, organization=other_city.org, role=Role.TECHNICAL_ADMIN)
    GroupMembership.objects.create(user=shared, service_group=other_city.streets)
    client.force_login(techadmin_with_model_permissions)

    page = client.get(f"/admin/accounts/user/{shared.pk}/change/")

    inlines = {inline.formset.prefix: inline.formset for inline in page.context["inline_admin_formsets"]}
    assert {m.organization_id for m in inlines["memberships"].queryset} == {city.org.pk}
    assert {g.service_group for g in inlines["group_memberships"].queryset} == {city.streets}


def test_user_page_does_not_show_memberships_in_other_organisations(client, city, other_city, techadmin):
    shared = city.fresh("expert")
    Membership.objects.create(user=shared, organization=other_city.org, role=Role.TECHNICAL_ADMIN)
    client.force_login(techadmin)

    page = client.get(f"/admin/accounts/user/{shared.pk}/change/")

    assert page.status_code == 200
    for inline in page.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            assert getattr(form.instance, "organization_id", city.org.pk) == city.org.pk


# --- language -----------------------------------------------------------------------------


@override_settings(LANGUAGE_CODE="fi")
def test_admin_renders_in_finnish(client, city, techadmin):
    client.force_login(techadmin)

    index = client.get("/admin/")
    changelist = client.get("/admin/organizations/area/")

    assert index.status_code == 200
    assert index["Content-Language"] == "fi"
    assert '<html lang="fi"' in index.content.decode()
    assert "Sivuston ylläpito" in index.content.decode()
    assert "Valitse muokattava" in changelist.content.decode()


def test_admin_in_swedish_under_its_prefix(client, city, techadmin):
    client.force_login(techadmin)

    response = client.get("/sv/admin/")

    assert response.status_code == 200
    assert "Webbplatsadministration" in response.content.decode()


@override_settings(LANGUAGE_CODE="fi")
def test_admin_login_page_in_finnish(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "Kirjaudu sisään" in response.content.decode()


def test_user_model_is_the_custom_one():
    assert User._meta.label == "accounts.User"
