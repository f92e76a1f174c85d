from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from civicdesk.core.config_generation import config_generation_scope
from civicdesk.core.errors import ApplicationError, InvalidInputError
from civicdesk.core.request_context import RequestContext, client_ip_from_meta, request_context

logger = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Makes the client's address and a request id available to the audit log, and reads the
    configuration generation once per request (`config_generation_scope`, ADR 0021)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip = client_ip_from_meta(request.META, settings.TRUSTED_PROXY_COUNT)
        with request_context(RequestContext(source_ip=ip, channel="web")), config_generation_scope():
            return self.get_response(request)


def _holds_null_character(data: object) -> bool:
    lists = getattr(data, "lists", None)
    if lists is None:
        return False
    return any("\x00" in key or any("\x00" in value for value in values if isinstance(value, str))
               for key, values in lists())


class ApplicationErrorMiddleware:
    """Turns a service's ApplicationError into a translated 4xx instead of a 500.

    It also refuses, before any view runs, query parameters holding a NUL character: no text a
    person types holds one, and PostgreSQL cannot store or even compare it. (Form fields refuse it
    themselves: Django's and DRF's text fields carry ProhibitNullCharactersValidator.)
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: object, view_args: object,
                     view_kwargs: object) -> HttpResponse | None:
        if getattr(getattr(view_func, "view_class", None), "checks_own_parameters", False):
            return None
        if _holds_null_character(request.GET):
            return application_error_response(
                request, InvalidInputError(_("The request holds a character that is not allowed."),
                                           code="null_character"))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ApplicationError):
            return None
        return application_error_response(request, exception)


def application_error_response(request: HttpRequest, exception: ApplicationError) -> HttpResponse:
    """The translated 4xx for an application error: JSON when the client asks for it, else a page."""
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
