"""The case permission policy as a table: every role × every action, and who sees which case.

The expected answers are written out by hand from the rules in `civicdesk/cases/permissions.py`:
advisors act on every case of their organisation; experts act on their groups' cases; partners
only on cases of their partner group and never assign, forward, reclassify, share, ask for
comments, publish, link or merge; admins, reporters, viewers and internal customers only read;
a case holding special categories of personal data is reachable only by the groups named on
its case type. A refused action must raise and must leave the database exactly as it was.

The world (two organisations and the cases each scenario needs) is built once per module inside
a transaction that is rolled back at the end; each test runs in its own savepoint on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import transaction

from civicdesk.accounts.models import User
from civicdesk.cases import services
from civicdesk.cases.models import (
    Attachment,
    Case,
    CaseCategory,
    CaseKind,
    CaseLink,
    CaseShare,
    Channel,
    CommentRequest,
    ReferenceSequence,
    TimelineEntry,
)
from civicdesk.cases.permissions import can_view_case, cases_visible_to
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.core.errors import ActionNotAllowedError, InvalidInputError, InvalidStateError, NotFoundError
from civicdesk.privacy.models import AuditEntry
from tests.factories import ROLE_USERS, City, build_city

pytestmark = pytest.mark.django_db

WEST = {"lat": 60.17, "lon": 24.94}
EAST = {"lat": 60.17, "lon": 25.02}

ROLES = list(ROLE_USERS)
# Users without any role in the case's organisation.
OUTSIDERS = ["anonymous", "stranger", "other_advisor", "other_expert"]
ACTORS = ROLES + OUTSIDERS

ACTIONS = [
    "case_take",
    "case_assign",
    "case_forward",
    "case_reclassify",
    "case_edit",
    "case_reply",
    "case_add_note",
    "case_send_for_information",
    "case_request_comment",
    "comment_request_answer",
    "case_close",
    "case_close_unnecessary",
    "case_reopen",
    "case_publish",
    "case_unpublish",
    "case_link",
    "case_merge",
    "attachment_add",
    "case_view",
]

# --- the expected table -------------------------------------------------------------------
#
# Three scenarios, each a case in the west area with nobody handling it yet:
#   streets  – owned by the streets group (members: expert, expert2);
#   partner  – owned by the external partner's group;
#   special  – owned by the social group, of a type whose special categories only social may see.
# In every scenario a comment request on the case waits for the parks group.

STREETS_READERS = frozenset({"techadmin", "contentadmin", "advisor", "expert", "expert2", "reporter", "viewer"})
STREETS_HANDLERS = frozenset({"advisor", "expert", "expert2"})
PARTNER_READERS = frozenset({"techadmin", "contentadmin", "advisor", "reporter", "viewer", "partner"})
PARTNER_HANDLERS = frozenset({"advisor", "partner"})
PARTNER_MANAGERS = frozenset({"advisor"})
SPECIAL_READERS = frozenset({"social_expert"})
SPECIAL_HANDLERS = frozenset({"social_expert"})

# Who sees the scenario's second case (used by link and merge). The main case is also seen by the
# parks group, asked for a comment on it – unless the case holds special categories.
OTHER_READERS = {"streets": STREETS_READERS, "partner": PARTNER_READERS, "special": SPECIAL_READERS}
READERS = {
    "streets": STREETS_READERS | {"parks_expert"},
    "partner": PARTNER_READERS | {"parks_expert"},
    "special": SPECIAL_READERS,
}

ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "streets": {
        "case_take": STREETS_HANDLERS,
        "case_assign": STREETS_HANDLERS,
        "case_forward": STREETS_HANDLERS,
        "case_reclassify": STREETS_HANDLERS,
        "case_edit": STREETS_HANDLERS,
        "case_reply": STREETS_HANDLERS,
        "case_add_note": STREETS_HANDLERS,
        "case_send_for_information": STREETS_HANDLERS,
        "case_request_comment": STREETS_HANDLERS,
        "comment_request_answer": frozenset({"parks_expert"}),
        "case_close": STREETS_HANDLERS,
        "case_close_unnecessary": STREETS_HANDLERS,
        "case_reopen": STREETS_HANDLERS,
        "case_publish": STREETS_HANDLERS,
        "case_unpublish": STREETS_HANDLERS,
        "case_link": STREETS_HANDLERS,
        "case_merge": STREETS_HANDLERS,
        "attachment_add": STREETS_HANDLERS,
        "case_view": READERS["streets"],
    },
    "partner": {
        "case_take": PARTNER_HANDLERS,
        "case_assign": PARTNER_MANAGERS,
        "case_forward": PARTNER_MANAGERS,
        "case_reclassify": PARTNER_MANAGERS,
        "case_edit": PARTNER_HANDLERS,
        "case_reply": PARTNER_HANDLERS,
        "case_add_note": PARTNER_HANDLERS,
        "case_send_for_information": PARTNER_MANAGERS,
        "case_request_comment": PARTNER_MANAGERS,
        "comment_request_answer": frozenset({"parks_expert"}),
        "case_close": PARTNER_HANDLERS,
        "case_close_unnecessary": PARTNER_HANDLERS,
        "case_reopen": PARTNER_HANDLERS,
        "case_publish": PARTNER_MANAGERS,
        "case_unpublish": PARTNER_MANAGERS,
        "case_link": PARTNER_MANAGERS,
        "case_merge": PARTNER_MANAGERS,
        "attachment_add": PARTNER_HANDLERS,
        "case_view": READERS["partner"],
    },
    "special": {
        "case_take": SPECIAL_HANDLERS,
        "case_assign": SPECIAL_HANDLERS,
        "case_forward": SPECIAL_HANDLERS,
        "case_reclassify": SPECIAL_HANDLERS,
        "case_edit": SPECIAL_HANDLERS,
        "case_reply": SPECIAL_HANDLERS,
        "case_add_note": SPECIAL_HANDLERS,
        "case_send_for_information": SPECIAL_HANDLERS,
        "case_request_comment": SPECIAL_HANDLERS,
        # The parks group was asked before the case was marked special; it may no longer see
        # the case, so it may not answer either.
        "comment_request_answer": frozenset(),
        "case_close": SPECIAL_HANDLERS,
        "case_close_unnecessary": SPECIAL_HANDLERS,
        "case_reopen": SPECIAL_HANDLERS,
        "case_publish": SPECIAL_HANDLERS,
        "case_unpublish": SPECIAL_HANDLERS,
        "case_link": SPECIAL_HANDLERS,
        "case_merge": SPECIAL_HANDLERS,
        "attachment_add": SPECIAL_HANDLERS,
        "case_view": SPECIAL_READERS,
    },
}

# Allowed by the policy, then refused by the case's state: a special-category case is never
# published, so there is nothing to publish or unpublish.
STATE_REFUSALS: dict[tuple[str, str], type[Exception]] = {
    ("special", "case_publish"): InvalidStateError,
    ("special", "case_unpublish"): InvalidStateError,
    # The matrix hands cases to the parks group, which may not see special categories of data.
    ("special", "case_forward"): InvalidInputError,
    ("special", "case_send_for_information"): InvalidInputError,
    ("special", "case_request_comment"): InvalidInputError,
}

# Audit entries an allowed action writes (one per case it changes).
AUDIT_ENTRIES = {"case_link": 2, "case_merge": 2}


def test_table_covers_every_scenario_and_action() -> None:
    for table in ALLOWED.values():
        assert set(table) == set(ACTIONS)
        for allowed in table.values():
            assert allowed <= set(ROLES)


# --- the world ----------------------------------------------------------------------------


@dataclass
class Scenario:
    case_id: int
    other_id: int
    closed_id: int
    published_id: int
    comment_request_id: int
    assignee: str


@dataclass
class World:
    city: City
    other_city: City
    stranger_id: int
    scenarios: dict[str, Scenario]
    visibility: dict[str, int]

    def user(self, key: str) -> Any:
        if key == "anonymous":
            return AnonymousUser()
        if key == "stranger":
            return User.objects.get(pk=self.stranger_id)
        if key.startswith("other_"):
            return self.other_city.fresh(key.removeprefix("other_"))
        return self.city.fresh(key)


def _build_scenario(city: City, name: str) -> Scenario:
    u = city.users
    if name == "special":
        values: dict[str, Any] = {"case_type": city.special_type, "categories": [city.category_social]}
        manager, assignee = u["social_expert"], "social_expert"
    elif name == "partner":
        values = {"owner_group": city.partner_group}
        manager, assignee = u["advisor"], "partner"
    else:
        values = {}
        manager, assignee = u["advisor"], "expert2"

    def make() -> Case:
        return city.case(**values, **WEST)

    case, other, closed, published = make(), make(), make(), make()
    request = services.case_request_comment(case=case, actor=manager, question="Onko tämä teidän?",
                                            from_group=city.parks)
    services.case_close_unnecessary(case=closed, actor=manager, reason="Tuplayhteydenotto")
    if name == "special":
        # Marked special after the parks group was asked for a comment.
        for each in (case, other, closed, published):
            services.case_reclassify(case=each, actor=manager, contains_special_categories=True)
    else:
        services.case_publish(case=published, actor=manager, public_title="Kuoppa", public_text="Kadulla on kuoppa.")
    return Scenario(case_id=case.pk, other_id=other.pk, closed_id=closed.pk, published_id=published.pk,
                    comment_request_id=request.pk, assignee=assignee)


def _build_visibility_cases(city: City) -> dict[str, int]:
    u = city.users
    cases = {
        "streets_west": city.case(**WEST),
        "parks_east": city.case(categories=[city.category_parks], **EAST),
        "intake_nowhere": city.case(categories=[], lat=None, lon=None),
        "special_west": city.case(case_type=city.special_type, categories=[city.category_social],
                                  contains_special_categories=True, **WEST),
        "partner_east": city.case(owner_group=city.partner_group, **EAST),
        "internal_submitted": city.case(case_type=city.types[CaseKind.INTERNAL_REQUEST], channel=Channel.INTERNAL,
                                        categories=[], lat=None, lon=None, actor=u["internal"],
                                        submitted_by=u["internal"]),
        "shared_with_expert2": city.case(categories=[city.category_parks], **EAST),
        "comment_from_social": city.case(categories=[city.category_parks], **EAST),
        "forwarded_by_streets": city.case(**EAST),
    }
    services.case_send_for_information(case=cases["shared_with_expert2"], actor=u["advisor"], message="Tiedoksi",
                                       to_user=u["expert2"])
    services.case_request_comment(case=cases["comment_from_social"], actor=u["advisor"], question="Kommentti?",
                                  from_user=u["social_expert"])
    services.case_forward(case=cases["forwarded_by_streets"], actor=u["expert"], to_group=city.parks)
    return {name: case.pk for name, case in cases.items()}


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        city = build_city()
        other_city = build_city("othercity")
        other_city.case()
        built = World(
            city=city,
            other_city=other_city,
            stranger_id=User.objects.create(username="stranger").pk,
            scenarios={name: _build_scenario(city, name) for name in ALLOWED},
            visibility=_build_visibility_cases(city),
        )
        yield built
        transaction.set_rollback(True)


def _snapshot() -> dict[str, Any]:
    return {
        "cases": list(Case.objects.order_by("pk").values()),
        "case_categories": list(CaseCategory.objects.order_by("pk").values()),
        "timeline": list(TimelineEntry.objects.order_by("pk").values_list("pk", "case_id", "original_case_reference")),
        "audit": AuditEntry.objects.count(),
        "comment_requests": list(CommentRequest.objects.order_by("pk").values()),
        "shares": list(CaseShare.objects.order_by("pk").values()),
        "links": list(CaseLink.objects.order_by("pk").values()),
        "attachments": Attachment.objects.count(),
        "sequences": list(ReferenceSequence.objects.order_by("pk").values()),
    }


# --- the actions, each called the way an interface would call it --------------------------


def _perform(action: str, w: World, name: str, actor: Any) -> Any:
    s = w.scenarios[name]
    city = w.city
    case = Case.objects.get(pk=s.case_id)
    other = Case.objects.get(pk=s.other_id)
    calls: dict[str, Callable[[], Any]] = {
        "case_take": lambda: services.case_take(case=case, actor=actor),
        "case_assign": lambda: services.case_assign(case=case, actor=actor, handler=w.user(s.assignee)),
        "case_forward": lambda: services.case_forward(case=case, actor=actor, to_group=city.parks, message="Teille"),
        "case_reclassify": lambda: services.case_reclassify(case=case, actor=actor, priority=3),
        "case_edit": lambda: services.case_edit(case=case, actor=actor, title="Kuoppa pyörätiellä"),
        "case_reply": lambda: services.case_reply(case=case, actor=actor, body="Korjaamme kuopan viikolla 12."),
        "case_add_note": lambda: services.case_add_note(case=case, actor=actor, body="Urakoitsija tilattu."),
        "case_send_for_information": lambda: services.case_send_for_information(
            case=case, actor=actor, message="Tiedoksi", to_group=city.parks
        ),
        "case_request_comment": lambda: services.case_request_comment(
            case=case, actor=actor, question="Kenen alue?", from_group=city.parks
        ),
        "comment_request_answer": lambda: services.comment_request_answer(
            comment_request=CommentRequest.objects.get(pk=s.comment_request_id), actor=actor, answer="Ei meidän."
        ),
        "case_close": lambda: services.case_close(case=case, actor=actor, reply="Kuoppa on korjattu."),
        "case_close_unnecessary": lambda: services.case_close_unnecessary(case=case, actor=actor, reason="Roskaa"),
        "case_reopen": lambda: services.case_reopen(case=Case.objects.get(pk=s.closed_id), actor=actor),
        "case_publish": lambda: services.case_publish(
            case=case, actor=actor, public_title="Kuoppa", public_text="Kadulla on kuoppa."
        ),
        "case_unpublish": lambda: services.case_unpublish(
            case=Case.objects.get(pk=s.published_id), actor=actor, reason="Vanhentunut"
        ),
        "case_link": lambda: services.case_link(case=case, other=other, actor=actor),
        "case_merge": lambda: services.case_merge(source=case, target=other, actor=actor),
        "attachment_add": lambda: services.attachment_add(
            case=case, actor=actor, uploaded_file=ContentFile(b"Kuvaus kuopasta.\n", name="kuvaus.txt")
        ),
        "case_view": lambda: services.case_view(user=actor, case=case),
    }
    return calls[action]()


def _expected_refusal(action: str, name: str, actor_key: str) -> type[Exception]:
    if action == "case_view":
        return NotFoundError
    # Linking and merging look up the second case first: one the actor cannot see is missing.
    if action in {"case_link", "case_merge"} and actor_key not in OTHER_READERS[name]:
        return NotFoundError
    return ActionNotAllowedError


@pytest.mark.parametrize("scenario", list(ALLOWED))
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor_key", ACTORS)
def test_action_matrix(world: World, scenario: str, action: str, actor_key: str) -> None:
    actor = world.user(actor_key)
    before = _snapshot()
    allowed = actor_key in ALLOWED[scenario][action]
    state_refusal = STATE_REFUSALS.get((scenario, action)) if allowed else None

    if allowed and state_refusal is None:
        _perform(action, world, scenario, actor)
        after = _snapshot()
        assert after["audit"] == before["audit"] + AUDIT_ENTRIES.get(action, 1)
        newest = AuditEntry.objects.order_by("-sequence").first()
        assert newest is not None
        assert newest.actor_id == actor.pk
        return

    expected = state_refusal or _expected_refusal(action, scenario, actor_key)
    with pytest.raises(expected) as caught:
        _perform(action, world, scenario, actor)
    assert type(caught.value) is expected
    assert str(caught.value)
    assert _snapshot() == before


# --- who sees which case ------------------------------------------------------------------

ALL_VISIBILITY_CASES = frozenset({
    "streets_west", "parks_east", "intake_nowhere", "special_west", "partner_east", "internal_submitted",
    "shared_with_expert2", "comment_from_social", "forwarded_by_streets",
})
ORGANISATION_WIDE = ALL_VISIBILITY_CASES - {"special_west"}

VISIBLE: dict[str, frozenset[str]] = {
    "techadmin": ORGANISATION_WIDE,
    "contentadmin": ORGANISATION_WIDE,
    "advisor": ORGANISATION_WIDE,  # not in the social group: the special case stays hidden
    "reporter": ORGANISATION_WIDE,
    # Their group's case, and the case their group forwarded on.
    "expert": frozenset({"streets_west", "forwarded_by_streets"}),
    # … and the case sent to expert2 personally for information.
    "expert2": frozenset({"streets_west", "forwarded_by_streets", "shared_with_expert2"}),
    "parks_expert": frozenset({"parks_east", "shared_with_expert2", "comment_from_social", "forwarded_by_streets"}),
    "social_expert": frozenset({"special_west", "comment_from_social"}),
    "viewer": frozenset({"streets_west"}),
    "east_viewer": frozenset({"parks_east", "partner_east", "shared_with_expert2", "comment_from_social",
                              "forwarded_by_streets"}),
    "internal": frozenset({"internal_submitted"}),
    "partner": frozenset({"partner_east"}),
    "anonymous": frozenset(),
    "stranger": frozenset(),
    "other_advisor": frozenset(),
    "other_expert": frozenset(),
}


def test_visibility_table_covers_every_actor() -> None:
    assert set(VISIBLE) == set(ACTORS)


@pytest.mark.parametrize("actor_key", ACTORS)
def test_cases_visible_to(world: World, actor_key: str) -> None:
    user = world.user(actor_key)
    names = {pk: name for name, pk in world.visibility.items()}
    visible = set(cases_visible_to(user).filter(pk__in=names).values_list("pk", flat=True))
    assert {names[pk] for pk in visible} == VISIBLE[actor_key]
    # The single-case check agrees with the list.
    for name, pk in world.visibility.items():
        assert can_view_case(user, Case.objects.get(pk=pk)) is (name in VISIBLE[actor_key]), name


@pytest.mark.parametrize("actor_key", ACTORS)
def test_case_get_for_user_follows_visibility(world: World, actor_key: str) -> None:
    user = world.user(actor_key)
    for name, pk in world.visibility.items():
        reference = Case.objects.get(pk=pk).reference
        if name in VISIBLE[actor_key]:
            assert case_get_for_user(user=user, reference=reference).pk == pk
        else:
            with pytest.raises(NotFoundError):
                case_get_for_user(user=user, reference=reference)


def test_missing_and_forbidden_references_fail_the_same_way(world: World) -> None:
    user = world.user("expert")
    forbidden = Case.objects.get(pk=world.visibility["special_west"]).reference
    year = forbidden.split("-")[0]

    errors = []
    for reference in (forbidden, f"{year}-999999", "not-a-reference", ""):
        with pytest.raises(NotFoundError) as caught:
            case_get_for_user(user=user, reference=reference)
        errors.append(caught.value)

    assert {type(e) for e in errors} == {NotFoundError}
    assert len({str(e) for e in errors}) == 1
    assert len({(e.code, e.status_code, e.field) for e in errors}) == 1


def test_another_organisations_reference_is_missing(world: World) -> None:
    theirs = world.other_city.org.cases.get()
    with pytest.raises(NotFoundError):
        case_get_for_user(user=world.user("advisor"), reference=theirs.reference,
                          organization_id=theirs.organization_id)
    # The same number in the advisor's own organisation is a different case.
    own = case_get_for_user(user=world.user("advisor"), reference=theirs.reference)
    assert own.pk != theirs.pk
    assert own.organization_id == world.city.org.pk
    assert case_get_for_user(user=world.user("other_advisor"), reference=theirs.reference).pk == theirs.pk
