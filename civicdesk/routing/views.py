"""Staff pages of routing: dismissing a duplicate suggestion, moving a case along its workflow, the cases
in each workflow step, and the signals of defective procedures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicdesk.cases.permissions import organization_overview_for
from civicdesk.core.errors import ApplicationError, InvalidInputError, NotFoundError
from civicdesk.routing.models import DuplicateSuggestion
from civicdesk.routing.procedures import SIGNALS, procedure_signals
from civicdesk.routing.services import duplicate_dismiss

PERIODS = (30, 90, 365)


@login_required
@require_POST
def duplicate_dismiss_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = DuplicateSuggestion.objects.select_related("case", "candidate").filter(pk=suggestion_id).first()
    if suggestion is None:
        raise NotFoundError()
    duplicate_dismiss(user=request.user, suggestion=suggestion)
    messages.success(request, _("The suggestion was dismissed: %(reference)s is not suggested again.") % {
        "reference": suggestion.candidate.reference})
    return HttpResponseRedirect(reverse("cases:detail", args=[suggestion.case.reference]) + "#duplicates-heading",
                                status=303)


@login_required
@require_GET
def procedures_page(request: HttpRequest) -> HttpResponse:
    """Signals of defective procedures (R6.5) over the cases of the user's organisation that they may see."""
    organization_id, _areas_only = organization_overview_for(request.user)
    if organization_id is None:
        raise NotFoundError()
    try:
        days = int(request.GET.get("days", 90))
    except ValueError:
        days = -1
    if days not in PERIODS:
        raise InvalidInputError(_("Choose one of the periods offered."), field="days")
    report = procedure_signals(user=request.user, organization_id=organization_id, days=days)
    return render(request, "routing/procedures.html", {
        "report": report, "days": days, "periods": PERIODS, "signals": list(SIGNALS.items()),
        "sections": [(key, label, report.cases.get(key, [])) for key, label in SIGNALS.items()],
    })


@login_required
@require_GET
def workflows_page(request: HttpRequest) -> HttpResponse:
    """Where the cases are: each workflow in use, the cases the user may see in each of its steps,
    and with `?step=` the cases of one step, longest there first (R4.2)."""
    from civicdesk.routing.workflows import STEP_PAGE_SIZE, cases_in_step, workflow_overview

    context: dict[str, object] = {"overview": workflow_overview(user=request.user)}
    if "step" in request.GET:
        state, cases, page, total = cases_in_step(user=request.user, state_id=request.GET.get("step"),
                                                  page=request.GET.get("page", 1))
        context.update(step=state, step_cases=cases, page=page, total=total,
                       has_next=page * STEP_PAGE_SIZE < total, now=timezone.now())
    return render(request, "routing/workflows.html", context)


@login_required
@require_POST
def case_transition_view(request: HttpRequest, reference: str) -> HttpResponse:
    """One step of the case's workflow from the case page; on an error the page again, with what was typed."""
    from civicdesk.cases.selectors import case_get_for_user
    from civicdesk.cases.views import _render_case_page
    from civicdesk.routing.workflows import case_transition

    case = case_get_for_user(user=request.user, reference=reference)
    post = request.POST
    try:
        row = case_transition(case=case, actor=request.user, transition_id=post.get("workflow-transition"),
                              state_id=post.get("workflow-state"), resolution_code=post.get("workflow-resolution", ""),
                              note=post.get("workflow-note", ""), reply=post.get("workflow-reply", ""))
    except ApplicationError as error:
        messages.error(request, str(error.message))
        case = case_get_for_user(user=request.user, reference=reference)
        return _render_case_page(request, case, status=error.status_code)
    messages.success(request, _("The case moved to the step “%(state)s”.") % {"state": row.state.name})
    return HttpResponseRedirect(reverse("cases:detail", args=[case.reference]) + "#workflow-heading", status=303)


@login_required
@require_GET
def case_routing_why(request: HttpRequest, reference: str) -> HttpResponse:
    """Why routing did what it did to a case: the decision and the rules tried, the classifier's suggestions
    with the words that weighed most, and similar handled cases (loaded on demand: it costs ~0.5 s)."""
    from civicdesk.cases.selectors import case_get_for_user
    from civicdesk.routing.models import Target
    from civicdesk.routing.selectors import routing_explanation, suggestion_label_names

    case = case_get_for_user(user=request.user, reference=reference)
    explanation = routing_explanation(user=request.user, case=case)
    suggestions = []
    if explanation is not None:
        for target, suggestion in (explanation["decision"].predictions or {}).items():
            ranked = [(str(label), float(p)) for label, p in (suggestion.get("ranked") or [])[:3]]
            names = suggestion_label_names(target=target, labels=[label for label, _p in ranked],
                                           organization_id=case.organization_id)
            label = Target(target).label if target in Target.values else target
            suggestions.append({
                "target": label,
                "ranked": [(names.get(value, value), round(p * 100)) for value, p in ranked],
                "features": explanation["features"].get(target, []),
            })
    return render(request, "routing/why.html", {"case": case, "explanation": explanation,
                                                "suggestions": suggestions})
