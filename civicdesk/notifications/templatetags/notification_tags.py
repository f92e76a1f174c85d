"""Template tags so that the case page can show the follow button without its view knowing."""

from __future__ import annotations

from typing import Any

from django import template

from civicdesk.cases.models import Case
from civicdesk.notifications.selectors import case_is_followed

register = template.Library()


@register.simple_tag(takes_context=True)
def case_follow_state(context: template.Context, case: Case) -> bool:
    """`{% case_follow_state case as following %}`: whether the signed-in user follows the case (1 query,
    none when the case page's selector already said: `page_followed`)."""
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    known = getattr(case, "page_followed", None)
    if known is not None:
        return bool(known)
    return case_is_followed(user=user, case=case)
