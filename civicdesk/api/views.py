"""Open311 GeoReport v2 endpoints under /open311/v2/ (R10.7), with the 6Aika/CitySDK extensions.

Thin DRF views: read the parameters (civicdesk.api.params), call a selector or `intake.contact_take`,
return the document built in civicdesk.api.representations; the renderers write it as JSON or XML
from the URL's suffix. Every refusal is an Open311 error list (civicdesk.api.errors). The
language is the `locale` parameter, else the Accept-Language header (these URLs have no language
prefix).
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicdesk.accounts.api_keys import api_client_for_key
from civicdesk.accounts.models import ApiClient
from civicdesk.api import params, representations, schema
from civicdesk.api.errors import Open311Error, invalid_parameter
from civicdesk.api.renderers import Open311JSONRenderer, Open311XMLRenderer
from civicdesk.api.selectors import (
    CategoryIndex,
    organization_for_jurisdiction,
    postable_case_types,
    service_questions,
    service_request,
    service_request_for_token,
    service_requests,
)
from civicdesk.cases.models import CaseType
from civicdesk.cases.services import SUPPORTED_LANGUAGES
from civicdesk.core.rate_limits import rate_limit_exceeded
from civicdesk.core.request_context import client_address_rate_key
from civicdesk.intake.accepted_contacts import accepted_contact_for_token, contact_take
from civicdesk.intake.models import AcceptedState, QuestionKind, Topic, TopicQuestion
from civicdesk.intake.services import form_answers_build
from civicdesk.organizations.models import Organization
from civicdesk.portal.forms import TopicAnswersForm

DESCRIPTION_MAX_CHARS = 4000  # GeoReport v2: "free form text limited to 4,000 characters"
MEDIA_FIELDS = ("media", "media[]")
READ_RATE_GROUP = "civicdesk.open311.read"



def _too_many() -> Open311Error:
    return Open311Error(_("Too many requests. Wait a moment and try again."), status_code=429,
                        headers={"Retry-After": "60"})


def _language(request: Request, data: Any = None) -> str:
    """`locale` (fi, sv_FI, en-GB …), else Accept-Language, else the site's default language."""
    available = {code for code, _name in settings.LANGUAGES}
    raw = (data or {}).get("locale") or request.query_params.get("locale") or ""
    if isinstance(raw, str) and raw[:2].lower() in available:
        return raw[:2].lower()
    return translation.get_language_from_request(request._request, check_path=False)


class Open311View(APIView):
    renderer_classes: ClassVar[list[Any]] = [Open311JSONRenderer, Open311XMLRenderer]
    parser_classes: ClassVar[list[Any]] = [FormParser, MultiPartParser]
    authentication_classes: ClassVar[list[Any]] = []
    permission_classes: ClassVar[list[Any]] = []
    xml_root = "service_requests"
    xml_item = "request"
    # Parameters are read through api.params, which answers in the spec's error format (and drops
    # NUL characters), so the site-wide check in core.middleware leaves these views alone.
    checks_own_parameters = True

    def get_format_suffix(self, **kwargs: Any) -> str | None:
        # Named response_format, not format: DRF's schema generation skips `.{format}` URLs.
        return kwargs.get("response_format")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        translation.activate(_language(request))
        # One Redis round trip (core.rate_limits) instead of django-ratelimit's three.
        if request.method == "GET" and rate_limit_exceeded(
            group=READ_RATE_GROUP, key=client_address_rate_key(READ_RATE_GROUP, request._request),
            rate=settings.OPEN311_READ_RATE_LIMIT,
        ):
            raise _too_many()

    def organization(self, request: Request, data: Any = None) -> Organization:
        jurisdiction = params.text(data, "jurisdiction_id", max_length=63) or params.text(
            request.query_params, "jurisdiction_id", max_length=63
        )
        return organization_for_jurisdiction(jurisdiction)


class DiscoveryView(Open311View):
    xml_root = "discovery"

    @extend_schema(summary="Service discovery", responses={200: schema.DiscoverySerializer},
                   parameters=[schema.FORMAT])
    def get(self, request: Request, response_format: str = "json") -> Response:
        base = request.build_absolute_uri(reverse("api:open311-root"))
        return Response(representations.discovery(endpoint_url=base.rstrip("/")))


class ServicesView(Open311View):
    xml_root, xml_item = "services", "service"

    @extend_schema(summary="GET services: the types of request the jurisdiction takes",
                   parameters=[schema.FORMAT, schema.JURISDICTION, schema.LOCALE],
                   responses={200: schema.ServiceSerializer(many=True), 400: schema.ERRORS, 404: schema.ERRORS})
    def get(self, request: Request, response_format: str = "json") -> Response:
        organization = self.organization(request)
        index = CategoryIndex.load(organization)
        case_types = postable_case_types(organization)
        questions = service_questions(organization)
        return Response([
            representations.service(
                c, index=index,
                has_attributes=bool(representations.service_attributes(
                    category=c, case_types=case_types, questions=questions.get(c.pk, []))),
            )
            for c in index.services()
        ])


class ServiceDefinitionView(Open311View):
    xml_root = "service_definition"

    @extend_schema(summary="GET service definition: the attributes a request of this service may carry",
                   parameters=[schema.FORMAT, schema.JURISDICTION, schema.LOCALE],
                   responses={200: schema.ServiceDefinitionSerializer, 400: schema.ERRORS, 404: schema.ERRORS})
    def get(self, request: Request, service_code: str, response_format: str = "json") -> Response:
        organization = self.organization(request)
        category = CategoryIndex.load(organization).service_by_code(service_code)
        if category is None:
            raise Open311Error(_("service_code: no such service."), status_code=404)
        attributes = representations.service_attributes(
            category=category, case_types=postable_case_types(organization),
            questions=service_questions(organization).get(category.pk, []),
        )
        return Response(representations.service_definition(category, attributes=attributes))


class RequestsView(Open311View):
    @extend_schema(summary="GET requests: published requests, newest first",
                   parameters=[schema.FORMAT, schema.JURISDICTION, schema.LOCALE, *schema.REQUEST_FILTERS],
                   responses={200: schema.ServiceRequestSerializer(many=True), 400: schema.ERRORS,
                              404: schema.ERRORS, 429: schema.ERRORS})
    def get(self, request: Request, response_format: str = "json") -> Response:
        organization = self.organization(request)
        filters = params.request_filters(request.query_params)
        extensions = bool(params.boolean(request.query_params, "extensions"))
        rows = service_requests(organization=organization, filters=filters)
        return Response(representations.service_requests(rows, extensions=extensions))

    @extend_schema(summary="POST request: send a contact (needs an api_key)",
                   parameters=[schema.FORMAT],
                   request={"application/x-www-form-urlencoded": schema.PostRequestSerializer,
                            "multipart/form-data": schema.PostRequestSerializer},
                   responses={200: schema.PostedSerializer(many=True), 400: schema.ERRORS, 403: schema.ERRORS,
                              404: schema.ERRORS, 413: schema.ERRORS, 415: schema.ERRORS, 429: schema.ERRORS})
    def post(self, request: Request, response_format: str = "json") -> Response:
        if rate_limit_exceeded(group="civicdesk.open311.post",
                               key=client_address_rate_key("civicdesk.open311.post", request._request),
                               rate=settings.OPEN311_POST_RATE_LIMIT):
            raise _too_many()
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.ATTACHMENT_MAX_BYTES * settings.OPEN311_MEDIA_MAX_FILES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if declared.isdigit() and int(declared) > limit:
            raise Open311Error(_("The request is too large."), status_code=413)
        data = request.data
        client = self._client(request, data)
        translation.activate(_language(request, data))
        return Response([self._post(request, data, client)], status=200)

    def _client(self, request: Request, data: Any) -> ApiClient:
        raw_key = params.text(data, "api_key", max_length=100) or params.text(
            request.query_params, "api_key", max_length=100
        )
        client = api_client_for_key(raw_key)
        if client is None:
            raise Open311Error(_("api_key: missing or not valid."), status_code=403)
        if rate_limit_exceeded(group="civicdesk.open311.key", key=client.key_prefix, rate=client.rate_limit):
            raise _too_many()
        jurisdiction = params.text(data, "jurisdiction_id", max_length=63) or params.text(
            request.query_params, "jurisdiction_id", max_length=63
        )
        if jurisdiction and jurisdiction != client.organization.slug:
            raise Open311Error(_("jurisdiction_id: this api_key does not post for that jurisdiction."),
                               status_code=403)
        return client

    def _post(self, request: Request, data: Any, client: ApiClient) -> dict[str, Any]:
        organization = client.organization
        code = params.text(data, "service_code", max_length=50)
        if not code:
            raise invalid_parameter("service_code", _("is required."))
        category = CategoryIndex.load(organization).service_by_code(code)
        if category is None:
            raise invalid_parameter("service_code", _("no such service."))
        questions = service_questions(organization).get(category.pk, [])
        case_type, subtype = self._attributes(data, organization, questions)
        form_answers = self._answers(data, questions)
        description = params.text(data, "description", max_length=DESCRIPTION_MAX_CHARS)
        if not description:
            raise invalid_parameter("description", _("is required."))
        media_url = _media_url(data)
        files = [f for name in MEDIA_FIELDS for f in (request.FILES.getlist(name) if request.FILES else [])]
        if len(files) > settings.OPEN311_MEDIA_MAX_FILES:
            raise invalid_parameter("media", _("too many files (at most %(limit)d).")
                                    % {"limit": settings.OPEN311_MEDIA_MAX_FILES})
        name = " ".join(
            part for part in (params.text(data, "first_name"), params.text(data, "last_name")) if part
        )
        email = params.text(data, "email", max_length=254)
        phone = params.text(data, "phone", max_length=32)
        answer = params.boolean(data, "answer_requested")
        answer_requested = bool(email or phone) if answer is None else answer
        has_personal_data = bool(name or email or phone)
        address = params.text(data, "address_string", max_length=300) or params.text(
            data, "address_id", max_length=300
        )
        language = translation.get_language()
        tracking = request.build_absolute_uri(reverse("portal:track", args=["TOKEN"])).replace("TOKEN", "{token}")
        taken = contact_take(
            organization=organization, channel=client.channel, case_type=case_type, feedback_subtype=subtype,
            title=params.text(data, "title", max_length=200), description=description, categories=[category],
            language=language if language in SUPPORTED_LANGUAGES else "other",
            lat=params.text(data, "lat", max_length=40) or None, lon=params.text(data, "long", max_length=40) or None,
            address=address, customer_name=name, customer_email=email, customer_phone=phone,
            answer_requested=answer_requested,
            consent_text=client.consent_text if has_personal_data else "",
            consent_method="api" if has_personal_data and client.consent_text else "",
            tracking_url_template=tracking, attachments=files,
            form_answers=representations.media_url_record(record=form_answers, media_url=media_url),
            # A point outside every area of an organisation that has areas is a mistake (a GPS fix
            # at 0,0, another city): refused with 400, as on the residents' form.
            require_inside_areas=True,
        )
        if taken.deferred:
            # Processed asynchronously (ADR 0022): the spec's token instead of the id; tokens/{token} gives it.
            return representations.accepted(token=taken.tracking_token)
        assert taken.case is not None
        return representations.posted(reference=taken.case.reference, token=taken.tracking_token)

    def _attributes(self, data: Any, organization: Organization,
                    questions: list[TopicQuestion]) -> tuple[CaseType, str]:
        case_types = postable_case_types(organization)
        if not case_types:
            raise Open311Error(_("This jurisdiction takes no requests through the API."), status_code=404)
        known = {"attribute[case_type]", "attribute[feedback_subtype]",
                 *(f"attribute[{representations.question_code(q)}]" for q in questions)}
        unknown = sorted(k for k in (data or {}) if k.startswith("attribute[") and k not in known)
        if unknown:
            raise invalid_parameter(unknown[0][:60], _("no such attribute for this service."))
        wanted = params.text(data, "attribute[case_type]", max_length=63)
        case_type = next((t for t in case_types if t.code == wanted), None) if wanted else case_types[0]
        if case_type is None:
            raise invalid_parameter("attribute[case_type]", _("not one of the values of the service definition."))
        subtype = params.text(data, "attribute[feedback_subtype]", max_length=20)
        if subtype and case_type.kind != "feedback":
            raise invalid_parameter("attribute[feedback_subtype]", _("only for feedback."))
        return case_type, subtype

    def _answers(self, data: Any, questions: list[TopicQuestion]) -> dict[str, Any]:
        """The answers to the topics' questions, checked by the residents' form's own fields.

        Open311's values become what the form's fields take (true/false → yes/no, a date-time → its
        date); every refused answer is listed in one error. Stored as the form stores them
        (`form_answers_build`), with the topic when the answers name one.
        """
        if not questions:
            return {}
        values: dict[str, str] = {}
        for question in questions:
            code = representations.question_code(question)
            value = params.text(data, f"attribute[{code}]", max_length=1000)
            if question.kind == QuestionKind.YES_NO:
                value = representations.YES_NO_KEYS.get(value.lower(), value)
            elif question.kind == QuestionKind.DATE:
                value = _date_part(value)
            values[code] = value
        # Optional here, whatever the form requires: an app that does not show a topic's questions
        # must still be able to report (staff can ask); answers given are checked as on the form.
        form = TopicAnswersForm(values, questions=questions, enforce_required=False)
        if not form.is_valid():
            refusals = [f"attribute[{code}]: {message}" for code, messages in form.errors.items()
                        for message in messages]
            raise Open311Error(refusals[0], more=refusals[1:])
        answers = form.answers()
        return form_answers_build(topic=_topic_of(questions, answers), answers=answers)


MEDIA_URL_VALIDATOR = URLValidator(schemes=["http", "https"])


def _media_url(data: Any) -> str:
    """A posted `media_url`: an http(s) address without user name or password, at most 1000 characters.

    Only stored: no request ever leaves the server for it (a client's URL fetched by the server
    could reach internal addresses). Staff open it in their own browser.
    """
    media_url = params.text(data, "media_url", max_length=1000)
    if not media_url:
        return ""
    try:
        MEDIA_URL_VALIDATOR(media_url)
    except ValidationError:
        raise invalid_parameter("media_url", _("must be an http or https address.")) from None
    if "@" in urlsplit(media_url).netloc:
        raise invalid_parameter("media_url", _("must be an http or https address."))
    return media_url


def _date_part(value: str) -> str:
    """A W3C date-time's date in the server's time zone ("2026-11-22T23:30:00Z" → "2026-11-23"); else as given."""
    if "T" not in value:
        return value
    try:
        moment = parse_datetime(value.replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None:
        return value
    return (timezone.localtime(moment) if timezone.is_aware(moment) else moment).date().isoformat()


def _topic_of(questions: list[TopicQuestion], answers: list[tuple[TopicQuestion, Any]]) -> Topic | None:
    """The topic of the answers: the service's only topic, else the one topic whose questions were answered."""
    topics = {question.topic_id: question.topic for question in questions}
    if len(topics) > 1:
        topics = {q.topic_id: q.topic for q, value in answers if value not in (None, "")}
    return next(iter(topics.values())) if len(topics) == 1 else None


class RequestView(Open311View):
    @extend_schema(summary="GET request: one request by its id (unpublished ones: status and dates only)",
                   parameters=[schema.FORMAT, schema.JURISDICTION, schema.LOCALE, schema.EXTENSIONS],
                   responses={200: schema.ServiceRequestSerializer(many=True), 400: schema.ERRORS,
                              404: schema.ERRORS})
    def get(self, request: Request, service_request_id: str, response_format: str = "json") -> Response:
        organization = self.organization(request)
        extensions = bool(params.boolean(request.query_params, "extensions"))
        row = service_request(organization=organization, service_request_id=service_request_id)
        return Response([representations.service_request(row, extensions=extensions)])


class TokenView(Open311View):
    @extend_schema(summary="GET token: the service_request_id of a token from POST requests",
                   parameters=[schema.FORMAT, schema.JURISDICTION],
                   responses={200: schema.TokenSerializer(many=True), 400: schema.ERRORS, 404: schema.ERRORS})
    def get(self, request: Request, token: str, response_format: str = "json") -> Response:
        organization = self.organization(request)
        accepted = accepted_contact_for_token(organization=organization, token=token)
        if accepted is not None and accepted.case_id is None and accepted.state != AcceptedState.DONE:
            # Accepted, its case not made yet (ADR 0022): the token is known, the id is not.
            return Response([representations.token(reference=None, token=token)])
        case = service_request_for_token(organization=organization, token=token)
        return Response([representations.token(reference=case.reference, token=token)])


class NotFoundView(Open311View):
    """Anything else under /open311/v2/ (an unknown path or format): the spec's 404, in JSON."""

    @extend_schema(exclude=True)
    def get(self, request: Request, rest: str = "") -> Response:
        raise Open311Error(_("Not found."), status_code=404)

    post = get

