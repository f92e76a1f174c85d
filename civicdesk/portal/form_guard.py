"""Spam defence of the residents' contact form without a third-party service (issue 4, item 8).

Three checks besides the rate limits, all working without JavaScript and inside the embedded form:

- A honeypot: an extra text field that people never see (moved off-screen, hidden from screen
  readers, out of the tab order, labelled "leave this empty"); programs filling every field fill it.
- A signed time stamp, written into the form when it is shown: a form sent back sooner than
  `PORTAL_FORM_MIN_SECONDS` (a program), later than `PORTAL_FORM_MAX_AGE_SECONDS` (a replayed
  copy), with a stamp that is not ours, or without one, is refused. `PORTAL_FORM_MIN_SECONDS = 0`
  switches the stamp off (the test settings do, so that tests may post forms they did not fetch).
- At most `PORTAL_CONTACT_MAX_LINKS` web addresses in the resident's text.

A refused form is shown again with everything the resident wrote and a fresh stamp, so a person
caught by mistake sends it again; the refusal is logged without the resident's text or details.
"""

from __future__ import annotations

import logging
import re
import time

from django.conf import settings
from django.core import signing

logger = logging.getLogger(__name__)

HONEYPOT_FIELD = "homepage"
STARTED_FIELD = "form_started"
_SALT = "civicdesk.portal.form-started"
# What a resident's text counts as a link: an address with a scheme, or one starting with www.
LINK_RE = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,20}://|\bwww\.)\S", re.IGNORECASE)


def form_started_stamp() -> str:
    """A signed stamp of now, for the form's hidden field (fresh on every rendering)."""
    return signing.dumps(int(time.time()), salt=_SALT)


def form_started_refusal(stamp: str) -> str:
    """Why a stamp is refused ("missing", "forged", "too_old", "too_fast"), or "" when it is fine."""
    minimum = settings.PORTAL_FORM_MIN_SECONDS
    if minimum <= 0:
        return ""
    if not stamp:
        return "missing"
    try:
        started = signing.loads(stamp[:200], salt=_SALT, max_age=settings.PORTAL_FORM_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return "too_old"
    except signing.BadSignature:
        return "forged"
    if not isinstance(started, int):
        return "forged"
    age = time.time() - started
    if age > settings.PORTAL_FORM_MAX_AGE_SECONDS:
        return "too_old"
    if age < minimum:
        return "too_fast"
    return ""


def links_count(*texts: str) -> int:
    return sum(len(LINK_RE.findall(text or "")) for text in texts)


def form_refusal_log(*, reason: str, organization: str, topic: str) -> None:
    """Record a caught form: the reason and where, never what was written or who wrote it."""
    logger.warning("contact form refused as spam: %s", reason,
                   extra={"reason": reason, "organization": organization, "topic": topic})
