"""Presence for the bundled email: when each user was last seen in the staff pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from civicdesk.notifications.services import user_activity_touch

SEEN_SESSION_KEY = "notifications_seen_at"
# Written at most this often per session; the bundle's "away" window is longer (selectors.ACTIVE_WINDOW).
SEEN_WRITE_SECONDS = 5 * 60


class LastSeenMiddleware:
    """Records `UserActivity.last_seen_at` at most every five minutes per session.

    The throttle lives in the session, which the request has loaded anyway, so the other
    requests cost no query; requests without a session cost nothing at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = time.time()
        seen = session.get(SEEN_SESSION_KEY)
        if isinstance(seen, int | float) and now - seen < SEEN_WRITE_SECONDS:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_activity_touch(user=user)
            session[SEEN_SESSION_KEY] = int(now)
        return response
