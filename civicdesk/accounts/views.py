"""Login with rate limits: per client address and per username, to slow password guessing.

The staff login and the Django admin's login share the same counters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited

from civicdesk.core.request_context import client_address_rate_key
from civicdesk.core.views import too_many_requests

RATE_LIMIT_GROUP = "civicdesk.login"



def _too_many_attempts(request: HttpRequest) -> HttpResponse:
    return too_many_requests(
        request, message=_("Too many login attempts. Wait a few minutes and try again."), retry_after_seconds=300
    )


def login_rate_limited(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Refuse login POSTs beyond the per-address or per-username rate with a 429."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            by_address = is_ratelimited(
                request, group=RATE_LIMIT_GROUP, key=client_address_rate_key, rate=settings.LOGIN_RATE_LIMIT,
                increment=True,
            )
            by_username = is_ratelimited(
                request, group=RATE_LIMIT_GROUP + ".user", key="post:username",
                rate=settings.LOGIN_RATE_LIMIT_PER_USER, increment=True,
            )
            if by_address or by_username:
                return _too_many_attempts(request)
        return view(request, *args, **kwargs)

    return wrapper


@method_decorator(login_rate_limited, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
