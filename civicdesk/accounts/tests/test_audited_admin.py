"""Logins, admin changes and readings of the audit log are themselves in the audit log."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from civicdesk.accounts.models import Membership, Role
from civicdesk.privacy.models import AuditEntry
from civicdesk.privacy.services import audit_verify_chain
from tests.factories import City, UserFactory


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("sequence").values_list("action", flat=True))


@pytest.mark.django_db
def test_login_failure_and_logout_are_logged(client):
    UserFactory(username="anna")
    client.post("/accounts/login/", {"username": "anna", "password": "wrong-password"})
    client.post("/accounts/login/", {"username": "anna", "password": "correct-horse-battery"})
    client.post("/accounts/logout/")
    assert _actions() == ["auth.login_failed", "auth.login", "auth.logout"]
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.actor_label == "anna"
    assert failed.source_ip == "127.0.0.1"
    assert audit_verify_chain().ok


@pytest.mark.django_db
@override_settings(LOGIN_RATE_LIMIT="2/m", LOGIN_RATE_LIMIT_PER_USER="100/m")
def test_admin_login_shares_the_rate_limit(client):
    for _ in range(2):
        client.post("/accounts/login/", {"username": "x", "password": "y"})
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 429


@pytest.mark.django_db
def test_technical_admin_grants_a_role_in_their_organisation_and_it_is_audited(client, city: City, other_city):
    techadmin = city.users["techadmin"]
    techadmin.is_staff = True
    techadmin.save()
    target = city.users["reporter"]
    client.force_login(techadmin)
    page = client.get(f"/en/admin/accounts/user/{target.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update({
        "username": target.username, "password": form.initial.get("password", ""),
        "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00", "preferred_language": "fi",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": str(Membership.objects.get(user=target).pk), "memberships-0-user": str(target.pk),
        "memberships-0-organization": str(city.org.pk), "memberships-0-role": Role.REPORTER,
        "memberships-1-user": str(target.pk), "memberships-1-organization": str(city.org.pk),
        "memberships-1-role": Role.VIEWER,
        "group_memberships-TOTAL_FORMS": "0", "group_memberships-INITIAL_FORMS": "0",
    })
    response = client.post(f"/en/admin/accounts/user/{target.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert set(Membership.objects.filter(user=target).values_list("role", flat=True)) == {Role.REPORTER, Role.VIEWER}
    entry = AuditEntry.objects.filter(action="admin.change").get()
    assert entry.actor_id == techadmin.pk
    assert entry.object_type == "accounts.user"


@pytest.mark.django_db
def test_technical_admin_cannot_grant_roles_in_another_organisation(client, city: City, other_city):
    techadmin = city.users["techadmin"]
    techadmin.is_staff = True
    techadmin.save()
    target = city.users["reporter"]
    client.force_login(techadmin)
    page = client.get(f"/en/admin/accounts/user/{target.pk}/change/")
    choices = page.context["inline_admin_formsets"][0].formset.empty_form.fields["organization"].queryset
    assert list(choices) == [city.org]


@pytest.mark.django_db
def test_reading_and_exporting_the_audit_log_is_logged(client, city: City):
    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    client.get("/en/admin/privacy/auditentry/?q=maija")
    assert AuditEntry.objects.filter(action="audit_log.view").count() == 1
    ids = list(AuditEntry.objects.values_list("pk", flat=True))
    response = client.post("/en/admin/privacy/auditentry/", {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="audit_log.export").count() == 1


@pytest.mark.django_db
def test_searching_for_a_person_is_logged_with_the_person(client, city: City):
    city.case(customer_email="maija@example.fi")
    client.force_login(city.users["advisor"])
    response = client.get("/staff/search/", {"q": "maija@example.fi"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="case.search")
    assert entry.subjects == ["maija@example.fi"]
    assert len(entry.changes["results"]) == 1


@pytest.mark.django_db
def test_technical_admin_sees_their_staffs_logins_but_not_other_cities(client, city: City, other_city):
    from civicdesk.privacy.selectors import audit_entries_for_log_request

    own, foreign = city.users["expert"], other_city.users["expert"]
    for user in (own, foreign):
        client.post("/accounts/login/", {"username": user.username, "password": "correct-horse-battery"})
        client.post("/accounts/logout/")
    entries = audit_entries_for_log_request(organization_id=city.org.pk, actor_id=own.pk)
    assert [e.action for e in entries] == ["auth.login", "auth.logout"]
    assert not audit_entries_for_log_request(organization_id=city.org.pk, actor_id=foreign.pk).exists()

    techadmin = city.users["techadmin"]
    techadmin.is_staff = True
    techadmin.save()
    client.force_login(techadmin)
    rows = client.get("/en/admin/privacy/auditentry/?action__exact=auth.login").context["cl"].result_list
    assert {e.actor_id for e in rows} == {own.pk, techadmin.pk}
