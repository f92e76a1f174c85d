"""The permission resolver: roles, groups and viewer areas per organisation, loaded once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from civicdesk.accounts.models import GroupMembership, Membership, Role, User
from civicdesk.accounts.permissions import (
    ANONYMOUS_ACCESS,
    access_for,
    access_forget,
    can_configure_organization,
    can_manage_organization,
    can_read_audit_log,
    service_groups_visible_to,
)
from tests.factories import UserFactory, add_role

pytestmark = pytest.mark.django_db


def test_roles_groups_and_areas_are_loaded(city):
    access = access_for(city.fresh("expert"))

    assert access.user_id == city.users["expert"].pk
    assert access.roles == {city.org.pk: frozenset({Role.EXPERT})}
    assert access.group_ids == frozenset({city.streets.pk})
    assert access.group_organization == {city.streets.pk: city.org.pk}
    assert access.groups_in(city.org.pk) == frozenset({city.streets.pk})
    assert access.viewer_area_ids == {}
    assert access.has_role(city.org.pk, Role.EXPERT)
    assert not access.has_role(city.org.pk, Role.SERVICE_ADVISOR)
    assert access.can_handle_in(city.org.pk)
    assert not access.is_superuser


def test_viewer_areas_are_loaded(city):
    access = access_for(city.fresh("viewer"))

    assert access.viewer_area_ids == {city.org.pk: frozenset({city.area_west.pk})}
    assert not access.can_handle_in(city.org.pk)


def test_several_roles_in_several_organisations(city, other_city):
    user = city.fresh("expert")
    add_role(user, city.org, Role.VIEWER, areas=(city.area_east,))
    add_role(user, other_city.org, Role.SERVICE_ADVISOR, groups=(other_city.intake,))

    access = access_for(city.fresh("expert"))

    assert access.roles == {
        city.org.pk: frozenset({Role.EXPERT, Role.VIEWER}),
        other_city.org.pk: frozenset({Role.SERVICE_ADVISOR}),
    }
    assert access.organization_ids == frozenset({city.org.pk, other_city.org.pk})
    assert access.organizations_with_role(Role.SERVICE_ADVISOR) == frozenset({other_city.org.pk})
    assert access.groups_in(other_city.org.pk) == frozenset({other_city.intake.pk})
    assert access.viewer_area_ids == {city.org.pk: frozenset({city.area_east.pk})}


@pytest.mark.parametrize(("name", "queries"), [("expert", 2), ("viewer", 3), ("advisor", 2), ("techadmin", 2)])
def test_access_is_loaded_with_a_fixed_number_of_queries(city, name, queries, django_assert_num_queries):
    # The configuration generation, then memberships and group memberships; viewers' areas in one more query.
    user = city.fresh(name)
    with django_assert_num_queries(1 + queries):
        access_for(user)


def test_a_new_request_reads_only_the_configuration_generation(city, django_assert_num_queries):
    first = access_for(city.fresh("expert"))
    user = User.objects.get(pk=city.users["expert"].pk)  # a new request: a new object

    with django_assert_num_queries(1):
        assert access_for(user) is first


def test_a_role_taken_away_applies_to_the_next_request(city):
    assert access_for(city.fresh("expert")).has_role(city.org.pk, Role.EXPERT)

    Membership.objects.filter(user=city.users["expert"], role=Role.EXPERT).delete()

    assert access_for(city.fresh("expert")).roles == {}


def test_a_group_left_or_closed_applies_to_the_next_request(city):
    assert city.streets.pk in access_for(city.fresh("expert")).group_ids
    city.streets.is_active = False
    city.streets.save()
    assert city.streets.pk not in access_for(city.fresh("expert")).group_ids

    city.streets.is_active = True
    city.streets.save()
    assert city.streets.pk in access_for(city.fresh("expert")).group_ids
    GroupMembership.objects.filter(user=city.users["expert"], service_group=city.streets).delete()
    assert city.streets.pk not in access_for(city.fresh("expert")).group_ids


def test_viewer_areas_changed_apply_to_the_next_request(city):
    membership = Membership.objects.get(user=city.users["viewer"], role=Role.VIEWER)
    assert access_for(city.fresh("viewer")).viewer_area_ids == {city.org.pk: frozenset({city.area_west.pk})}

    membership.areas.add(city.area_east)

    assert access_for(city.fresh("viewer")).viewer_area_ids == {
        city.org.pk: frozenset({city.area_west.pk, city.area_east.pk})}


def test_query_count_does_not_grow_with_roles_groups_and_areas(city, other_city, django_assert_num_queries):
    user = city.fresh("viewer")
    add_role(user, city.org, Role.EXPERT, groups=(city.streets, city.parks, city.social))
    add_role(user, city.org, Role.VIEWER, areas=(city.area_east,))
    add_role(user, other_city.org, Role.VIEWER, areas=(other_city.area_west, other_city.area_east))
    add_role(user, other_city.org, Role.EXPERT, groups=(other_city.streets, other_city.parks))
    user = city.fresh("viewer")

    with django_assert_num_queries(1 + 3):
        access = access_for(user)

    assert len(access.group_ids) == 5
    assert access.viewer_area_ids[other_city.org.pk] == frozenset({other_city.area_west.pk, other_city.area_east.pk})


def test_access_is_cached_on_the_user_object(city, django_assert_num_queries):
    user = city.fresh("expert")
    first = access_for(user)

    with django_assert_num_queries(0):
        assert access_for(user) is first

    # Another object for the same user (a new request) is given the access kept by the process.
    other = User.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert access_for(other) is first


def test_cached_access_is_stale_until_forgotten(city):
    user = city.fresh("expert")
    assert not access_for(user).has_role(city.org.pk, Role.SERVICE_ADVISOR)
    Membership.objects.create(user=user, organization=city.org, role=Role.SERVICE_ADVISOR)

    assert not access_for(user).has_role(city.org.pk, Role.SERVICE_ADVISOR)
    access_forget(user)
    assert access_for(user).has_role(city.org.pk, Role.SERVICE_ADVISOR)


def test_user_without_memberships(db, django_assert_max_num_queries):
    user = User.objects.create_user(username="lonely")

    with django_assert_max_num_queries(3):
        access = access_for(user)

    assert access.user_id == user.pk
    assert access.roles == {}
    assert access.group_ids == frozenset()


@pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_anonymous_has_no_access(db, user, django_assert_num_queries):
    with django_assert_num_queries(0):
        access = access_for(user)

    assert access is ANONYMOUS_ACCESS
    assert access.user_id is None
    assert access.roles == {}
    assert not access.is_superuser


def test_inactive_user_has_no_access(city, django_assert_num_queries):
    user = city.fresh("advisor")
    user.is_active = False

    with django_assert_num_queries(0):
        access = access_for(user)

    assert access is ANONYMOUS_ACCESS


def test_inactive_superuser_has_no_access(db):
    user = UserFactory(is_superuser=True, is_active=False)

    assert access_for(user).is_superuser is False
    assert not can_manage_organization(user, 1)


def test_superuser(db):
    user = UserFactory(is_superuser=True)

    access = access_for(user)

    assert access.is_superuser
    assert access.can_handle_in(12345)


def test_inactive_organisation_is_ignored(city, other_city):
    user = city.fresh("expert")
    add_role(user, other_city.org, Role.SERVICE_ADVISOR, groups=(other_city.intake,))
    add_role(user, other_city.org, Role.VIEWER, areas=(other_city.area_west,))
    other_city.org.is_active = False
    other_city.org.save()

    access = access_for(city.fresh("expert"))

    assert access.organization_ids == frozenset({city.org.pk})
    assert access.group_ids == frozenset({city.streets.pk})
    assert other_city.org.pk not in access.viewer_area_ids


def test_inactive_group_is_ignored(city):
    city.streets.is_active = False
    city.streets.save()

    access = access_for(city.fresh("expert"))

    assert access.group_ids == frozenset()
    assert access.roles == {city.org.pk: frozenset({Role.EXPERT})}


def test_group_of_an_organisation_without_a_role_is_ignored(city, other_city):
    user = city.fresh("expert")
    GroupMembership.objects.create(user=user, service_group=other_city.streets)

    access = access_for(city.fresh("expert"))

    assert other_city.streets.pk not in access.group_ids


def test_organisation_level_checks(city, other_city):
    techadmin, contentadmin, expert = city.fresh("techadmin"), city.fresh("contentadmin"), city.fresh("expert")

    assert can_manage_organization(techadmin, city.org.pk)
    assert not can_manage_organization(techadmin, other_city.org.pk)
    assert not can_manage_organization(contentadmin, city.org.pk)
    assert can_configure_organization(contentadmin, city.org.pk)
    assert not can_configure_organization(expert, city.org.pk)
    assert can_read_audit_log(techadmin, city.org.pk)
    assert not can_read_audit_log(techadmin, None)
    assert not can_read_audit_log(contentadmin, city.org.pk)


def test_service_groups_visible_to(city, other_city):
    visible = set(service_groups_visible_to(city.fresh("expert")))

    assert city.parks in visible
    assert other_city.parks not in visible
    assert set(service_groups_visible_to(AnonymousUser())) == set()
