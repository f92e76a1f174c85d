from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from civicdesk.core.errors import ApplicationError
from civicdesk.core.request_context import RequestContext, client_ip_from_meta, request_context

logger = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Makes the client's address and a request id available to the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip = client_ip_from_meta(request.META, settings.TRUSTED_PROXY_COUNT)
        with request_context(RequestContext(source_ip=ip, channel="web")):
            return self.get_response(request)


class ApplicationErrorMiddleware:
    """Turns a service's ApplicationError into a translated 4xx instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        logger.info("application error %s: %s", exception.code, exception.message)
        wants_json = "application/json" in request.headers.get("Accept", "")
        if wants_json:
            return JsonResponse(
                {"error": {"code": exception.code, "message": str(exception.message), "field": exception.field}},
                status=exception.status_code,
            )
        response = TemplateResponse(
            request,
            "components/error.html",
            {"message": exception.message, "status": exception.status_code},
            status=exception.status_code,
        )
        return response.render()
