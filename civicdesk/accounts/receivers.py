"""Logins, logouts and failed logins go to the audit log.

Django's auth signals are the only hook into its login machinery; the receivers only record.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from civicdesk.privacy.services import audit_record


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.login", actor=user, object_type="user", object_id=user.pk,
                 object_label=user.get_username())


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.logout", actor=user, object_type="user", object_id=user.pk,
                     object_label=user.get_username())


@receiver(user_login_failed)
def audit_login_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(action="auth.login_failed", actor_label=username, object_type="user", object_id=username,
                 object_label=username)
