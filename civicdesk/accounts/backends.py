"""The authentication backend: Django's `ModelBackend`, with the signed-in user's row read by a kept
statement (core.kept_queries, ADR 0026).

`AuthenticationMiddleware` reads the user behind the session on every request. Through the ORM that
read was about half a millisecond of the application's CPU per page, four times what running the
statement costs; kept, the SQL is compiled once per process and the row becomes the same `User`
instance the ORM would give. Logging in, passwords and permissions are `ModelBackend`'s own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from civicdesk.core.kept_queries import KeptQuery

_USER = KeptQuery("accounts.session_user", reads_configuration=False)


def _user_by_pk(*, user_id: int) -> Any:
    return get_user_model()._default_manager.filter(pk=user_id)


class KeptUserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user_id = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if type(user_id) is not int:  # a key the kept statement cannot take: the ORM, as ModelBackend does
            return super().get_user(user_id)
        found = _USER.instances(_user_by_pk, user_id=user_id)
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
