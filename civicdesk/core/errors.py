"""Errors raised by services and selectors.

Views never build error responses themselves: ApplicationErrorMiddleware turns these into a
translated message and a 4xx. "Missing" and "forbidden to see" are both NotFoundError, so a
request cannot learn whether an object it may not see exists.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status_code = 400
    default_message = _("The request could not be handled.")

    def __init__(self, message: object = None, *, code: str = "invalid", field: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.code = code
        self.field = field
        super().__init__(str(self.message))


class InvalidInputError(ApplicationError):
    status_code = 400
    default_message = _("The data given is not valid.")


class NotFoundError(ApplicationError):
    status_code = 404
    default_message = _("Not found.")

    def __init__(self, message: object = None, *, code: str = "not_found", field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)


class ActionNotAllowedError(ApplicationError):
    """The actor may see the object but may not do this to it."""

    status_code = 403
    default_message = _("You are not allowed to do this.")

    def __init__(self, message: object = None, *, code: str = "forbidden", field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)


class InvalidStateError(ApplicationError):
    """The action is not possible in the object's current state."""

    status_code = 409
    default_message = _("This cannot be done in the current state.")

    def __init__(self, message: object = None, *, code: str = "invalid_state", field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)
