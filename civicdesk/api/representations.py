"""The GeoReport v2 documents, built as plain dicts in the spec's field order (JSON and XML alike).

Field lists follow the spec's examples; the 6Aika/CitySDK extensions (`extensions=true`) add
`extended_attributes` with `title`, `detailed_status` and `media_urls` to each request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.api.selectors import CategoryIndex, ServiceRequestRow
from civicdesk.cases.models import CaseType, Category, FeedbackSubtype, Status, detailed_status_of

SPECIFICATION_URL = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed in a way clients should notice (discovery's `changeset`).
CHANGESET = "2026-11-23T00:00:00Z"
FORMATS = ["text/xml", "application/json"]


def w3c(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the server's time zone: 2026-11-23T08:15:30+02:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def discovery(*, endpoint_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION_URL,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }


def service_attributes(*, category: Category, case_types: list[CaseType]) -> list[dict[str, Any]]:
    """The attributes of a service definition (what a client may send as `attribute[code]`).

    Derived from the organisation's configuration: which type of message it is (its postable case
    types) and, for feedback, the subtype. Hook: when the residents' form gains questions per topic
    (civicdesk.intake), the questions of the topics filed under `category` are added here, each as
    one attribute (text → string, choice → singlevaluelist, yes/no → singlevaluelist true/false,
    number → number, date → datetime), and `views.RequestsView` passes their answers on to
    `case_intake` with the others.
    """
    attributes: list[dict[str, Any]] = []
    if len(case_types) > 1:
        attributes.append({
            "variable": True,
            "code": "case_type",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("The type of message; the first value if not given."),
            "order": 1,
            "description": _("What kind of message is this?"),
            "values": [{"key": t.code, "name": t.name} for t in case_types],
        })
    if any(t.kind == "feedback" for t in case_types):
        attributes.append({
            "variable": True,
            "code": "feedback_subtype",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("Only for feedback."),
            "order": len(attributes) + 1,
            "description": _("What kind of feedback is this?"),
            "values": [{"key": value, "name": str(label)} for value, label in FeedbackSubtype.choices if value],
        })
    return attributes


def service(category: Category, *, index: CategoryIndex, has_attributes: bool) -> dict[str, Any]:
    return {
        "service_code": category.open311_service_code,
        "service_name": category.name,
        "description": category.description,
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": ", ".join(k.strip() for k in (category.keywords or "").split(",") if k.strip()),
        "group": index.group_name(category),
    }


def service_definition(category: Category, *, attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"service_code": category.open311_service_code, "attributes": attributes}


def service_request(row: ServiceRequestRow, *, extensions: bool, zone: dt.tzinfo | None = None) -> dict[str, Any]:
    """One request. Published: the public texts. Unpublished: status and dates only, the rest empty.

    `zone` is the time zone of the dates (the current one if None; a list passes it once for all rows).
    """
    public = row.is_public
    zone = zone or timezone.get_current_timezone()
    data: dict[str, Any] = {
        "service_request_id": row.reference,
        "status": "closed" if row.status == Status.CLOSED else "open",
        "status_notes": row.public_answer if public else "",
        "service_name": row.service_name if public else "",
        "service_code": row.service_code if public else "",
        "description": row.public_text if public else "",
        "agency_responsible": row.agency if public else "",
        "service_notice": "",
        "requested_datetime": row.created_at.astimezone(zone).isoformat(timespec="seconds"),
        "updated_datetime": row.last_activity_at.astimezone(zone).isoformat(timespec="seconds"),
        "expected_datetime": None,
        # The address a resident typed can be their home; the public location is the point only.
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": row.lat if public else None,
        "long": row.lon if public else None,
        "media_url": "",
    }
    if extensions:
        data["extended_attributes"] = {
            "title": row.public_title if public else "",
            "detailed_status": detailed_status_of(status=row.status, public_works_status=row.public_works_status),
            # Attachments are not published (they are not reviewed for personal data when a case is).
            "media_urls": [],
        }
    return data


def service_requests(rows: list[ServiceRequestRow], *, extensions: bool) -> list[dict[str, Any]]:
    zone = timezone.get_current_timezone()
    return [service_request(row, extensions=extensions, zone=zone) for row in rows]


def posted(*, reference: str, token: str) -> dict[str, Any]:
    return {
        "service_request_id": reference,
        "service_notice": _("Thank you. Your message was received with the number %(reference)s.")
        % {"reference": reference},
        "account_id": None,
        "token": token,
    }


def token(*, reference: str, token: str) -> dict[str, Any]:
    return {"service_request_id": reference, "token": token}
