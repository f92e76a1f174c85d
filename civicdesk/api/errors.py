"""Open311 errors: a list of `{code, description}` with the HTTP status the spec implies.

Every refusal of the API goes through `open311_exception_handler` (DRF's EXCEPTION_HANDLER), so
bad input of any kind — a broken multipart body, a missing field, a wrong key, too many requests
— gets the same shape in JSON or XML, never Django's HTML error page and never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from civicdesk.core.errors import ApplicationError

logger = logging.getLogger(__name__)

# Names of CivicDesk's fields as the Open311 client sent them, so errors name the client's parameter.
OPEN311_FIELD_NAMES = {
    "customer_email": "email",
    "customer_phone": "phone",
    "customer_name": "first_name",
    "location": "lat",
    "lat": "lat",
    "lon": "long",
    "address": "address_string",
    "language": "locale",
    "file": "media",
    "files": "media",
    "case_type": "attribute[case_type]",
    "feedback_subtype": "attribute[feedback_subtype]",
    "categories": "service_code",
    "organization": "jurisdiction_id",
}


class Open311Error(exceptions.APIException):
    """A refusal with an Open311 error list; `errors` holds (code, description) pairs."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, description: str, *, status_code: int = 400, headers: dict[str, str] | None = None,
                 more: list[str] | None = None) -> None:
        self.status_code = status_code
        self.descriptions = [description, *(more or [])]
        self.headers = headers or {}
        super().__init__(description)


def invalid_parameter(name: str, message: str, *, status_code: int = 400) -> Open311Error:
    return Open311Error(f"{name}: {message}", status_code=status_code)


def _body(status_code: int, descriptions: list[str]) -> list[dict[str, Any]]:
    return [{"code": status_code, "description": str(d)} for d in descriptions]


def open311_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, Open311Error):
        code, descriptions, headers = exc.status_code, exc.descriptions, exc.headers
    elif isinstance(exc, ApplicationError):
        field = OPEN311_FIELD_NAMES.get(exc.field or "", exc.field or "")
        code = exc.status_code
        descriptions = [f"{field}: {exc.message}" if field else str(exc.message)]
    elif isinstance(exc, RequestDataTooBig):
        code, descriptions = 413, [_("The request is too large.")]
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields, a malformed multipart boundary and the like.
        code, descriptions = 400, [_("The request could not be read.")]
    elif isinstance(exc, Http404 | exceptions.NotFound):
        code, descriptions = 404, [_("Not found.")]
    elif isinstance(exc, exceptions.Throttled):
        code, descriptions = 429, [_("Too many requests. Wait a moment and try again.")]
        headers["Retry-After"] = str(int(exc.wait or 60))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        code, descriptions = 415, [_("Send the request as application/x-www-form-urlencoded or multipart/form-data.")]
    elif isinstance(exc, exceptions.ParseError):
        code, descriptions = 400, [_("The request body could not be read.")]
    elif isinstance(exc, exceptions.MethodNotAllowed):
        code, descriptions = 405, [_("This method is not allowed here.")]
    elif isinstance(exc, exceptions.APIException):
        code, descriptions = exc.status_code, [str(exc.detail)]
    else:
        return None
    response = Response(_body(code, descriptions), status=code, headers=headers)
    response.exception = True
    return response
