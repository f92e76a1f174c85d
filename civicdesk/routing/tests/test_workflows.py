"""Workflows per case type: checking, moving cases with what a step requires, the case page's own actions
following along, the periodic job's automatic steps, and a new version taken into use with live cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Case, CaseKind, EntryKind, Priority, Resolution, Status
from civicdesk.core.errors import ActionNotAllowedError, InvalidInputError, InvalidStateError
from civicdesk.notifications.models import Notification, NotificationKind
from civicdesk.privacy.models import AuditEntry
from civicdesk.routing.models import (
    CaseWorkflow,
    ResolutionCode,
    Workflow,
    WorkflowState,
    WorkflowStatus,
    WorkflowTransition,
)
from civicdesk.routing.tasks import workflows_tick_task
from civicdesk.routing.workflows import (
    case_transition,
    case_workflow_start,
    workflow_migration_plan,
    workflow_new_version,
    workflow_problems,
    workflow_publish,
    workflows_tick,
)
from tests.factories import City

pytestmark = pytest.mark.django_db


def _state(workflow: Workflow, code: str, phase: str, position: int, **values) -> WorkflowState:
    return WorkflowState.objects.create(workflow=workflow, code=code, name=values.pop("name", code.title()),
                                        phase=phase, position=position, **values)


def _move(workflow: Workflow, a: WorkflowState, b: WorkflowState, name: str, **values) -> WorkflowTransition:
    return WorkflowTransition.objects.create(workflow=workflow, from_state=a, to_state=b, name=name, **values)


def fault_report_workflow(city: City, *, publish: bool = True) -> Workflow:
    """Received → in progress ⇄ contractor / waiting for the customer → resolved (with a resolution code)."""
    workflow = Workflow.objects.create(organization=city.org, case_type=city.types[CaseKind.FAULT_REPORT],
                                       name="Vikailmoitus")
    s = {
        "received": _state(workflow, "received", Status.NEW, 1, is_initial=True, acknowledge_on_enter=True,
                           name="Vastaanotettu"),
        "work": _state(workflow, "work", Status.OPEN, 2, name="Työn alla"),
        "contractor": _state(workflow, "contractor", Status.OPEN, 3, escalate_after_hours=48, name="Urakoitsijalla"),
        "waiting": _state(workflow, "waiting", Status.WAITING, 4, remind_after_days=7, name="Odottaa asukasta"),
        "resolved": _state(workflow, "resolved", Status.CLOSED, 5, name="Ratkaistu"),
        "unanswered": _state(workflow, "unanswered", Status.CLOSED, 6, name="Suljettu vastauksetta"),
    }
    WorkflowState.objects.filter(pk=s["waiting"].pk).update(timeout_days=14, timeout_to=s["unanswered"])
    _move(workflow, s["received"], s["work"], "Aloita", position=1)
    _move(workflow, s["work"], s["contractor"], "Urakoitsijalle", position=2, requires_note=True)
    _move(workflow, s["contractor"], s["work"], "Urakoitsija valmis", position=3)
    _move(workflow, s["work"], s["waiting"], "Kysy asukkaalta", position=4, requires_reply=True)
    _move(workflow, s["waiting"], s["work"], "Asukas vastasi", position=5)
    _move(workflow, s["waiting"], s["unanswered"], "Sulje vastauksetta", position=6)
    _move(workflow, s["work"], s["resolved"], "Ratkaise", position=7, requires_resolution_code=True,
          requires_reply=True)
    _move(workflow, s["contractor"], s["resolved"], "Korjattu", position=8, requires_resolution_code=True)
    _move(workflow, s["resolved"], s["work"], "Avaa uudelleen", position=9)
    _move(workflow, s["unanswered"], s["work"], "Avaa uudelleen", position=10)
    ResolutionCode.objects.create(workflow=workflow, code="fixed", name="Korjattu")
    ResolutionCode.objects.create(workflow=workflow, code="not-ours", name="Ei kaupungin vastuulla")
    if publish:
        workflow_publish(workflow=workflow, actor=city.users["contentadmin"])
        workflow.refresh_from_db()
    return workflow


def _started(city: City, **values) -> Case:
    case = city.case(**values)
    case_workflow_start(case=case)
    return case


def _state_code(case: Case) -> str:
    return CaseWorkflow.objects.select_related("state").get(case=case).state.code


def _transition(case: Case, name: str) -> WorkflowTransition:
    row = CaseWorkflow.objects.get(case=case)
    return WorkflowTransition.objects.get(from_state_id=row.state_id, name=name)


def _go(case: Case, actor, name: str, **values) -> CaseWorkflow:
    row = CaseWorkflow.objects.get(case=case)
    return case_transition(case=case, actor=actor, transition_id=_transition(case, name).pk, state_id=row.state_id,
                           **values)


# --- checking -------------------------------------------------------------------------------------


def test_a_sound_workflow_has_no_problems(city: City):
    assert workflow_problems(fault_report_workflow(city, publish=False)) == []


def test_unreachable_states_dead_ends_and_bad_automatic_moves_are_explained(city: City):
    with translation.override("en"):
        workflow = Workflow.objects.create(organization=city.org, case_type=city.types[CaseKind.QUESTION],
                                           name="Kysymys")
        new = _state(workflow, "new", Status.NEW, 1, is_initial=True)
        work = _state(workflow, "work", Status.OPEN, 2)
        limbo = _state(workflow, "limbo", Status.OPEN, 3, name="Limbo")
        _state(workflow, "island", Status.OPEN, 4, name="Island")
        done = _state(workflow, "done", Status.CLOSED, 5)
        _move(workflow, new, work, "Start")
        _move(workflow, work, done, "Close", requires_resolution_code=True)
        _move(workflow, work, limbo, "Park")
        WorkflowState.objects.filter(pk=work.pk).update(timeout_days=3, timeout_to=limbo, remind_after_days=5)
        problems = " | ".join(workflow_problems(workflow))
    assert "“Island” cannot be reached" in problems
    assert "“Limbo” is a dead end" in problems
    assert "“Island” is a dead end" in problems
    assert "requires a resolution code, but the workflow has none" in problems
    assert "reminders are for states waiting for the customer" in problems
    assert "the reminder must come before the automatic move" in problems
    with pytest.raises(InvalidInputError):
        workflow_publish(workflow=workflow, actor=city.users["contentadmin"])
    workflow.refresh_from_db()
    assert workflow.status == WorkflowStatus.DRAFT


def test_a_workflow_without_start_or_closed_state_is_refused(city: City):
    with translation.override("en"):
        workflow = Workflow.objects.create(organization=city.org, case_type=city.types[CaseKind.QUESTION],
                                           name="Kysymys")
        a = _state(workflow, "a", Status.OPEN, 1)
        b = _state(workflow, "b", Status.WAITING, 2)
        _move(workflow, a, b, "Wait")
        WorkflowState.objects.filter(pk=a.pk).update(timeout_days=2, timeout_to=b)
        _move(workflow, b, a, "Back", requires_note=True)
        WorkflowState.objects.filter(pk=b.pk).update(timeout_days=2, timeout_to=a)
        problems = " | ".join(workflow_problems(workflow))
    assert "exactly one state as the one new cases start in (now 0)" in problems
    assert "Add a state with the status “New”" in problems
    assert "Add a state with the status “Closed”" in problems
    assert "the automatic move to “A” must be one of its transitions, and one that needs nothing" in problems


# --- a case in its workflow ----------------------------------------------------------------------------


def test_a_new_case_starts_in_the_initial_state_and_is_acknowledged(city: City, django_capture_on_commit_callbacks):
    fault_report_workflow(city)
    with django_capture_on_commit_callbacks(execute=True):
        case = _started(city)
    assert _state_code(case) == "received"
    assert [m.to for m in mail.outbox] == [["maija@example.fi"]]
    assert case.reference in mail.outbox[0].subject


def test_routing_starts_the_workflow_of_a_case_arriving_by_intake(city: City, django_capture_on_commit_callbacks):
    from civicdesk.intake.services import case_intake

    fault_report_workflow(city)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_intake(organization=city.org, case_type=city.types[CaseKind.FAULT_REPORT], channel="web_form",
                           title="Katuvalo rikki", description="Katuvalo ei pala Rantakadulla.",
                           customer_email="asukas@example.fi")
    assert _state_code(case) == "received"


def test_a_step_needs_what_it_requires_and_records_it(city: City, django_capture_on_commit_callbacks):
    fault_report_workflow(city)
    case = _started(city, answer_requested=False)
    expert = city.fresh("expert")
    _go(case, expert, "Aloita")
    case.refresh_from_db()
    assert (case.status, _state_code(case), case.handler_id) == (Status.OPEN, "work", expert.pk)

    with pytest.raises(InvalidInputError) as refused:
        _go(case, expert, "Urakoitsijalle")
    assert refused.value.field == "note"
    _go(case, expert, "Urakoitsijalle", note="Tilattu urakoitsijalta, työnumero 123.")
    assert _state_code(case) == "contractor"
    assert case.timeline.filter(kind=EntryKind.INTERNAL_NOTE, body__contains="työnumero 123").exists()

    with pytest.raises(InvalidInputError) as refused:
        _go(case, expert, "Korjattu", resolution_code="nonsense")
    assert refused.value.field == "resolution_code"
    with django_capture_on_commit_callbacks(execute=True):
        _go(case, expert, "Korjattu", resolution_code="fixed")
    case.refresh_from_db()
    row = CaseWorkflow.objects.get(case=case)
    assert (case.status, row.state.code, row.resolution_code) == (Status.CLOSED, "resolved", "fixed")
    steps = list(case.timeline.filter(kind=EntryKind.WORKFLOW).values_list("body", flat=True))
    assert any("Korjattu" in body and "Urakoitsijalla" in body for body in steps)
    assert AuditEntry.objects.filter(action="case.workflow_transition", object_id=case.pk).count() == 3


def test_a_step_with_a_reply_answers_the_customer_and_closes_as_answered(city: City,
                                                                        django_capture_on_commit_callbacks):
    fault_report_workflow(city)
    case = _started(city)
    expert = city.fresh("expert")
    _go(case, expert, "Aloita")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _go(case, expert, "Ratkaise", resolution_code="fixed", reply="Kuoppa on paikattu.")
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Status.CLOSED, Resolution.ANSWERED)
    assert any("Kuoppa on paikattu." in m.body for m in mail.outbox)


def test_a_stale_form_and_a_step_not_allowed_from_here_are_refused(city: City):
    fault_report_workflow(city)
    case = _started(city)
    expert = city.fresh("expert")
    seen = CaseWorkflow.objects.get(case=case).state_id
    start = _transition(case, "Aloita")
    _go(case, expert, "Aloita")
    with pytest.raises(InvalidStateError) as stale:
        case_transition(case=case, actor=expert, transition_id=start.pk, state_id=seen)
    assert stale.value.code == "stale"
    now = CaseWorkflow.objects.get(case=case).state_id
    with pytest.raises(InvalidInputError):
        case_transition(case=case, actor=expert, transition_id=start.pk, state_id=now)
    with pytest.raises(InvalidInputError):
        case_transition(case=case, actor=expert, transition_id="x<script>", state_id=now)


def test_only_those_who_may_handle_the_case_move_it(city: City):
    fault_report_workflow(city)
    case = _started(city)
    for name in ("viewer", "parks_expert", "partner"):
        with pytest.raises(ActionNotAllowedError):
            _go(case, city.fresh(name), "Aloita")
    assert _state_code(case) == "received"


def test_a_step_limited_to_roles_is_refused_to_others_and_not_offered_to_them(client, city: City):
    workflow = fault_report_workflow(city)
    # Handing over to the contractor is for service advisors only.
    WorkflowTransition.objects.filter(workflow=workflow, name="Urakoitsijalle").update(roles=["service_advisor"])
    case = _started(city)
    expert = city.fresh("expert")
    _go(case, expert, "Aloita")
    handover = _transition(case, "Urakoitsijalle")
    with translation.override("en"), pytest.raises(ActionNotAllowedError) as refused:
        case_transition(case=case, actor=expert, transition_id=handover.pk, state_id=handover.from_state_id,
                        note="Tilattu")
    assert str(refused.value.message) == "Only these may take the step “Urakoitsijalle”: Service advisor."
    assert _state_code(case) == "work"
    client.force_login(expert)
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert ">Ratkaise</button>" in page
    assert ">Urakoitsijalle</button>" not in page
    posted = client.post(f"/staff/routing/cases/{case.reference}/workflow/", {
        "workflow-transition": handover.pk, "workflow-state": handover.from_state_id, "workflow-note": "x"})
    assert posted.status_code == 403
    assert _state_code(case) == "work"
    # The advisor (who may see and handle the case) may.
    advisor = city.fresh("advisor")
    # (By id: a request leaves its language active, and step names are translated fields.)
    case_transition(case=case, actor=advisor, transition_id=handover.pk, state_id=handover.from_state_id,
                    note="Tilattu urakoitsijalta")
    assert _state_code(case) == "contractor"
    # A new version keeps the limit.
    copy = workflow_new_version(workflow=workflow, actor=city.users["contentadmin"])
    assert copy.transitions.get(name="Urakoitsijalle").roles == ["service_advisor"]


def test_an_unknown_role_on_a_step_is_refused_by_validation(city: City):
    from django.core.exceptions import ValidationError

    workflow = fault_report_workflow(city, publish=False)
    step = workflow.transitions.get(name="Aloita")
    step.roles = ["technical_admin"]
    with pytest.raises(ValidationError):
        step.full_clean()
    step.roles = ["expert", "external_partner"]
    step.full_clean()


def test_the_case_pages_own_actions_move_the_state_along(city: City):
    fault_report_workflow(city)
    case = _started(city)
    expert = city.fresh("expert")
    case_services.case_take(case=case, actor=expert)
    assert _state_code(case) == "work"
    case_services.case_reply(case=case, actor=expert, body="Missä kohdassa tarkalleen?", wait_for_customer=True)
    assert _state_code(case) == "waiting"
    case_services.case_record_customer_message(case=case, body="Talon 5 edessä.")
    case.refresh_from_db()
    assert (case.status, _state_code(case)) == (Status.OPEN, "work")
    followed = case.timeline.filter(kind=EntryKind.WORKFLOW, data__event="followed")
    assert followed.count() == 3


def test_closing_is_refused_when_the_workflow_asks_for_a_resolution_code(city: City):
    fault_report_workflow(city)
    case = _started(city)
    expert = city.fresh("expert")
    _go(case, expert, "Aloita")
    with translation.override("en"), pytest.raises(InvalidStateError) as refused:
        case_services.case_close(case=case, actor=expert, reply="Korjattu.")
    assert "closed with the workflow step “Ratkaise”" in str(refused.value.message)
    assert "a resolution code" in str(refused.value.message)
    case.refresh_from_db()
    assert case.status == Status.OPEN
    # Spam or a duplicate contact can always be closed as unnecessary.
    case_services.case_close_unnecessary(case=case, actor=expert, reason="Sama asia kuin 2026-000001.")
    case.refresh_from_db()
    assert (case.status, _state_code(case)) == (Status.CLOSED, "resolved")
    case_services.case_reopen(case=case, actor=expert)
    assert _state_code(case) == "work"


def test_reclassifying_to_a_type_without_a_workflow_leaves_it(city: City):
    fault_report_workflow(city)
    case = _started(city)
    case_services.case_reclassify(case=case, actor=city.fresh("advisor"), case_type=city.types[CaseKind.QUESTION])
    assert not CaseWorkflow.objects.filter(case=case).exists()


# --- the periodic job ------------------------------------------------------------------------------------


def _waiting_case(city: City) -> Case:
    case = _started(city)
    expert = city.fresh("expert")
    _go(case, expert, "Aloita")
    _go(case, expert, "Kysy asukkaalta", reply="Onko kuoppa edelleen paikallaan?")
    return case


def test_a_customer_who_does_not_answer_is_reminded_once_then_the_case_closes(city: City,
                                                                              django_capture_on_commit_callbacks):
    fault_report_workflow(city)
    case = _waiting_case(city)
    entered = CaseWorkflow.objects.get(case=case).entered_at
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert workflows_tick(now=entered + dt.timedelta(days=6))["reminded"] == 0
        assert workflows_tick(now=entered + dt.timedelta(days=7, minutes=1))["reminded"] == 1
        assert workflows_tick(now=entered + dt.timedelta(days=8))["reminded"] == 0
    assert len(mail.outbox) == 1
    reminder = mail.outbox[0]
    assert case.reference in reminder.subject
    assert case.tracking_token in reminder.body
    assert reminder.extra_headers.get("Auto-Submitted") or reminder.message()["Auto-Submitted"]

    with django_capture_on_commit_callbacks(execute=True):
        assert workflows_tick(now=entered + dt.timedelta(days=14, minutes=1))["moved"] == 1
    case.refresh_from_db()
    assert (case.status, _state_code(case)) == (Status.CLOSED, "unanswered")
    assert case.timeline.filter(kind=EntryKind.WORKFLOW, data__event="timeout").exists()
    assert workflows_tick(now=entered + dt.timedelta(days=30)) == {"reminded": 0, "moved": 0, "escalated": 0,
                                                                   "failed": 0}


def test_a_case_left_with_the_contractor_is_escalated_once(city: City, django_capture_on_commit_callbacks):
    fault_report_workflow(city)
    case = _started(city)
    expert = city.fresh("expert")
    _go(case, expert, "Aloita")
    _go(case, expert, "Urakoitsijalle", note="Tilattu.")
    entered = CaseWorkflow.objects.get(case=case).entered_at
    with django_capture_on_commit_callbacks(execute=True):
        assert workflows_tick(now=entered + dt.timedelta(hours=47))["escalated"] == 0
        assert workflows_tick(now=entered + dt.timedelta(hours=49))["escalated"] == 1
        assert workflows_tick(now=entered + dt.timedelta(hours=80))["escalated"] == 0
    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    assert Notification.objects.filter(case=case, kind=NotificationKind.SERVICE_LEVEL,
                                       params__service_level="workflow_escalation").exists()


def test_a_service_level_breach_that_hands_the_case_on_moves_its_step_at_once(city: City):
    from civicdesk.routing.models import ServiceLevel
    from civicdesk.routing.service_levels import service_level_apply, service_levels_check

    fault_report_workflow(city)
    ServiceLevel.objects.create(organization=city.org, name="Viat", first_response_hours=200,
                                resolution_hours=1, breach_group=city.parks)
    case = _started(city, owner_group=city.streets)
    _go(case, city.fresh("expert"), "Aloita")
    service_level_apply(case=case)
    assert _state_code(case) == "work"
    assert service_levels_check(now=timezone.now() + dt.timedelta(days=30))["breached"] == 1
    case.refresh_from_db()
    assert (case.owner_group, case.status) == (city.parks, Status.NEW)
    assert _state_code(case) == "received"


def test_the_beat_task_runs_the_tick(city: City):
    fault_report_workflow(city)
    assert workflows_tick_task.delay().get() == {"reminded": 0, "moved": 0, "escalated": 0, "failed": 0}


# --- a new version with live cases -----------------------------------------------------------------------


def test_a_new_version_moves_live_cases_by_code_and_by_the_admins_mapping(city: City):
    v1 = fault_report_workflow(city)
    expert = city.fresh("expert")
    received = _started(city)
    at_contractor = _started(city)
    _go(at_contractor, expert, "Aloita")
    _go(at_contractor, expert, "Urakoitsijalle", note="Tilattu.")
    waiting = _waiting_case(city)
    closed = _started(city)
    _go(closed, expert, "Aloita")
    _go(closed, expert, "Ratkaise", resolution_code="fixed", reply="Korjattu.")
    entered_waiting = CaseWorkflow.objects.get(case=waiting).entered_at

    v2 = workflow_new_version(workflow=v1, actor=city.users["contentadmin"])
    assert (v2.version, v2.status) == (2, WorkflowStatus.DRAFT)
    assert v2.states.count() == 6
    assert v2.transitions.count() == 10
    assert v2.resolution_codes.count() == 2
    with pytest.raises(InvalidStateError):
        workflow_new_version(workflow=v1, actor=city.users["contentadmin"])  # one draft at a time
    # Version 2 drops the contractor step: its cases go back to "in progress" (the same status).
    v2.states.get(code="contractor").delete()
    work2 = v2.states.get(code="work")
    plan = {row.old.code: row for row in workflow_migration_plan(v2)}
    assert set(plan) == {"received", "contractor", "waiting"}  # closed cases stay on their version
    assert plan["contractor"].live_cases == 1
    assert plan["contractor"].target == work2  # the first state with the same status
    assert [s.code for s in plan["waiting"].choices] == ["waiting"]

    # A mapping to a state of another status is refused, and nothing moves.
    bad = {plan["contractor"].old.pk: v2.states.get(code="waiting").pk}
    with pytest.raises(InvalidInputError):
        workflow_publish(workflow=v2, actor=city.users["contentadmin"], mapping=bad)
    assert CaseWorkflow.objects.get(case=at_contractor).workflow_id == v1.pk

    result = workflow_publish(workflow=v2, actor=city.users["contentadmin"],
                              mapping={plan["contractor"].old.pk: work2.pk})
    assert result == {"moved": 3, "attached": 0}
    v1.refresh_from_db()
    assert v1.status == WorkflowStatus.RETIRED
    for case, code in ((received, "received"), (at_contractor, "work"), (waiting, "waiting")):
        row = CaseWorkflow.objects.get(case=case)
        case.refresh_from_db()
        assert (row.workflow_id, row.state.code) == (v2.pk, code)
        assert case.timeline.filter(kind=EntryKind.WORKFLOW, data__event="migrated").exists()
    assert Case.objects.get(pk=at_contractor.pk).status == Status.OPEN
    assert CaseWorkflow.objects.get(case=waiting).entered_at == entered_waiting  # the same step: time counts on
    assert CaseWorkflow.objects.get(case=closed).workflow_id == v1.pk
    # The moved cases go on in the new version; the closed one joins it when reopened.
    _go(at_contractor, expert, "Kysy asukkaalta", reply="Onko korjattu?")
    case_services.case_reopen(case=closed, actor=expert)
    row = CaseWorkflow.objects.get(case=closed)
    assert (row.workflow_id, row.state.code) == (v2.pk, "work")
    assert AuditEntry.objects.filter(action="workflow.publish", object_id=v2.pk).exists()


def test_a_first_workflow_takes_in_the_open_cases_of_its_type(city: City):
    expert = city.fresh("expert")
    new = city.case()
    taken = city.case()
    case_services.case_take(case=taken, actor=expert)
    city.case(case_type=city.types[CaseKind.QUESTION])
    fault_report_workflow(city)
    assert _state_code(new) == "received"
    assert _state_code(taken) == "work"
    assert CaseWorkflow.objects.count() == 2


def test_only_a_draft_is_taken_into_use(city: City):
    workflow = fault_report_workflow(city)
    with pytest.raises(InvalidStateError):
        workflow_publish(workflow=workflow, actor=city.users["contentadmin"])


# --- the admin and the case page -------------------------------------------------------------------------


def test_content_admins_edit_a_draft_check_it_and_take_it_into_use(client, city: City, other_city: City):
    client.force_login(city.admin_user())
    with translation.override("fi"):  # the admin speaks the staff default, Finnish
        listing = client.get("/admin/routing/workflow/", HTTP_ACCEPT_LANGUAGE="en")
        assert listing.status_code == 200
        added = client.post("/admin/routing/workflow/add/", {
            "organization": city.org.pk, "case_type": city.types[CaseKind.QUESTION].pk, "name": "Kysymykset",
            **{f"{prefix}-{key}": "0" for prefix in ("states", "transitions", "resolution_codes")
               for key in ("TOTAL_FORMS", "INITIAL_FORMS")}}, HTTP_ACCEPT_LANGUAGE="en")
        assert added.status_code == 302, added.content.decode()[:3000]
        draft = Workflow.objects.get(name="Kysymykset")
        assert (draft.version, draft.status) == (1, WorkflowStatus.DRAFT)
        page = client.get(f"/admin/routing/workflow/{draft.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
        assert translation.gettext("Add the states a case goes through.") in page.content.decode()
        refused = client.post(f"/admin/routing/workflow/{draft.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 400
        assert translation.gettext("The workflow cannot be taken into use yet") in refused.content.decode()

        workflow = fault_report_workflow(city, publish=False)
        check = client.get(f"/admin/routing/workflow/{workflow.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
        assert check.status_code == 200
        assert translation.gettext("Take into use") in check.content.decode()
        done = client.post(f"/admin/routing/workflow/{workflow.pk}/publish/", HTTP_ACCEPT_LANGUAGE="en")
        assert done.status_code == 302
        workflow.refresh_from_db()
        assert workflow.status == WorkflowStatus.ACTIVE

        # A workflow in use is read only; a new version is made to change it.
        page = client.get(f"/admin/routing/workflow/{workflow.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert translation.gettext("Make a new version to edit") in page
        assert 'name="states-0-code"' not in page
        made = client.post(f"/admin/routing/workflow/{workflow.pk}/new-version/", HTTP_ACCEPT_LANGUAGE="en")
        copy = Workflow.objects.get(case_type=workflow.case_type, version=2)
        assert made.status_code == 302
        assert made["Location"].endswith(f"/{copy.pk}/change/")
        page = client.get(made["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'name="states-0-code"' in page

    other = Workflow.objects.create(organization=other_city.org, case_type=other_city.types[CaseKind.QUESTION],
                                    name="Toisen kaupungin")
    assert client.get(f"/admin/routing/workflow/{other.pk}/change/").status_code in (302, 404)
    assert client.post(f"/admin/routing/workflow/{other.pk}/publish/").status_code == 403


def test_the_case_page_shows_the_step_and_moves_the_case(client, city: City):
    fault_report_workflow(city)
    case = _started(city, answer_requested=False)
    expert = city.fresh("expert")
    client.force_login(expert)
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert 'id="workflow-heading"' in page
    assert "Vastaanotettu" in page
    assert ">Aloita</button>" in page
    url = f"/staff/routing/cases/{case.reference}/workflow/"
    row = CaseWorkflow.objects.get(case=case)
    moved = client.post(url, {"workflow-transition": _transition(case, "Aloita").pk, "workflow-state": row.state_id})
    assert moved.status_code == 303
    row.refresh_from_db()
    assert row.state.code == "work"

    # A refused step comes back with what was typed and a message; nothing moves.
    note = "<script>alert(1)</script> Tilattu"
    refused = client.post(url, {"workflow-transition": _transition(case, "Urakoitsijalle").pk,
                                "workflow-state": row.state_id + 1000, "workflow-note": note})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Tilattu" in text
    assert "<script>alert(1)" not in text
    assert CaseWorkflow.objects.get(case=case).state.code == "work"

    viewer = city.fresh("viewer")
    client.force_login(viewer)
    refused = client.post(url, {"workflow-transition": _transition(case, "Urakoitsijalle").pk,
                                "workflow-state": row.state_id, "workflow-note": "x"})
    assert refused.status_code in (403, 404)


# --- where the cases are --------------------------------------------------------------------------


def test_the_step_overview_counts_only_cases_the_user_may_see_and_lists_a_step_longest_first(client, city: City,
                                                                                             other_city: City):
    from civicdesk.routing.workflows import cases_in_step, workflow_overview

    fault_report_workflow(city)
    expert, parks_expert = city.fresh("expert"), city.fresh("parks_expert")
    old = _started(city, owner_group=city.streets, title="Vanha kuoppa")
    CaseWorkflow.objects.filter(case=old).update(entered_at=timezone.now() - dt.timedelta(days=3))
    new = _started(city, owner_group=city.streets, title="Uusi kuoppa")
    Case.objects.filter(pk=new.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    worked = _started(city, owner_group=city.streets)
    _go(worked, expert, "Aloita")
    closed = _started(city, owner_group=city.streets)
    _go(closed, expert, "Aloita")
    _go(closed, expert, "Ratkaise", resolution_code="fixed", reply="Korjattu.")

    (overview,) = workflow_overview(user=expert)
    counts = {step.state.code: (step.cases, step.overdue) for step in overview.steps}
    assert counts["received"] == (2, 1)
    assert counts["work"] == (1, 0)
    assert counts["resolved"] == (0, 0)  # closed steps are history, not counted
    received = next(step for step in overview.steps if step.state.code == "received")
    assert received.oldest_since is not None
    assert received.oldest_since < timezone.now() - dt.timedelta(days=2)
    # Another group's expert sees the workflow but none of these cases.
    (theirs,) = workflow_overview(user=parks_expert)
    assert sum(step.cases for step in theirs.steps) == 0

    _state, rows, page, total = cases_in_step(user=expert, state_id=received.state.pk)
    assert ([c.title for c in rows], page, total) == (["Vanha kuoppa", "Uusi kuoppa"], 1, 2)
    assert cases_in_step(user=parks_expert, state_id=received.state.pk)[3] == 0
    for bad in ("x", received.state.pk + 999):
        with pytest.raises(InvalidInputError):
            cases_in_step(user=expert, state_id=bad)
    with pytest.raises(InvalidInputError):  # another organisation's step
        cases_in_step(user=other_city.fresh("expert"), state_id=received.state.pk)

    client.force_login(expert)
    page_html = client.get("/staff/routing/workflows/").content.decode()
    assert "Vikailmoitus" in page_html
    assert f'href="?step={received.state.pk}"' in page_html
    listed = client.get(f"/staff/routing/workflows/?step={received.state.pk}")
    assert listed.status_code == 200
    assert listed.content.decode().index("Vanha kuoppa") < listed.content.decode().index("Uusi kuoppa")
    assert client.get("/staff/routing/workflows/?step=<script>").status_code == 400
    assert client.get(f"/staff/routing/workflows/?step={received.state.pk}&page=0").status_code == 400
    assert 'href="/staff/routing/workflows/"' in client.get("/staff/").content.decode()
