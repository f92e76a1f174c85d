"""The case page's workflow section: `{% load workflows %}{% workflow_panel case %}`.

The step the case is in, since when, and one small form per allowed move with the fields it
requires. After a refused move the page comes back with what was typed (from the POST).
"""

from __future__ import annotations

from typing import Any

from django import template

from civicdesk.cases.permissions import can_handle_case
from civicdesk.routing.models import ResolutionCode, WorkflowStatus
from civicdesk.routing.workflows import case_workflow_of, transitions_from

register = template.Library()


@register.inclusion_tag("routing/_workflow_panel.html", takes_context=True)
def workflow_panel(context: template.Context, case: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    # No query when the case page's selector said the case has no workflow row (`page_has_workflow`).
    shown = user is not None and getattr(case, "page_has_workflow", True) is not False
    row = case_workflow_of(case) if shown else None
    if row is None:
        return {"row": None}
    current = row.workflow.status == WorkflowStatus.ACTIVE
    may_act = current and case.merged_into_id is None and can_handle_case(user, case)
    transitions = transitions_from(row, user=user) if may_act else []
    needs_codes = any(t.requires_resolution_code for t in transitions)
    all_codes = (list(ResolutionCode.objects.filter(workflow_id=row.workflow_id))
                 if needs_codes or row.resolution_code else [])
    codes = all_codes if needs_codes else []
    post = request.POST if request is not None and request.method == "POST" else {}
    failed = str(post.get("workflow-transition", ""))
    posted = {key.replace("-", "_"): post.get(key, "") for key in ("workflow-resolution", "workflow-note",
                                                                     "workflow-reply")}
    code_name = next((c.name for c in all_codes if c.code == row.resolution_code), "")
    return {"row": row, "case": case, "current": current, "may_act": may_act, "codes": codes,
            "code_name": code_name, "request": request,
            "moves": [{"transition": t, "posted": posted if failed == str(t.pk) else {}} for t in transitions]}
