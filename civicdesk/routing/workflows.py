"""Workflows per case type (R4.2): states, allowed moves with what they require, automatic steps.

* A `Workflow` is versioned. Content admins edit a draft; `workflow_publish` refuses one with
  problems (`workflow_problems`: no start, an unreachable state, a dead end, an automatic move that
  is not an allowed one, …) and otherwise moves the live cases of the version in use onto the new
  states in the same transaction — by the state's code, or as the admin mapped them, never into a
  state of another status — and retires the old version.
* Each state has a phase, the case's status while it is there, so queues, service levels and the
  Open311 API keep reading `Case.status`. Staff move a case with `case_transition`, giving what the
  move requires (a resolution code, a note, a reply to the customer).
* The case page's other actions (take, forward, reply and wait, close, reopen, …) still work: the
  case services signal each status change (`cases.signals`), and the case's state follows along an
  allowed move, or to the workflow's first state of that status. Closing is refused when the
  workflow demands something for every way to close (`_refuse_closing`), with the step to use.
* `workflows_tick` (beat) runs the automatic steps: a reminder to a customer who has not answered,
  the automatic move after N days (e.g. close), and escalation (priority up, the group told).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from civicdesk.accounts.permissions import access_for
from civicdesk.cases.models import Case, EntryKind, Priority, Resolution, Status, TimelineEntry
from civicdesk.cases.permissions import can_handle_case, cases_visible_to
from civicdesk.core.config_generation import ConfigCache
from civicdesk.core.errors import ActionNotAllowedError, InvalidInputError, InvalidStateError, NotFoundError
from civicdesk.notifications.services import notify_case_event
from civicdesk.privacy.services import audit_record
from civicdesk.routing.models import (
    CaseWorkflow,
    ResolutionCode,
    Workflow,
    WorkflowState,
    WorkflowStatus,
    WorkflowTransition,
)

logger = logging.getLogger(__name__)

WORKFLOW_LABEL = "CivicDesk"
TEXT_MAX = 10_000
# The phases the case page's own actions move cases into: a workflow must have a state for each.
REQUIRED_PHASES = (Status.NEW, Status.OPEN, Status.CLOSED)
# While a move runs, the status changes it makes are its own, not something to follow.
_moving: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("workflow_moving", default=frozenset())


@contextlib.contextmanager
def _moving_case(case_id: int) -> Iterator[None]:
    token = _moving.set(_moving.get() | {case_id})
    try:
        yield
    finally:
        _moving.reset(token)


# --- checking a workflow ---------------------------------------------------------------------


def workflow_problems(workflow: Workflow) -> list[str]:
    """What makes the workflow unusable, each in words for the admin; empty when it can be taken into use."""
    states = list(workflow.states.all())
    transitions = list(workflow.transitions.select_related("from_state", "to_state"))
    problems: list[str] = []
    if not states:
        return [_("Add the states a case goes through.")]
    by_id = {s.pk: s for s in states}
    initial = [s for s in states if s.is_initial]
    if len(initial) != 1:
        problems.append(_("Mark exactly one state as the one new cases start in (now %(count)d).")
                        % {"count": len(initial)})
    elif initial[0].phase == Status.CLOSED:
        problems.append(_("New cases cannot start in a closed state (“%(state)s”).") % {"state": initial[0].name})
    phases = {s.phase for s in states}
    for phase in REQUIRED_PHASES:
        if phase not in phases:
            problems.append(_("Add a state with the status “%(status)s”: the case page's own actions (take, "
                              "forward, close) move cases into it.") % {"status": Status(phase).label})
    outgoing: dict[int, list[WorkflowTransition]] = {s.pk: [] for s in states}
    for t in transitions:
        if t.from_state_id not in by_id or t.to_state_id not in by_id:
            problems.append(_("The transition “%(name)s” joins states of another workflow.") % {"name": t.name})
            continue
        if t.from_state_id == t.to_state_id:
            problems.append(_("The transition “%(name)s” leads back to the state it starts from.") % {"name": t.name})
            continue
        outgoing[t.from_state_id].append(t)
    if any(t.requires_resolution_code for t in transitions) and not workflow.resolution_codes.exists():
        problems.append(_("A transition requires a resolution code, but the workflow has none: add them."))
    forward = {pk: [t.to_state_id for t in moves] for pk, moves in outgoing.items()}
    backward: dict[int, list[int]] = {pk: [] for pk in by_id}
    for pk, targets in forward.items():
        for target in targets:
            backward[target].append(pk)
    if len(initial) == 1:
        seen = _reachable({initial[0].pk}, forward)
        for state in states:
            if state.pk not in seen:
                problems.append(_("The state “%(state)s” cannot be reached: no transition leads to it from the "
                                  "start.") % {"state": state.name})
    can_close = _reachable({s.pk for s in states if s.phase == Status.CLOSED}, backward)
    for state in states:
        if state.pk not in can_close:
            problems.append(_("The state “%(state)s” is a dead end: no path leads from it to a closed state.")
                            % {"state": state.name})
    for state in states:
        problems += _automatic_problems(state, outgoing[state.pk], by_id)
    return [str(p) for p in problems]


def _reachable(start: set[int], edges: dict[int, list[int]]) -> set[int]:
    seen, todo = set(start), deque(start)
    while todo:
        for target in edges.get(todo.popleft(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _automatic_problems(state: WorkflowState, moves: list[WorkflowTransition],
                        by_id: dict[int, WorkflowState]) -> list[str]:
    problems = []
    if (state.timeout_days is None) != (state.timeout_to_id is None):
        problems.append(_("State “%(state)s”: give both the days and the state to move on to automatically, "
                          "or neither.") % {"state": state.name})
    elif state.timeout_to_id is not None:
        move = next((t for t in moves if t.to_state_id == state.timeout_to_id), None)
        target = by_id.get(state.timeout_to_id)
        if move is None or move.requires_anything:
            problems.append(_("State “%(state)s”: the automatic move to “%(target)s” must be one of its "
                              "transitions, and one that needs nothing from staff.")
                            % {"state": state.name, "target": target.name if target else "?"})
    if state.remind_after_days is not None and state.phase != Status.WAITING:
        problems.append(_("State “%(state)s”: reminders are for states waiting for the customer.")
                        % {"state": state.name})
    if (state.remind_after_days is not None and state.timeout_days is not None
            and state.remind_after_days >= state.timeout_days):
        problems.append(_("State “%(state)s”: the reminder must come before the automatic move.")
                        % {"state": state.name})
    if state.phase == Status.CLOSED and (state.timeout_days or state.escalate_after_hours or state.remind_after_days):
        problems.append(_("State “%(state)s”: a closed state has no automatic steps.") % {"state": state.name})
    return problems


# --- versions -------------------------------------------------------------------------------


_active_workflows: ConfigCache[Workflow | None] = ConfigCache()


def workflow_active_for(case_type_id: int) -> Workflow | None:
    """The version in use for the case type; kept until the configuration changes (`config_generation`,
    this runs on every new case and every status change): only read it."""
    # One at most per case type (a partial unique constraint): a slice, without the ordering first() adds.
    return _active_workflows.get(case_type_id, lambda: next(iter(
        Workflow.objects.filter(case_type_id=case_type_id, status=WorkflowStatus.ACTIVE).order_by()[:1]), None))


@dataclasses.dataclass
class MigrationRow:
    """One state of the version in use that holds live cases, and where they would go."""

    old: WorkflowState
    live_cases: int
    choices: list[WorkflowState]
    target: WorkflowState | None


def workflow_migration_plan(workflow: Workflow, mapping: dict[int, int] | None = None) -> list[MigrationRow]:
    """Where the live cases of the version in use go when `workflow` replaces it.

    By default a case moves to the new state with its state's code, or else to the new version's
    first state of the same status; `mapping` (old state id → new state id) overrides. Only states
    of the same status are offered: a new version never changes a case's status behind staff's back.
    """
    current = Workflow.objects.filter(case_type_id=workflow.case_type_id, status=WorkflowStatus.ACTIVE).exclude(
        pk=workflow.pk).first()
    if current is None:
        return []
    new_states = list(workflow.states.all())
    counts = dict(CaseWorkflow.objects.filter(workflow=current).exclude(case__status=Status.CLOSED)
                  .values_list("state_id").annotate(n=Count("pk")).values_list("state_id", "n"))
    rows = []
    for old in current.states.all():
        if not counts.get(old.pk):
            continue
        choices = [s for s in new_states if s.phase == old.phase]
        wanted = (mapping or {}).get(old.pk)
        target = next((s for s in choices if s.pk == wanted), None) if wanted is not None else (
            next((s for s in choices if s.code == old.code), None) or (choices[0] if choices else None))
        rows.append(MigrationRow(old=old, live_cases=counts[old.pk], choices=choices, target=target))
    return rows


@transaction.atomic
def workflow_publish(*, workflow: Workflow, actor: Any, mapping: dict[int, int] | None = None) -> dict[str, int]:
    """Take a draft into use: check it, move the live cases of the version in use, retire that version.

    Open cases of the type that follow no workflow yet start following it in the state of their
    status. Returns how many cases were moved and attached.
    """
    draft = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if draft.status != WorkflowStatus.DRAFT:
        raise InvalidStateError(_("Only a draft can be taken into use; make a new version to change this one."))
    problems = workflow_problems(draft)
    if problems:
        raise InvalidInputError(_("The workflow cannot be taken into use: %(problems)s")
                                % {"problems": " ".join(problems)})
    current = (Workflow.objects.select_for_update().filter(case_type_id=draft.case_type_id,
                                                            status=WorkflowStatus.ACTIVE).first())
    plan = workflow_migration_plan(draft, mapping)
    for row in plan:
        if row.target is None:
            raise InvalidInputError(_("The new version has no state with the status “%(status)s” for the %(count)d "
                                      "live cases in “%(state)s”. Add one, or move those cases first.")
                                    % {"status": Status(row.old.phase).label, "count": row.live_cases,
                                       "state": row.old.name})
    now = timezone.now()
    if current is not None:
        current.status = WorkflowStatus.RETIRED
        current.save(update_fields=["status"])
    draft.status, draft.published_at = WorkflowStatus.ACTIVE, now
    draft.published_by = actor if getattr(actor, "is_authenticated", False) else None
    draft.save(update_fields=["status", "published_at", "published_by"])
    moved = 0
    entries: list[TimelineEntry] = []
    with override(draft.organization.default_language or "fi"):
        for row in plan:
            assert row.target is not None
            live = CaseWorkflow.objects.filter(workflow=current, state=row.old).exclude(case__status=Status.CLOSED)
            same = row.target.code == row.old.code
            case_ids = list(live.values_list("case_id", flat=True))
            if same:
                # The same step in the new version: the time spent in it goes on counting.
                live.update(workflow=draft, state=row.target)
            else:
                live.update(workflow=draft, state=row.target, entered_at=now, reminded_at=None, escalated_at=None)
            moved += len(case_ids)
            body = _("Workflow “%(workflow)s” version %(version)d taken into use: step “%(old)s” → “%(new)s”.") % {
                "workflow": draft.name, "version": draft.version, "old": row.old.name, "new": row.target.name}
            entries += [TimelineEntry(case_id=case_id, kind=EntryKind.WORKFLOW, body=body, is_internal=True,
                                      created_at=now, data={"event": "migrated", "from": row.old.pk,
                                                            "to": row.target.pk, "by_routing": True})
                        for case_id in case_ids]
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    attached = _attach_unfollowed(draft, now)
    audit_record(action="workflow.publish", actor=actor, organization_id=draft.organization_id,
                 object_type="routing.workflow", object_id=draft.pk, object_label=str(draft)[:200],
                 changes={"replaced": current.pk if current else None, "moved": moved, "attached": attached,
                          "mapping": {str(r.old.pk): r.target.pk for r in plan if r.target is not None}})
    return {"moved": moved, "attached": attached}


def _attach_unfollowed(workflow: Workflow, now: dt.datetime) -> int:
    """Open cases of the type without a workflow state (older cases, a first workflow) join this one."""
    by_phase: dict[str, WorkflowState | None] = {
        str(phase): _first_state(workflow, phase) for phase in (Status.NEW, Status.OPEN, Status.WAITING)}
    attached = 0
    cases = (Case.objects.filter(case_type_id=workflow.case_type_id, workflow_state__isnull=True)
             .exclude(status=Status.CLOSED).values_list("pk", "status"))
    batch: list[CaseWorkflow] = []
    for case_id, status in cases.iterator(chunk_size=2000):
        state = by_phase.get(status) or by_phase[Status.OPEN]
        if state is None:
            continue
        batch.append(CaseWorkflow(case_id=case_id, workflow=workflow, state=state, entered_at=now))
        if len(batch) >= 1000:
            CaseWorkflow.objects.bulk_create(batch, ignore_conflicts=True)
            attached += len(batch)
            batch = []
    CaseWorkflow.objects.bulk_create(batch, ignore_conflicts=True)
    return attached + len(batch)


@transaction.atomic
def workflow_new_version(*, workflow: Workflow, actor: Any) -> Workflow:
    """A draft copy of a workflow (states, transitions, resolution codes) to edit; one draft per case type."""
    source = Workflow.objects.select_for_update().get(pk=workflow.pk)
    existing = Workflow.objects.filter(case_type_id=source.case_type_id, status=WorkflowStatus.DRAFT).first()
    if existing is not None:
        raise InvalidStateError(_("There is a draft of this workflow already (version %(version)d): edit that one.")
                                % {"version": existing.version})
    top = Workflow.objects.filter(case_type_id=source.case_type_id).aggregate(v=Max("version"))["v"] or 0
    copy = Workflow.objects.create(organization_id=source.organization_id, case_type_id=source.case_type_id,
                                   name=source.name, version=top + 1, status=WorkflowStatus.DRAFT)
    # Copies of the rows (every translated column comes along); the new rows point to the new ones.
    states: dict[int, WorkflowState] = {}
    timeouts: dict[int, int] = {}
    for state in source.states.all():
        old_pk = state.pk
        if state.timeout_to_id is not None:
            timeouts[old_pk] = state.timeout_to_id
        state.pk, state.id, state.workflow, state.timeout_to = None, None, copy, None
        state.save(force_insert=True)
        states[old_pk] = state
    for old_pk, target in timeouts.items():
        WorkflowState.objects.filter(pk=states[old_pk].pk).update(timeout_to=states[target])
    for t in source.transitions.all():
        t.pk, t.id, t.workflow = None, None, copy
        t.from_state, t.to_state = states[t.from_state_id], states[t.to_state_id]
        t.save(force_insert=True)
    for code in source.resolution_codes.all():
        code.pk, code.id, code.workflow = None, None, copy
        code.save(force_insert=True)
    audit_record(action="workflow.new_version", actor=actor, organization_id=copy.organization_id,
                 object_type="routing.workflow", object_id=copy.pk, object_label=str(copy)[:200],
                 changes={"from": source.pk})
    return copy


# --- a case in its workflow -----------------------------------------------------------------


def _first_state(workflow: Workflow, phase: str) -> WorkflowState | None:
    states = [s for s in workflow.states.all() if s.phase == phase]
    states.sort(key=lambda s: (not s.is_initial, s.position, s.pk))
    return states[0] if states else None


def _state_for(workflow: Workflow, phase: str, *, current: WorkflowState | None) -> WorkflowState | None:
    """Where a case whose status became `phase` goes: along an allowed move from its state, else the first.

    From a state of a replaced version: the new version's state with the same code and status, if any.
    """
    if current is not None and current.workflow_id != workflow.pk:
        same = next((s for s in workflow.states.all() if s.code == current.code and s.phase == phase), None)
        if same is not None:
            return same
    if current is not None and current.workflow_id == workflow.pk:
        moves = [t for t in current.transitions_out.select_related("to_state").order_by("position", "pk")
                 if t.to_state.phase == phase]
        moves.sort(key=lambda t: t.requires_anything)
        if moves:
            return moves[0].to_state
    return _first_state(workflow, phase)


def case_workflow_start(*, case: Case) -> CaseWorkflow | None:
    """Attach a new case to its type's workflow (after routing, so its status is final); runs entry steps."""
    workflow = workflow_active_for(case.case_type_id)
    if workflow is None or CaseWorkflow.objects.filter(case_id=case.pk).exists():
        return None
    initial = next((s for s in workflow.states.all() if s.is_initial), None)
    state = initial if initial is not None and initial.phase == case.status else _state_for(
        workflow, case.status, current=initial)
    if state is None:
        return None
    row = CaseWorkflow.objects.create(case=case, workflow=workflow, state=state, entered_at=timezone.now())
    _on_enter(case, state)
    return row


def case_workflow_of(case: Case) -> CaseWorkflow | None:
    return CaseWorkflow.objects.select_related("state", "workflow").filter(case_id=case.pk).first()



def transitions_from(row: CaseWorkflow, *, user: Any = None) -> list[WorkflowTransition]:
    """The moves out of the case's step; with `user`, only those the user's roles allow."""
    moves = list(row.state.transitions_out.select_related("to_state").order_by("position", "pk"))
    if user is None:
        return moves
    access = access_for(user)
    return [t for t in moves if t.allowed_for(access, row.workflow.organization_id)]


def follow_status(*, case: Case) -> None:
    """A case service saved the case's status or type: its workflow state follows (`cases.signals`)."""
    if case.pk in _moving.get():
        return
    row = case_workflow_of(case)
    workflow = workflow_active_for(case.case_type_id)
    if row is None:
        if workflow is not None and case.status != Status.CLOSED:
            state = _state_for(workflow, case.status, current=None)
            if state is not None:
                CaseWorkflow.objects.create(case=case, workflow=workflow, state=state, entered_at=timezone.now())
        return
    if workflow is None:
        if row.workflow.case_type_id != case.case_type_id:
            row.delete()  # the case changed to a type without a workflow
        return
    if row.workflow_id == workflow.pk and row.state.phase == case.status:
        return
    old = row.state
    state = _state_for(workflow, case.status, current=old)
    if state is None:
        raise InvalidStateError(_("The workflow of this case type has no step with the status “%(status)s”, so "
                                  "this cannot be done here. Use the workflow's own steps.")
                                % {"status": Status(case.status).label})
    _set_state(row, workflow, state)
    with override(case.organization.default_language or "fi"):
        body = _("Step “%(old)s” → “%(new)s”, following the case's status.") % {"old": old.name, "new": state.name}
    _entry(case, actor=None, body=body, data={"event": "followed", "from": old.pk, "to": state.pk})
    _on_enter(case, state)


def refuse_closing(*, case: Case, resolution: str) -> None:
    """Before a case service closes a case: refuse when the workflow wants something for every way to close."""
    if resolution in (Resolution.UNNECESSARY, Resolution.MERGED) or case.pk in _moving.get():
        return
    row = case_workflow_of(case)
    if row is None or row.state.phase == Status.CLOSED or row.workflow.status != WorkflowStatus.ACTIVE:
        return
    if row.workflow.case_type_id != case.case_type_id:
        return
    closing = [t for t in transitions_from(row) if t.to_state.phase == Status.CLOSED]
    if not closing:
        raise InvalidStateError(_("The workflow does not close a case from the step “%(state)s”. Move it on with "
                                  "one of the workflow's steps first.") % {"state": row.state.name})
    if all(t.requires_anything for t in closing):
        raise InvalidStateError(_("Cases of this type are closed with the workflow step “%(step)s”, which asks for "
                                  "%(needs)s.") % {"step": closing[0].name, "needs": _needs_text(closing[0])})


def _needs_text(transition: WorkflowTransition) -> str:
    needs = []
    if transition.requires_resolution_code:
        needs.append(_("a resolution code"))
    if transition.requires_note:
        needs.append(_("an internal note"))
    if transition.requires_reply:
        needs.append(_("a reply to the customer"))
    return ", ".join(str(n) for n in needs)


def case_transition(*, case: Case, actor: Any, transition_id: Any, state_id: Any, resolution_code: str = "",
                    note: str = "", reply: str = "") -> CaseWorkflow:
    """Move a case along one of its state's transitions, with what the transition requires.

    `state_id` is the state the person saw: if the case moved meanwhile, nothing is done and they are
    told where it is now.
    """
    from civicdesk.cases import services as case_services

    if not can_handle_case(actor, case):
        raise ActionNotAllowedError()
    try:
        transition_pk, seen_state = int(transition_id), int(state_id)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(_("Choose one of the steps offered."), field="transition") from exc
    note, reply, resolution_code = (str(v or "").strip() for v in (note, reply, resolution_code))
    with transaction.atomic():
        row = (CaseWorkflow.objects.select_for_update(of=("self",)).select_related("state", "workflow")
               .filter(case_id=case.pk).first())
        if row is None:
            raise InvalidStateError(_("This case follows no workflow."))
        if row.workflow.status != WorkflowStatus.ACTIVE:
            raise InvalidStateError(_("This case is in an earlier version of its workflow. Reopen it with the case "
                                      "page's action to continue in the current one."))
        if row.state_id != seen_state:
            raise InvalidStateError(_("Someone moved this case to the step “%(state)s” meanwhile. Check the case "
                                      "and choose again.") % {"state": row.state.name}, code="stale")
        transition = (WorkflowTransition.objects.select_related("to_state")
                      .filter(pk=transition_pk, from_state_id=row.state_id).first())
        if transition is None:
            raise InvalidInputError(_("That step is not allowed from “%(state)s”.") % {"state": row.state.name},
                                    field="transition")
        if not transition.allowed_for(access_for(actor), case.organization_id):
            raise ActionNotAllowedError(_("Only these may take the step “%(step)s”: %(roles)s.")
                                        % {"step": transition.name, "roles": transition.role_names()})
        code = None
        if transition.requires_resolution_code or resolution_code:
            code = ResolutionCode.objects.filter(workflow_id=row.workflow_id, code=resolution_code).first()
            if code is None:
                raise InvalidInputError(_("Choose a resolution code."), field="resolution_code")
        for value, needed, field, label in ((note, transition.requires_note, "note", _("an internal note")),
                                            (reply, transition.requires_reply, "reply", _("a reply to the customer"))):
            if needed and not value:
                raise InvalidInputError(_("This step needs %(what)s.") % {"what": label}, field=field)
            if len(value) > TEXT_MAX:
                raise InvalidInputError(_("The text is too long (at most %(max)d characters).") % {"max": TEXT_MAX},
                                        field=field)
        old, new = row.state, transition.to_state
        with _moving_case(case.pk):
            _set_state(row, row.workflow, new, resolution_code=code.code if code else None)
            with override(case.organization.default_language or "fi"):
                body = _("Step “%(old)s” → “%(new)s” (%(step)s).") % {
                    "old": old.name, "new": new.name, "step": transition.name}
                if code is not None:
                    body += " " + _("Resolution: %(code)s.") % {"code": code.name}
            _entry(case, actor=actor, body=body, data={
                "event": "transition", "transition": transition.pk, "from": old.pk, "to": new.pk,
                **({"resolution_code": code.code} if code else {})})
            if note:
                case_services.case_add_note(case=case, actor=actor, body=note)
            if reply:
                case_services.case_reply(case=case, actor=actor, body=reply, close=new.phase == Status.CLOSED,
                                         wait_for_customer=new.phase == Status.WAITING)
            case_services.case_status_set(case=case, actor=actor, status=new.phase, answered=bool(reply),
                                          data={"workflow_step": transition.pk})
            if new.phase == Status.OPEN and Case.objects.filter(pk=case.pk, handler=None).exists():
                # Starting work on a case nobody handles takes it, as the case page's "take" does.
                with contextlib.suppress(InvalidInputError):
                    case_services.case_take(case=case, actor=actor)
        audit_record(action="case.workflow_transition", actor=actor, organization_id=case.organization_id,
                     object_type="case", object_id=case.pk, object_label=case.reference,
                     changes={"state": [old.code, new.code], "transition": transition.pk,
                              **({"resolution_code": code.code} if code else {})})
        _on_enter(case, new)
    return row


def _set_state(row: CaseWorkflow, workflow: Workflow, state: WorkflowState, *,
               resolution_code: str | None = None) -> None:
    row.workflow, row.state = workflow, state
    row.entered_at, row.reminded_at, row.escalated_at = timezone.now(), None, None
    fields = ["workflow", "state", "entered_at", "reminded_at", "escalated_at"]
    if resolution_code is not None:
        row.resolution_code = resolution_code
        fields.append("resolution_code")
    row.save(update_fields=fields)


def _entry(case: Case, *, actor: Any, body: str, data: dict[str, Any], kind: str = EntryKind.WORKFLOW
           ) -> TimelineEntry:
    moment = timezone.now()
    entry = TimelineEntry.objects.create(
        case_id=case.pk, kind=kind, body=body, is_internal=True, created_at=moment,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data={**data, **({} if getattr(actor, "is_authenticated", False) else {"by_routing": True})})
    Case.objects.filter(pk=case.pk).update(last_activity_at=moment)
    notify_case_event(entry=entry)
    return entry


def _on_enter(case: Case, state: WorkflowState) -> None:
    """The state's entry steps: the acknowledgement mail, after the commit."""
    if state.acknowledge_on_enter and case.customer_email:
        case_id = case.pk

        def _queue() -> None:
            from civicdesk.intake.tasks import case_acknowledgement_send_task

            case_acknowledgement_send_task.delay(case_id=case_id)

        transaction.on_commit(_queue, robust=True)


# --- the periodic job -------------------------------------------------------------------------


def workflows_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Reminders, automatic moves and escalations that are due; each case in its own transaction."""
    now = now or timezone.now()
    done = {"reminded": 0, "moved": 0, "escalated": 0, "failed": 0}
    states = WorkflowState.objects.filter(workflow__status=WorkflowStatus.ACTIVE).exclude(
        remind_after_days=None, timeout_days=None, escalate_after_hours=None).select_related("workflow", "timeout_to")
    for state in states:
        live = CaseWorkflow.objects.filter(state=state, case__status=state.phase).select_related("case")
        if state.timeout_days is not None and state.timeout_to is not None:
            for row in live.filter(entered_at__lte=now - dt.timedelta(days=state.timeout_days)):
                done["moved" if _safely(_timeout, row, now) else "failed"] += 1
        if state.remind_after_days is not None:
            for row in live.filter(reminded_at=None, entered_at__lte=now - dt.timedelta(days=state.remind_after_days)):
                done["reminded" if _safely(_remind, row, now) else "failed"] += 1
        if state.escalate_after_hours is not None:
            for row in live.filter(escalated_at=None,
                                   entered_at__lte=now - dt.timedelta(hours=state.escalate_after_hours)):
                done["escalated" if _safely(_escalate, row, now) else "failed"] += 1
    return done


def _safely(step: Any, row: CaseWorkflow, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            locked = (CaseWorkflow.objects.select_for_update(of=("self",)).select_related("state", "case",
                                                                                          "case__organization")
                      .filter(pk=row.pk, state_id=row.state_id, entered_at=row.entered_at).first())
            if locked is None:
                return False  # moved meanwhile
            step(locked, now)
        return True
    except Exception:
        logger.exception("workflow step %s failed for case %s", step.__name__, row.case_id)
        return False


def _timeout(row: CaseWorkflow, now: dt.datetime) -> None:
    from civicdesk.cases import services as case_services

    case, old, new = row.case, row.state, row.state.timeout_to
    assert new is not None
    with _moving_case(case.pk):
        _set_state(row, row.workflow, new)
        with override(case.organization.default_language or "fi"):
            body = _("Step “%(old)s” → “%(new)s” automatically after %(days)d days.") % {
                "old": old.name, "new": new.name, "days": old.timeout_days or 0}
        _entry(case, actor=None, body=body, data={"event": "timeout", "from": old.pk, "to": new.pk})
        case_services.case_status_set(case=case, actor=None, status=new.phase, actor_label=WORKFLOW_LABEL,
                                      data={"workflow_timeout": old.pk})
    audit_record(action="case.workflow_timeout", actor=None, actor_label=WORKFLOW_LABEL,
                 organization_id=case.organization_id, object_type="case", object_id=case.pk,
                 object_label=case.reference, changes={"state": [old.code, new.code]})
    _on_enter(case, new)


def _remind(row: CaseWorkflow, now: dt.datetime) -> None:
    case, state = row.case, row.state
    row.reminded_at = now
    row.save(update_fields=["reminded_at"])
    closes_on = None
    if state.timeout_days is not None and state.timeout_to is not None and state.timeout_to.phase == Status.CLOSED:
        closes_on = row.entered_at + dt.timedelta(days=state.timeout_days)
    with override(case.organization.default_language or "fi"):
        body = (_("Reminder sent to the customer.") if case.customer_email
                else _("The customer has not answered; there is no email address to remind them."))
    _entry(case, actor=None, body=body, data={"event": "reminder", "state": state.pk,
                                              "sent": bool(case.customer_email)})
    if case.customer_email:
        case_id, closes = case.pk, closes_on.isoformat() if closes_on else ""

        def _queue() -> None:
            from civicdesk.intake.tasks import case_reminder_send_task

            case_reminder_send_task.delay(case_id=case_id, closes_on=closes)

        transaction.on_commit(_queue, robust=True)


def _escalate(row: CaseWorkflow, now: dt.datetime) -> None:
    case, state = row.case, row.state
    row.escalated_at = now
    row.save(update_fields=["escalated_at"])
    changes = {}
    if case.priority < Priority.URGENT:
        changes["priority"] = [case.priority, case.priority + 1]
        Case.objects.filter(pk=case.pk).update(priority=case.priority + 1, updated_at=now)
    with override(case.organization.default_language or "fi"):
        body = _("The case has been in the step “%(state)s” for over %(hours)d hours: escalated.") % {
            "state": state.name, "hours": state.escalate_after_hours or 0}
    _entry(case, actor=None, body=body, kind=EntryKind.SERVICE_LEVEL,
           data={"event": "workflow_escalation", "state": state.pk, "notify": True, "changes": changes})
    audit_record(action="case.workflow_escalation", actor=None, actor_label=WORKFLOW_LABEL,
                 organization_id=case.organization_id, object_type="case", object_id=case.pk,
                 object_label=case.reference, changes={"state": state.code, **changes})


# --- where the cases are: the overview of steps (staff page) -------------------------------------

STEP_PAGE_SIZE = 50


@dataclasses.dataclass(frozen=True)
class StepCount:
    state: WorkflowState
    cases: int
    overdue: int
    oldest_since: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class WorkflowOverview:
    workflow: Workflow
    steps: list[StepCount]


def _overview_organizations(user: Any) -> list[int]:
    access = access_for(user)
    return sorted(access.roles)


def workflow_overview(*, user: Any) -> list[WorkflowOverview]:
    """The workflows in use in the user's organisations, with how many of the cases the user may see
    stand in each step that is not closed, how many of those are overdue, and since when the
    longest-waiting one has been there. Three queries. NotFoundError for a user of no organisation."""
    organizations = _overview_organizations(user)
    if not organizations:
        raise NotFoundError()
    workflows = list(Workflow.objects.filter(organization_id__in=organizations, status=WorkflowStatus.ACTIVE)
                     .select_related("case_type").order_by("name", "pk"))
    if not workflows:
        return []
    states = list(WorkflowState.objects.filter(workflow__in=workflows).order_by("position", "pk"))
    now = timezone.now()
    counted: dict[int, dict[str, Any]] = {
        row["state_id"]: dict(row) for row in CaseWorkflow.objects
        .filter(workflow__in=workflows, case__in=cases_visible_to(user).values("pk"))
        .exclude(state__phase=Status.CLOSED)
        .values("state_id")
        .annotate(cases=Count("pk"), overdue=Count("pk", filter=Q(case__due_at__lt=now)), oldest=Min("entered_at"))
    }
    overview = []
    for workflow in workflows:
        steps = []
        for state in (s for s in states if s.workflow_id == workflow.pk):
            row: dict[str, Any] = counted.get(state.pk, {})
            steps.append(StepCount(state=state, cases=row.get("cases", 0), overdue=row.get("overdue", 0),
                                   oldest_since=row.get("oldest")))
        overview.append(WorkflowOverview(workflow=workflow, steps=steps))
    return overview


def cases_in_step(*, user: Any, state_id: Any, page: Any = 1) -> tuple[WorkflowState, list[Case], int, int]:
    """One page of the cases the user may see in a step of a workflow in use, longest there first:
    (the step, the cases with `in_step_since`, the page number, the number of cases)."""
    try:
        state_pk, number = int(state_id), int(page)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(_("Choose one of the steps offered."), field="step") from exc
    if number < 1 or number > 10_000:
        raise InvalidInputError(_("No such page."), field="page")
    state = (WorkflowState.objects.select_related("workflow")
             .filter(pk=state_pk, workflow__status=WorkflowStatus.ACTIVE,
                      workflow__organization_id__in=_overview_organizations(user))
             .exclude(phase=Status.CLOSED).first())
    if state is None:
        raise InvalidInputError(_("Choose one of the steps offered."), field="step")
    cases = cases_visible_to(user).filter(workflow_state__state=state)
    total = cases.count()
    offset = (number - 1) * STEP_PAGE_SIZE
    rows: list[Case] = [*cases.select_related("owner_group", "handler")
                        .annotate(in_step_since=F("workflow_state__entered_at"))
                        .order_by("workflow_state__entered_at", "pk")[offset:offset + STEP_PAGE_SIZE]]
    return state, rows, number, total
