"""What the workspace's main navigation offers the signed-in user, by role (R5)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from civicdesk.cases.permissions import organization_overview_for


def _navigation(request: HttpRequest) -> dict[str, bool]:
    # The organisation-wide list: every contact for advisors and readers, the own areas for viewers.
    organization_id, areas_only = organization_overview_for(request.user)
    return {"overview": organization_id is not None and not areas_only, "areas": areas_only}


def workspace_navigation(request: HttpRequest) -> dict[str, Any]:
    """`workspace_nav.overview` / `.areas`; lazy, so pages without the nav pay nothing."""
    return {"workspace_nav": SimpleLazyObject(lambda: _navigation(request))}
