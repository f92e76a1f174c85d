"""The demo city's workflow for fault reports, so that `make run` shows one on the case pages and in the admin."""

from __future__ import annotations

from typing import Any

from civicdesk.cases.models import CaseKind, CaseType, Status
from civicdesk.routing.models import ResolutionCode, Workflow, WorkflowState, WorkflowTransition
from civicdesk.routing.workflows import workflow_publish

# code, (fi, sv, en), status, initial, extra settings
STATES: list[tuple[str, tuple[str, str, str], str, bool, dict[str, Any]]] = [
    ("received", ("Vastaanotettu", "Mottagen", "Received"), Status.NEW, True, {}),
    ("work", ("Työn alla", "Under arbete", "Being worked on"), Status.OPEN, False, {}),
    ("contractor", ("Urakoitsijalla", "Hos entreprenören", "With the contractor"), Status.OPEN, False,
     {"escalate_after_hours": 72}),
    ("waiting", ("Odottaa asukasta", "Väntar på invånaren", "Waiting for the resident"), Status.WAITING, False,
     {"remind_after_days": 7}),
    ("resolved", ("Ratkaistu", "Löst", "Resolved"), Status.CLOSED, False, {}),
    ("unanswered", ("Suljettu vastauksetta", "Stängd utan svar", "Closed unanswered"), Status.CLOSED, False, {}),
]
# from, to, (fi, sv, en), requires
TRANSITIONS: list[tuple[str, str, tuple[str, str, str], dict[str, bool]]] = [
    ("received", "work", ("Aloita työ", "Börja arbetet", "Start work"), {}),
    ("work", "contractor", ("Tilaa urakoitsijalta", "Beställ av entreprenören", "Order from the contractor"),
     {"requires_note": True}),
    ("contractor", "work", ("Urakoitsija valmis", "Entreprenören klar", "Contractor done"), {}),
    ("work", "waiting", ("Kysy asukkaalta", "Fråga invånaren", "Ask the resident"), {"requires_reply": True}),
    ("waiting", "work", ("Asukas vastasi", "Invånaren svarade", "The resident answered"), {}),
    ("waiting", "unanswered", ("Sulje vastauksetta", "Stäng utan svar", "Close unanswered"), {}),
    ("work", "resolved", ("Ratkaise ja vastaa", "Lös och svara", "Resolve and answer"),
     {"requires_resolution_code": True, "requires_reply": True}),
    ("contractor", "resolved", ("Korjattu", "Åtgärdat", "Repaired"), {"requires_resolution_code": True}),
    ("resolved", "work", ("Avaa uudelleen", "Öppna igen", "Reopen"), {}),
    ("unanswered", "work", ("Avaa uudelleen", "Öppna igen", "Reopen"), {}),
]
CODES = [
    ("fixed", ("Korjattu", "Åtgärdat", "Repaired")),
    ("scheduled", ("Korjataan myöhemmin", "Åtgärdas senare", "Scheduled for later")),
    ("not-ours", ("Ei kaupungin vastuulla", "Inte stadens ansvar", "Not the city's responsibility")),
    ("no-fault", ("Vikaa ei löytynyt", "Inget fel hittades", "No fault found")),
]


def _names(texts: tuple[str, str, str]) -> dict[str, str]:
    return {"name_fi": texts[0], "name_sv": texts[1], "name_en": texts[2]}


def demo_workflow_build(*, case_types: dict[str, CaseType], actor: Any = None) -> Workflow | None:
    """A fault-report workflow taken into use: its open cases start following it."""
    case_type = case_types.get(CaseKind.FAULT_REPORT)
    if case_type is None:
        return None
    workflow = Workflow.objects.create(organization_id=case_type.organization_id, case_type=case_type,
                                       name="Vikailmoitus / Felanmälan / Fault report")
    states = {}
    for position, (code, names, phase, initial, extra) in enumerate(STATES, start=1):
        states[code] = WorkflowState.objects.create(workflow=workflow, code=code, phase=phase, is_initial=initial,
                                                    position=position, **_names(names), **extra)
    WorkflowState.objects.filter(pk=states["waiting"].pk).update(timeout_days=14, timeout_to=states["unanswered"])
    for position, (source, target, names, requires) in enumerate(TRANSITIONS, start=1):
        WorkflowTransition.objects.create(workflow=workflow, from_state=states[source], to_state=states[target],
                                          position=position, **_names(names), **requires)
    for position, (code, names) in enumerate(CODES, start=1):
        ResolutionCode.objects.create(workflow=workflow, code=code, position=position, **_names(names))
    workflow_publish(workflow=workflow, actor=actor)
    return workflow
