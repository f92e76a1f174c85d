"""The unread count for the main navigation's badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from civicdesk.notifications.selectors import unread_badge_for


def notification_badge(request: HttpRequest) -> dict[str, Any]:
    """`notification_badge.count` / `.more`; lazy, so a page without the nav pays no query."""
    return {"notification_badge": SimpleLazyObject(lambda: unread_badge_for(user=request.user))}
