"""The permission resolver: what a user is, per organisation, loaded once per request.

Every app's policy (`<app>/permissions.py`) asks this module about roles and groups rather
than querying memberships itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from civicdesk.accounts.models import GroupMembership, Membership, Role, User
from civicdesk.core.config_generation import ConfigCache
from civicdesk.organizations.models import ServiceGroup
from civicdesk.organizations.selectors import KEPT_GROUPS

HANDLING_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.EXPERT, Role.EXTERNAL_PARTNER})
# Roles that may read every (non-special) case of their organisation without acting on it.
ORGANIZATION_READ_ROLES = frozenset({Role.SERVICE_ADVISOR, Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN, Role.REPORTER})


@dataclass(frozen=True)
class UserAccess:
    user_id: int | None
    is_superuser: bool = False
    roles: dict[int, frozenset[str]] = field(default_factory=dict)
    group_ids: frozenset[int] = frozenset()
    group_organization: dict[int, int] = field(default_factory=dict)
    viewer_area_ids: dict[int, frozenset[int]] = field(default_factory=dict)

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    def has_role(self, organization_id: int, *roles: str) -> bool:
        return bool(self.roles.get(organization_id, frozenset()) & set(roles))

    def organizations_with_role(self, *roles: str) -> frozenset[int]:
        return frozenset(org for org, held in self.roles.items() if held & set(roles))

    def groups_in(self, organization_id: int) -> frozenset[int]:
        return frozenset(g for g in self.group_ids if self.group_organization.get(g) == organization_id)

    def can_handle_in(self, organization_id: int) -> bool:
        return self.is_superuser or self.has_role(organization_id, *HANDLING_ROLES)


ANONYMOUS_ACCESS = UserAccess(user_id=None)


# Per process, per user: memberships, groups, organisations and areas are watched configuration
# (accounts/apps.py, organizations/apps.py), so a role taken away applies to the next request anywhere.
_ACCESS: ConfigCache[UserAccess] = ConfigCache(max_entries=2000)


def access_for(user: Any) -> UserAccess:
    """The user's roles, groups and areas: cached on the user object for the request, and per process
    until memberships change (`core.config_generation`; ADR 0021)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS_ACCESS
    cached = getattr(user, "_civicdesk_access", None)
    if cached is not None:
        return cached
    access = _ACCESS.get((user.pk, bool(user.is_superuser)), lambda: _access_loaded(user))
    user._civicdesk_access = access
    return access


def _access_loaded(user: Any) -> UserAccess:
    """Two queries (three for a viewer)."""
    roles: dict[int, set[str]] = {}
    viewer_areas: dict[int, set[int]] = {}
    viewer_memberships: dict[int, int] = {}
    memberships = Membership.objects.filter(user=user, organization__is_active=True).values_list(
        "pk", "organization_id", "role"
    )
    for membership_id, organization_id, role in memberships:
        roles.setdefault(organization_id, set()).add(role)
        if role == Role.VIEWER:
            viewer_memberships[membership_id] = organization_id
    if viewer_memberships:
        # Only viewers have areas: everyone else is resolved in two queries per request.
        for membership_id, area_id in Membership.areas.through.objects.filter(
            membership_id__in=list(viewer_memberships)
        ).values_list("membership_id", "area_id"):
            viewer_areas.setdefault(viewer_memberships[membership_id], set()).add(area_id)
    group_rows = GroupMembership.objects.filter(
        user=user, service_group__is_active=True, service_group__organization_id__in=list(roles)
    ).values_list("service_group_id", "service_group__organization_id")
    access = UserAccess(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        roles={org: frozenset(r) for org, r in roles.items()},
        group_ids=frozenset(g for g, _ in group_rows),
        group_organization=dict(group_rows),
        viewer_area_ids={org: frozenset(a) for org, a in viewer_areas.items()},
    )
    return access


def access_forget(user: User) -> None:
    """Drop the cached access after memberships change within the same request or test."""
    if hasattr(user, "_civicdesk_access"):
        del user._civicdesk_access


# Who administers what: the predicates below and the Django admin's scoping share these.
MANAGING_ROLES: tuple[str, ...] = (Role.TECHNICAL_ADMIN,)  # users, roles, organisations, the audit log
CONFIGURING_ROLES: tuple[str, ...] = (Role.TECHNICAL_ADMIN, Role.CONTENT_ADMIN)  # groups, types, categories


def organizations_administered_by(user: Any, roles: tuple[str, ...]) -> frozenset[int] | None:
    """The organisations where the user holds one of `roles`; None means all (superuser)."""
    access = access_for(user)
    return None if access.is_superuser else access.organizations_with_role(*roles)


def _administers(user: Any, organization_id: int | None, roles: tuple[str, ...]) -> bool:
    organizations = organizations_administered_by(user, roles)
    return organizations is None or (organization_id is not None and organization_id in organizations)


def can_manage_organization(user: Any, organization_id: int) -> bool:
    return _administers(user, organization_id, MANAGING_ROLES)


def can_configure_organization(user: Any, organization_id: int) -> bool:
    """Content configuration: categories, case types, groups' settings."""
    return _administers(user, organization_id, CONFIGURING_ROLES)


def can_read_audit_log(user: Any, organization_id: int | None) -> bool:
    return _administers(user, organization_id, MANAGING_ROLES)


def service_groups_visible_to(user: Any) -> Any:
    access = access_for(user)
    if access.is_superuser:
        return ServiceGroup.objects.all()
    return ServiceGroup.objects.filter(organization_id__in=access.organization_ids)


def service_group_visible_to(user: Any, group_id: int) -> ServiceGroup | None:
    """The group with this id if `service_groups_visible_to` would give it, else None; a fresh instance
    from the rows the process keeps (`organizations.selectors.KEPT_GROUPS`: no query while kept)."""
    group = KEPT_GROUPS.get(group_id)
    if group is None:
        return None
    access = access_for(user)
    return group if access.is_superuser or group.organization_id in access.organization_ids else None
