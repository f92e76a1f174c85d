from __future__ import annotations

import logging

from celery import shared_task

from civicdesk.privacy.services import audit_verify_chain

logger = logging.getLogger(__name__)


@shared_task
def audit_verify_chain_task() -> dict[str, object]:
    """Nightly check that nobody has altered the audit log."""
    result = audit_verify_chain()
    if not result.ok:
        logger.error("audit chain broken at %s: %s", result.first_bad_sequence, result.reason)
    return {"ok": result.ok, "checked": result.checked, "first_bad_sequence": result.first_bad_sequence}
