"""What the workspace's main navigation offers the signed-in user, by role (R5)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from civicdesk.accounts.models import Role
from civicdesk.accounts.permissions import ORGANIZATION_READ_ROLES, access_for


def _navigation(request: HttpRequest) -> dict[str, bool]:
    access = access_for(request.user)
    return {
        # The organisation-wide list: every contact for advisors and readers, the own areas for viewers.
        "overview": bool(access.organizations_with_role(*ORGANIZATION_READ_ROLES)),
        "areas": bool(access.organizations_with_role(Role.VIEWER))
        and not access.organizations_with_role(*ORGANIZATION_READ_ROLES),
    }


def workspace_navigation(request: HttpRequest) -> dict[str, Any]:
    """`workspace_nav.overview` / `.areas`; lazy, so pages without the nav pay nothing."""
    return {"workspace_nav": SimpleLazyObject(lambda: _navigation(request))}
