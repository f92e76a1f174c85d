"""The case page's "Possible duplicates" section: `{% load duplicates %}{% possible_duplicates case %}`."""

from __future__ import annotations

from typing import Any

from django import template

from civicdesk.cases.permissions import can_link_cases
from civicdesk.routing.duplicates import duplicate_suggestions_for

register = template.Library()


@register.inclusion_tag("routing/_possible_duplicates.html", takes_context=True)
def possible_duplicates(context: template.Context, case: Any) -> dict[str, Any]:
    """Open suggestions whose other case the user may see, with link/merge/dismiss for those who may link."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or case.merged_into_id is not None:
        return {"suggestions": []}
    suggestions = duplicate_suggestions_for(user=user, case=case)
    rows = [{"suggestion": s, "other": s.candidate, "may_link": can_link_cases(user, case, s.candidate),
             "percent": round(s.score * 100), "reasons": s.reasons} for s in suggestions]
    return {"suggestions": rows, "case": case, "request": request}
