"""API keys of the applications that post contacts through the Open311 API (`ApiClient`).

A key looks like `cdk_<prefix>_<secret>`: the prefix (12 characters) finds the row, and the whole
key is compared by its SHA-256 hash in constant time. Keys are random, so the hash needs no salt
or slowness; the raw key is returned once, when it is issued, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from civicdesk.accounts.models import ApiClient
from civicdesk.core.config_generation import ConfigCache

KEY_RE = re.compile(r"^cdk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$")
# last_used_at is a hint for administrators, not an audit trail: writing it on every request would
# turn each read of the row into a write, so it is refreshed at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=5)
_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = "".join(secrets.choice(_ALPHANUMERIC) for _ in range(12))
    return prefix, f"cdk_{prefix}_{secrets.token_urlsafe(32)}"


def api_client_issue_key(*, client: ApiClient) -> str:
    """Give the client a new key (replacing any old one, which stops working) and return it once.

    The caller saves the client; the Django admin does so and records the change in the audit log.
    """
    prefix, raw_key = _new_key()
    client.key_prefix = prefix
    client.key_hash = _key_hash(raw_key)
    client.is_active = True
    client.revoked_at = None
    return raw_key


@transaction.atomic
def api_client_create(*, organization: Any, name: str, created_by: Any = None, **fields: Any) -> tuple[ApiClient, str]:
    """Create a client with a fresh key; returns the client and the raw key (shown once)."""
    client = ApiClient(organization=organization, name=name, created_by=created_by, **fields)
    raw_key = api_client_issue_key(client=client)
    client.full_clean(exclude=["key_prefix", "key_hash"])
    client.save()
    return client, raw_key


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    """Stop the client's key from working at once; a new key can be issued later."""
    client.is_active = False
    client.revoked_at = timezone.now()
    client.save(update_fields=["is_active", "revoked_at", "updated_at"])
    return client


_clients: ConfigCache[ApiClient | None] = ConfigCache()


def api_client_for_key(raw_key: Any) -> ApiClient | None:
    """The active client whose key this is, with its organisation (kept per process); None for any other value.

    Refreshes `last_used_at` when it is older than LAST_USED_RESOLUTION (then 1 more query).
    """
    if not isinstance(raw_key, str):
        return None
    match = KEY_RE.match(raw_key.strip())
    if match is None:
        return None
    prefix = match.group(1)
    # Kept per process until configuration changes (ADR 0021): issuing, revoking or editing a client, or
    # deactivating its organisation, is a watched save, so a revoked key stops working at once.
    client = _clients.get(prefix, lambda: (
        ApiClient.objects.select_related("organization")
        .filter(key_prefix=prefix, is_active=True, organization__is_active=True)
        .first()
    ))
    if client is None or not hmac.compare_digest(client.key_hash, _key_hash(raw_key.strip())):
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
