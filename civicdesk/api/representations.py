"""The GeoReport v2 documents, built as plain dicts in the spec's field order (JSON and XML alike).

Field lists follow the spec's examples; the 6Aika/CitySDK extensions (`extensions=true`) add
`extended_attributes` with `title`, `detailed_status` and `media_urls` to each request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.api.selectors import MEDIA_URL_KEY, CategoryIndex, ServiceRequestRow
from civicdesk.cases.models import CaseType, Category, FeedbackSubtype, Status, detailed_status_of
from civicdesk.intake.models import QuestionKind, TopicQuestion

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


# A topic question's kind → the attribute's datatype (GeoReport v2: string, number, datetime, text,
# singlevaluelist, multivaluelist).
QUESTION_DATATYPES: dict[str, str] = {
    QuestionKind.TEXT: "string",
    QuestionKind.CHOICE: "singlevaluelist",
    QuestionKind.YES_NO: "singlevaluelist",
    QuestionKind.NUMBER: "number",
    QuestionKind.DATE: "datetime",
}
# Open311 clients send yes/no as these keys; the form's field takes "yes" and "no".
YES_NO_KEYS = {"true": "yes", "false": "no"}


def question_code(question: TopicQuestion) -> str:
    """The attribute code of a topic's question: stable while the question exists, whatever its label."""
    return f"q{question.pk}"


def _question_attribute(question: TopicQuestion, *, order: int) -> dict[str, Any]:
    explained: dict[str, str] = {
        QuestionKind.TEXT: _("Text, at most 500 characters."),
        QuestionKind.CHOICE: _("One of the keys of the values."),
        QuestionKind.YES_NO: _("true or false."),
        QuestionKind.NUMBER: _("A number such as 12.5."),
        QuestionKind.DATE: _("A date such as 2026-11-23 (a time, if given, is not kept)."),
    }
    attribute: dict[str, Any] = {
        "variable": True,
        "code": question_code(question),
        "datatype": QUESTION_DATATYPES.get(question.kind, "string"),
        # Never required of an app (one that does not show the question must still be able to report);
        # the residents' form asks it as required, which the description says.
        "required": False,
        "datatype_description": " ".join(part for part in (
            str(question.help_text or ""), str(explained.get(question.kind, "")),
            str(_("The residents' form asks this of everyone.")) if question.required else "") if part),
        "order": order,
        "description": str(question.label),
        # Always present (empty unless a list), so every attribute has the same fields in JSON and XML.
        "values": [],
    }
    if question.kind == QuestionKind.CHOICE:
        # Keys are positions, as on the residents' form: an answer does not depend on the language.
        attribute["values"] = [{"key": str(n), "name": option} for n, option in enumerate(question.choice_list, 1)]
    elif question.kind == QuestionKind.YES_NO:
        attribute["values"] = [{"key": "true", "name": _("Yes")}, {"key": "false", "name": _("No")}]
    return attribute


def service_attributes(*, category: Category, case_types: list[CaseType],
                       questions: Sequence[TopicQuestion] = ()) -> list[dict[str, Any]]:
    """The attributes of a service definition (what a client may send as `attribute[code]`).

    Derived from the organisation's configuration: which type of message it is (its postable case
    types), for feedback the subtype, and the questions of the residents' form topics filed under
    `category` (`selectors.service_questions`), each as `q<id>` (text → string, choice →
    singlevaluelist, yes/no → singlevaluelist true/false, number → number, date → datetime) in the
    form's order. `views.RequestsView` checks their answers with the form's own fields.
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
    for question in questions:
        attributes.append(_question_attribute(question, order=len(attributes) + 1))
    return attributes


def service(category: Category, *, index: CategoryIndex, has_attributes: bool) -> dict[str, Any]:
    return {
        "service_code": category.open311_service_code,
        "service_name": category.name,
        "description": category.description,
        "metadata": has_attributes,
        # GeoReport v2: "batch" returns a token that tokens/{token} turns into the id (ADR 0022).
        "type": "batch" if settings.CONTACT_WRITE_PATH == "deferred" else "realtime",
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
        "media_url": row.media_url if public else "",
    }
    if extensions:
        data["extended_attributes"] = {
            "title": row.public_title if public else "",
            "detailed_status": detailed_status_of(status=row.status, public_works_status=row.public_works_status),
            # The address the posting application gave. Uploaded files are not listed: attachments
            # have no published state (they are not reviewed for personal data when a case is).
            "media_urls": [row.media_url] if public and row.media_url else [],
        }
    return data


def service_requests(rows: list[ServiceRequestRow], *, extensions: bool) -> list[dict[str, Any]]:
    zone = timezone.get_current_timezone()
    return [service_request(row, extensions=extensions, zone=zone) for row in rows]


def media_url_record(*, record: dict[str, Any], media_url: str) -> dict[str, Any]:
    """The form record (`Case.form_answers`) with a posted media_url: under its own key for the API,
    and as a row of the answers so staff (case page) and the resident (tracking page) see it."""
    if not media_url:
        return record
    record = {**record, MEDIA_URL_KEY: media_url}
    record["answers"] = [*record.get("answers", []), {
        "question": None, "kind": "media_url", "label": _("Photo or file address given by the application"),
        "value": media_url, "display": media_url,
    }]
    return record


def posted(*, reference: str, token: str) -> dict[str, Any]:
    return {
        "service_request_id": reference,
        "service_notice": _("Thank you. Your message was received with the number %(reference)s.")
        % {"reference": reference},
        "account_id": None,
        "token": token,
    }


def accepted(*, token: str) -> dict[str, Any]:
    """The answer to a POST processed asynchronously (ADR 0022): the spec's `token` instead of the id."""
    return {
        "token": token,
        "service_notice": _("Thank you. Your message was received and gets its number in a moment."),
        "account_id": None,
    }


def token(*, reference: str | None, token: str) -> dict[str, Any]:
    """`tokens/{token}`: the id, or null while the contact's case is being made (ADR 0022)."""
    return {"service_request_id": reference, "token": token}
