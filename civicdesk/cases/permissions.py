"""The permission policy for cases: who may see a case and who may do what to it.

Every lookup of a case from a request goes through `cases_visible_to`; every action asks
one `can_<verb>_case` function. The rules (see docs/subsystems/permissions.md):

* service advisors see and handle every case of their organisation (R5);
* technical and content admins and reporters read every case of their organisation;
* experts see their groups' cases, cases they handle, and cases shared with them or their groups
  (comment requests, send-for-information, cases their group forwarded on); they handle their
  groups' cases and those assigned to them;
* viewers read the cases of their areas; internal customers read the cases they submitted;
* external partners see and handle only the cases assigned to them or to their partner group;
* a case holding special categories of personal data is visible only to members of the groups
  named on its case type — whatever the role.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db.models import Exists, OuterRef, Q

from civicdesk.accounts.models import Role
from civicdesk.accounts.permissions import ORGANIZATION_READ_ROLES, UserAccess, access_for
from civicdesk.cases.models import Case, CaseQuerySet, CaseShare, CaseType, CommentRequest, CommentRequestStatus
from civicdesk.core.config_generation import ConfigCache

PUBLISHING_ROLES = (Role.SERVICE_ADVISOR, Role.EXPERT)


# The groups named on any case type as allowed to see special categories, per process until a case
# type changes (CaseType and its groups are watched configuration: cases/apps.py, ADR 0021).
_SPECIAL_DATA_GROUPS: ConfigCache[frozenset[int]] = ConfigCache(max_entries=1)


def groups_named_for_special_data() -> frozenset[int]:
    """Every group that some case type lets see its special-category cases (1 query when not kept)."""
    return _SPECIAL_DATA_GROUPS.get("groups", lambda: frozenset(
        CaseType.special_data_groups.through.objects.values_list("servicegroup_id", flat=True)
    ))


def _special_categories_filter(access: UserAccess) -> Q:
    """Special-category cases only for the groups their case type names. A user in none of the groups
    any case type names gets the plain condition, with no subquery for the database to plan and run."""
    groups = access.group_ids & groups_named_for_special_data()
    if not groups:
        return Q(contains_special_categories=False)
    allowed_types = CaseType.special_data_groups.through.objects.filter(
        casetype_id=OuterRef("case_type_id"), servicegroup_id__in=groups
    )
    return Q(contains_special_categories=False) | Q(Exists(allowed_types))


def cases_visible_to(user: Any) -> CaseQuerySet:
    """Every case the user may see, as a queryset to filter further.

    Built once per user object and access (a request's pages ask for it several times); each call
    returns a fresh copy of it.
    """
    access = access_for(user)
    cached: tuple[UserAccess, CaseQuerySet] | None = _VISIBLE.get(id(access))
    if cached is not None and cached[0] is access:
        return cached[1].all()
    cases = _cases_visible_with(access)
    if access.user_id is not None:
        if len(_VISIBLE) >= _VISIBLE_MAX:
            _VISIBLE.clear()
        # Keyed by the access object, which the process keeps until memberships change
        # (accounts.permissions.access_for); the entry holds it, so its id is not reused meanwhile.
        _VISIBLE[id(access)] = (access, cases)
    return cases.all()


# Each user's visibility filter, built once per access object (like a view's class-level queryset,
# it is only ever cloned, never evaluated).
_VISIBLE: dict[int, tuple[UserAccess, CaseQuerySet]] = {}
_VISIBLE_MAX = 2000


def _cases_visible_with(access: UserAccess) -> CaseQuerySet:
    cases: CaseQuerySet = Case.objects.all()
    if access.is_superuser:
        return cases
    if access.user_id is None or not access.roles:
        return cases.none()

    visible = Q(organization_id__in=access.organizations_with_role(*ORGANIZATION_READ_ROLES))
    expert_orgs = access.organizations_with_role(Role.EXPERT, Role.EXTERNAL_PARTNER)
    if expert_orgs:
        groups = [g for g in access.group_ids if access.group_organization.get(g) in expert_orgs]
        shares = CaseShare.objects.filter(case_id=OuterRef("pk")).filter(
            Q(user_id=access.user_id) | Q(service_group_id__in=groups)
        )
        visible |= Q(organization_id__in=expert_orgs) & (
            Q(owner_group_id__in=groups) | Q(handler_id=access.user_id) | Q(Exists(shares))
        )
    for organization_id, area_ids in access.viewer_area_ids.items():
        visible |= Q(organization_id=organization_id, area_id__in=area_ids)
    internal_orgs = access.organizations_with_role(Role.INTERNAL_CUSTOMER)
    if internal_orgs:
        visible |= Q(organization_id__in=internal_orgs, submitted_by_id=access.user_id)
    return cases.filter(visible).filter(_special_categories_filter(access))


# The columns of a case that `cases_visible_to` reads (besides its shares, which are only ever added).
_VISIBILITY_FIELDS = attrgetter(
    "pk", "organization_id", "owner_group_id", "handler_id", "area_id", "submitted_by_id", "case_type_id",
    "contains_special_categories",
)


def case_loaded_as_visible(user: Any, case: Case) -> Case:
    """Note on a case just read through `cases_visible_to(user)` that the user may see it, so that
    `can_view_case` for the same user in the same request needs no second query while the
    columns visibility depends on are unchanged."""
    case._civicdesk_visible = (access_for(user), _VISIBILITY_FIELDS(case))  # type: ignore[attr-defined]
    return case


def can_view_case(user: Any, case: Case) -> bool:
    seen: tuple[UserAccess, tuple[Any, ...]] | None = getattr(case, "_civicdesk_visible", None)
    if seen is not None and seen[0] is access_for(user) and seen[1] == _VISIBILITY_FIELDS(case):
        return True
    return cases_visible_to(user).filter(pk=case.pk).exists()


def special_data_group_ids(case: Case) -> frozenset[int]:
    """The groups allowed to see the case if it holds special categories; read once per case object
    (a case page asks for every action it offers)."""
    cached: tuple[int, frozenset[int]] | None = getattr(case, "_special_data_group_ids", None)
    if cached is None or cached[0] != case.case_type_id:  # reclassifying changes the type
        cached = (case.case_type_id, frozenset(case.case_type.special_data_groups.values_list("pk", flat=True)))
        case._special_data_group_ids = cached  # type: ignore[attr-defined]
    return cached[1]


def _may_see_special(access: UserAccess, case: Case) -> bool:
    if not case.contains_special_categories or access.is_superuser:
        return True
    allowed = special_data_group_ids(case)
    return bool(allowed & access.group_ids)


def can_handle_case(user: Any, case: Case) -> bool:
    """Work on the case: reply, note, reclassify, close, reopen, edit.

    Advisors handle every case of their organisation; experts their groups' cases and those
    assigned to them; partners only those assigned to them or to their partner group.
    """
    access = access_for(user)
    if access.is_superuser:
        return True
    org = case.organization_id
    if not access.can_handle_in(org) or not _may_see_special(access, case):
        return False
    if access.has_role(org, Role.SERVICE_ADVISOR):
        return True
    if case.handler_id is not None and case.handler_id == access.user_id:
        return True
    return case.owner_group_id in access.groups_in(org)


def can_take_case(user: Any, case: Case) -> bool:
    return can_handle_case(user, case)


def can_assign_case(user: Any, case: Case) -> bool:
    """Change the handler or move within the organisation; partners cannot hand cases on."""
    access = access_for(user)
    if access.has_role(case.organization_id, Role.EXTERNAL_PARTNER) and not access.has_role(
        case.organization_id, Role.SERVICE_ADVISOR, Role.EXPERT
    ):
        return False
    return can_handle_case(user, case)


can_forward_case = can_assign_case
can_reclassify_case = can_assign_case
can_send_case_for_information = can_assign_case
can_request_comment_on_case = can_assign_case
can_reply_to_case = can_handle_case
can_add_note_to_case = can_handle_case
can_close_case = can_handle_case
can_reopen_case = can_handle_case
can_edit_case = can_handle_case
can_record_message_on_case = can_handle_case


def can_publish_case(user: Any, case: Case) -> bool:
    access = access_for(user)
    if access.is_superuser:
        return True
    return access.has_role(case.organization_id, *PUBLISHING_ROLES) and can_assign_case(user, case)


can_unpublish_case = can_publish_case


def can_link_cases(user: Any, case: Case, other: Case) -> bool:
    return (
        case.organization_id == other.organization_id
        and can_assign_case(user, case)
        and can_view_case(user, other)
    )


def can_merge_cases(user: Any, source: Case, target: Case) -> bool:
    return (
        source.organization_id == target.organization_id
        and can_assign_case(user, source)
        and can_assign_case(user, target)
    )


def can_answer_comment_request(user: Any, comment_request: CommentRequest) -> bool:
    access = access_for(user)
    if comment_request.status != CommentRequestStatus.PENDING or access.user_id is None:
        return False
    if not access.has_role(comment_request.case.organization_id, Role.SERVICE_ADVISOR, Role.EXPERT,
                           Role.EXTERNAL_PARTNER) and not access.is_superuser:
        return False
    # Asked before the case was marked as holding special categories: only the named groups may see it now.
    if not _may_see_special(access, comment_request.case):
        return False
    if comment_request.requested_from_user_id == access.user_id:
        return True
    return comment_request.requested_from_group_id in access.group_ids


def can_view_attachment(user: Any, case: Case) -> bool:
    return can_view_case(user, case)


def can_view_queue(user: Any, service_group: Any) -> bool:
    """See a group's whole work queue: its members and the organisation's advisors."""
    access = access_for(user)
    if access.is_superuser:
        return True
    org = service_group.organization_id
    if access.has_role(org, *ORGANIZATION_READ_ROLES):
        return True
    return service_group.pk in access.group_ids and access.has_role(org, Role.EXPERT, Role.EXTERNAL_PARTNER)


def live_channel_groups_for(user: Any) -> list[str]:
    from civicdesk.core.realtime import organization_group_name, service_group_channel_name

    access = access_for(user)
    names = [service_group_channel_name(g) for g in access.group_ids]
    names += [organization_group_name(o) for o in access.organizations_with_role(Role.SERVICE_ADVISOR)]
    return names


BULK_ASSIGN = "assign"
BULK_FORWARD = "forward"
BULK_CLOSE_UNNECESSARY = "close-unnecessary"


def bulk_actions_in(user: Any, organization_id: int) -> tuple[str, ...]:
    """The bulk actions a list of the organisation's cases offers this user, in display order.

    Only what to offer: each selected case is still checked by its own service (`case_assign`,
    `case_forward`, `case_close_unnecessary`) exactly as a single action would be.
    """
    access = access_for(user)
    actions: list[str] = []
    if access.is_superuser or access.has_role(organization_id, Role.SERVICE_ADVISOR, Role.EXPERT):
        actions += [BULK_ASSIGN, BULK_FORWARD]
    if access.can_handle_in(organization_id):
        actions.append(BULK_CLOSE_UNNECESSARY)
    return tuple(actions)


def organization_overview_for(user: Any) -> tuple[int | None, bool]:
    """The organisation whose list of contacts the user gets, and whether it is only their areas'
    cases (viewers); (None, False) when they get none. Organisation-wide readers come first."""
    access = access_for(user)
    readers = sorted(access.organizations_with_role(*ORGANIZATION_READ_ROLES))
    if readers:
        return readers[0], False
    viewers = sorted(access.organizations_with_role(Role.VIEWER))
    if viewers:
        return viewers[0], True
    return None, False


def can_view_organization_list(user: Any, organization_id: int) -> bool:
    """Open the organisation-wide list of contacts (or, for viewers, of their areas' cases)."""
    access = access_for(user)
    return access.is_superuser or access.has_role(organization_id, *ORGANIZATION_READ_ROLES, Role.VIEWER)
