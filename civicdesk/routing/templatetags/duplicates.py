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
    if user is None or case.merged_into_id is not None or getattr(case, "page_has_suggestions", True) is False:
        return {"suggestions": []}
    suggestions = duplicate_suggestions_for(user=user, case=case)
    rows = [{"suggestion": s, "other": s.candidate, "may_link": can_link_cases(user, case, s.candidate),
             "percent": round(s.score * 100), "reasons": s.reasons} for s in suggestions]
    return {"suggestions": rows, "case": case, "request": request}


@register.simple_tag
def service_level_facts(case: Any) -> Any:
    """`<dt>`/`<dd>` for the case page's facts: the level, its due times and whether they were kept."""
    from django.utils.html import format_html
    from django.utils.safestring import SafeString
    from django.utils.timezone import localtime
    from django.utils.translation import gettext as _

    from civicdesk.routing.models import CaseServiceLevel

    if getattr(case, "page_has_service_level", True) is False:  # the case page's selector said (no query)
        return SafeString("")
    state = CaseServiceLevel.objects.filter(case_id=case.pk).select_related("service_level").first()
    if state is None or state.service_level is None:
        return SafeString("")
    parts = []
    if state.first_response_due is not None:
        answered = (_("answered") if state.responded_at else
                    _("missed") if state.response_breached_at else _("open"))
        parts.append(_("first answer by %(due)s (%(state)s)") % {
            "due": localtime(state.first_response_due).strftime("%d.%m.%Y %H:%M"), "state": answered})
    if state.resolution_due is not None:
        resolved = (_("missed, escalated") if state.breached_at else
                    _("paused while waiting for the customer") if state.paused_since else _("running"))
        parts.append(_("resolved by %(due)s (%(state)s)") % {
            "due": localtime(state.resolution_due).strftime("%d.%m.%Y %H:%M"), "state": resolved})
    return format_html("<dt>{}</dt><dd>{}: {}</dd>", _("Service level"), state.service_level.name, "; ".join(parts))
