"""Login with rate limits: per client address and per username, to slow password guessing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from civicdesk.core.request_context import client_ip_from_meta


def _client_address(group: str, request: HttpRequest) -> str:
    # The same address the audit log records: behind a reverse proxy REMOTE_ADDR is the proxy's,
    # and a limit on it would lock every user out together.
    return client_ip_from_meta(request.META, settings.TRUSTED_PROXY_COUNT) or ""


@method_decorator(
    ratelimit(key=_client_address, rate=lambda g, r: settings.LOGIN_RATE_LIMIT, method="POST", block=False),
    name="post",
)
@method_decorator(
    ratelimit(key="post:username", rate=lambda g, r: settings.LOGIN_RATE_LIMIT_PER_USER, method="POST", block=False),
    name="post",
)
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "limited", False):
            response = TemplateResponse(
                request,
                "components/error.html",
                {"message": _("Too many login attempts. Wait a few minutes and try again."), "status": 429},
                status=429,
            )
            response["Retry-After"] = "300"
            return response
        return super().post(request, *args, **kwargs)
