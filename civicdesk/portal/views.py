"""Residents' pages: the topics, the contact form with its map, the receipt and the private tracking
page (R1.1–R1.5, R10.8).

Thin: parse the form, call `intake.contact_take` or the case service, render. The form's map reads
two small JSON endpoints (contacts nearby, the address list); every page works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from civicdesk.cases.models import Channel, Status
from civicdesk.core.errors import ApplicationError, NotFoundError
from civicdesk.core.rate_limits import rate_limit
from civicdesk.core.request_context import client_address_rate_key
from civicdesk.intake import selectors as intake_selectors
from civicdesk.intake.accepted_contacts import accepted_contact_for_token, contact_take
from civicdesk.intake.models import CASE_KIND_OF, AcceptedState
from civicdesk.intake.services import customer_message_intake, form_answers_build
from civicdesk.knowledge import selectors as knowledge_selectors
from civicdesk.knowledge.models import NoticeKind
from civicdesk.organizations.models import LOGO_FORMATS, Organization
from civicdesk.portal import selectors
from civicdesk.portal.forms import ContactForm, CustomerMessageForm, SearchForm
from civicdesk.portal.public_filters import PublicCaseFilterForm, parse_bbox
from civicdesk.portal.selectors import Bbox


def _contact_rate(group: str, request: HttpRequest) -> str:
    return settings.PORTAL_CONTACT_RATE_LIMIT


def _message_rate(group: str, request: HttpRequest) -> str:
    return settings.PORTAL_MESSAGE_RATE_LIMIT


def _private(response: HttpResponse) -> HttpResponse:
    """Pages behind a tracking token: never cached, indexed or leaked in a Referer header to other sites."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer": under it browsers send `Origin: null` with the page's own reply form, and
    # Django's CSRF check refuses the POST. "same-origin" still keeps the token from other sites.
    response["Referrer-Policy"] = "same-origin"
    return response


STATUS_FOR_CUSTOMER = {
    Status.NEW: gettext_lazy("Received – waiting to be handled"),
    Status.OPEN: gettext_lazy("Being handled"),
    Status.WAITING: gettext_lazy("Waiting for your reply"),
    Status.CLOSED: gettext_lazy("Closed"),
}


def _default_organization(organizations: list[Organization]) -> Organization | None:
    configured = next((o for o in organizations if o.slug == settings.PORTAL_DEFAULT_ORGANIZATION), None)
    if configured is None and len(organizations) == 1:
        configured = organizations[0]
    return configured


@require_http_methods(["GET"])
def contact_start(request: HttpRequest) -> HttpResponse:
    """The topics of the only (or the configured) organisation, else a choice of organisations."""
    organizations = list(selectors.organizations_taking_contacts()[:50])
    configured = _default_organization(organizations)
    if configured is not None:
        return _topic_list_page(request, configured)
    return render(request, "portal/choose_organization.html", {"organizations": organizations})


@require_http_methods(["GET"])
def contact(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The organisation's topics in residents' words, searchable without JavaScript (`?q=`) (R1.1).

    `?topic=<identifier>` goes straight to that topic's form (links and embeds from other sites).
    """
    organization = selectors.organization_for_contact(slug=organization_slug)
    topic_slug = request.GET.get("topic", "")
    if topic_slug:
        topic = intake_selectors.topic_for_form(organization=organization, slug=topic_slug[:63])
        return redirect("portal:contact_topic", organization.slug, topic.slug)
    return _topic_list_page(request, organization)


def _topic_list_page(request: HttpRequest, organization: Organization) -> HttpResponse:
    search = SearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    topics = intake_selectors.topics_for_form(organization=organization)
    matching = {topic.pk for topic in intake_selectors.topics_matching(topics, query)}
    rows = [{"topic": topic, "search_text": intake_selectors.topic_search_text(topic), "shown": topic.pk in matching}
            for topic in topics]
    return render(request, "portal/contact_topics.html", {
        "organization": organization, "search": search, "query": query, "rows": rows,
        "shown_count": len(matching), "form_settings": intake_selectors.form_settings(organization=organization),
    })


@require_http_methods(["GET", "POST"])
@rate_limit(group="civicdesk.portal.contact", key=client_address_rate_key, rate=_contact_rate)
def contact_topic(request: HttpRequest, organization_slug: str, topic_slug: str) -> HttpResponse:
    """The form for one topic (R1.3), or where to go instead when the matter is handled elsewhere (R10.8)."""
    organization = selectors.organization_for_contact_cached(slug=organization_slug)
    configuration = intake_selectors.form_configuration(organization=organization, topic_slug=topic_slug)
    topic = configuration.topic
    if topic is not None and topic.is_redirect:
        return render(request, "portal/contact_redirect.html", {"organization": organization, "topic": topic})
    return _contact_form(request, organization, configuration)


@require_http_methods(["GET", "POST"])
@rate_limit(group="civicdesk.portal.contact", key=client_address_rate_key, rate=_contact_rate)
def contact_other(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The general form for a matter that fits no topic; customer service routes it (R4.4)."""
    organization = selectors.organization_for_contact_cached(slug=organization_slug)
    return _contact_form(request, organization, intake_selectors.form_configuration(
        organization=organization, topic_slug=None))


def _contact_form(request: HttpRequest, organization: Organization,
                  configuration: intake_selectors.FormConfiguration) -> HttpResponse:
    topic = configuration.topic
    if not configuration.case_types:
        raise NotFoundError()
    options: dict[str, Any] = {
        "organization": organization, "topic": topic, "case_types": configuration.case_types,
        "questions": configuration.questions, "form_settings": configuration.form_settings,
    }
    if request.method != "POST":
        return _contact_page(request, ContactForm(**options))
    form = ContactForm(request.POST, request.FILES, **options)
    if not form.is_valid():
        return _contact_page(request, form, status=400)
    data = form.cleaned_data
    point = data.get("point") or (None, None)
    tracking = request.build_absolute_uri(reverse("portal:track", args=["TOKEN"])).replace("TOKEN", "{token}")
    try:
        taken = contact_take(
            organization=organization, channel=Channel.WEB_FORM, case_type=form.case_type,
            feedback_subtype=CASE_KIND_OF[data["kind"]][1], description=data["description"],
            categories=[topic.category] if topic is not None and topic.category is not None else [],
            language=request.LANGUAGE_CODE, lat=point[0], lon=point[1], address=data.get("address", ""),
            customer_name=data["name"], customer_email=data["email"], customer_phone=data["phone"],
            answer_requested=data["answer_requested"], consent_text=form.consent_text, consent_method="web_form",
            tracking_url_template=tracking, attachments=data.get("files") or [],
            form_answers=form_answers_build(topic=topic, answers=form.answers()), require_inside_areas=True,
        )
    except ApplicationError as exc:
        form.add_error(_field_of(exc, form), str(exc.message))
        return _contact_page(request, form, status=exc.status_code)
    return redirect("portal:received", token=taken.tracking_token)


def _field_of(exc: ApplicationError, form: Any) -> str | None:
    renamed = {"customer_email": "email", "customer_phone": "phone", "customer_name": "name", "location": "address",
               "title": "description", "body": "message", "case_type": "kind", "feedback_subtype": "kind",
               "file": "files"}
    field = renamed.get(exc.field or "", exc.field)
    return field if field in form.fields else None


def _contact_page(request: HttpRequest, form: ContactForm, status: int = 200) -> HttpResponse:
    organization, topic = form.organization, form.topic
    if topic is not None:
        action = reverse("portal:contact_topic", args=[organization.slug, topic.slug])
    else:
        action = reverse("portal:contact_other", args=[organization.slug])
    nearby_url = ""
    if topic is not None and topic.category_id is not None and form.shows_map:
        nearby_url = reverse("portal:contact_nearby", args=[organization.slug]) + "?" + urlencode({"topic": topic.slug})
    # Notices about the topic (R1.6), on the page itself so they show without JavaScript and in
    # the embedded form; the form's script narrows them to the area once a place is marked.
    category_id = topic.category_id if topic is not None else None
    notices_query = {"org": organization.slug, **({"topic": str(category_id)} if category_id else {})}
    return render(request, "portal/contact.html", {
        "organization": organization, "topic": topic, "form": form, "action": action,
        "notices": knowledge_selectors.notices_for(organization, category=category_id),
        "notices_url": reverse("portal:notices") + "?" + urlencode(notices_query),
        "topics_url": reverse("portal:contact", args=[organization.slug]), "nearby_url": nearby_url,
        "addresses_url": reverse("portal:contact_addresses", args=[organization.slug]),
        "map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "map_centre": intake_selectors.map_centre(organization=organization),
    }, status=status)


NEARBY_STATUS_TEXT: dict[str, Any] = {
    Status.NEW: gettext_lazy("Received"),
    Status.OPEN: gettext_lazy("Being handled"),
    Status.WAITING: gettext_lazy("Being handled"),
    Status.CLOSED: gettext_lazy("Handled"),
}


# The nearby lookup's per-language texts, kept per process: a URL reversal and four lazy translations
# cost as much as the rest of the view's own work (docs/benchmarks.md, Open311).
_nearby_texts: dict[tuple[Any, ...], Any] = {}


def _nearby_text(key: tuple[Any, ...], make: Any) -> Any:
    found = _nearby_texts.get(key)
    if found is None:
        if len(_nearby_texts) > 2000:
            _nearby_texts.clear()
        found = _nearby_texts[key] = make()
    return found


def _public_case_url_template(organization: Organization) -> str:
    """The public page of a published contact with REFERENCE for its number, or "" if the portal has none."""
    def make() -> str:
        try:
            return reverse("portal:public_case", args=["REFERENCE"]) + "?" + urlencode({"org": organization.slug})
        except NoReverseMatch:
            return ""

    # The address depends on the language prefix, an embedding's script prefix and the URLconf.
    return _nearby_text(("url", translation.get_language(), get_script_prefix(), get_urlconf(), organization.slug),
                        make)


@require_http_methods(["GET"])
def contact_nearby(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """JSON for the form's map: the topic's published and still-open contacts near a point (R1.2).

    Unpublished ones only as status, date and a point rounded to about 110 m; no text, no number.
    Bad coordinates get the translated 400 of `ApplicationErrorMiddleware`.
    """
    organization = selectors.organization_for_contact_cached(slug=organization_slug)
    topic_slug = request.GET.get("topic", "")[:63]
    topic = intake_selectors.form_configuration(organization=organization, topic_slug=topic_slug).topic
    if topic is None:
        raise NotFoundError()
    lat, lon = intake_selectors.parse_point(request.GET.get("lat"), request.GET.get("lon"))
    contacts = []
    language = translation.get_language()
    statuses = _nearby_text(("statuses", language),
                            lambda: {status: str(text) for status, text in NEARBY_STATUS_TEXT.items()})
    url_template = _public_case_url_template(organization)
    zone = timezone.get_current_timezone()
    dates: dict[dt.date, str] = {}  # formatting a date is most of the view's own work: once per day
    for row in intake_selectors.contacts_nearby(organization=organization, topic=topic, lat=lat, lon=lon):
        day = row.created_at.astimezone(zone).date()
        if day not in dates:
            dates[day] = _nearby_text(("date", language, day),
                                      lambda day=day: formats.date_format(day, "SHORT_DATE_FORMAT"))
        item: dict[str, Any] = {"published": row.published, "lat": row.lat, "lon": row.lon,
                                "status": statuses.get(row.status, ""), "date": dates[day]}
        if row.published:
            item.update({"title": row.title, "url": url_template.replace("REFERENCE", row.reference)})
        contacts.append(item)
    response = JsonResponse({
        "topic": str(topic.name), "category": str(topic.category) if topic.category else "",
        "radius_m": intake_selectors.NEARBY_RADIUS_M, "contacts": contacts,
    })
    patch_cache_control(response, public=True, max_age=60)
    return response


@require_http_methods(["GET"])
def contact_addresses(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """JSON for the address search: addresses of the organisation's own list starting with `q`."""
    organization = selectors.organization_for_contact(slug=organization_slug)
    found = intake_selectors.addresses_matching(organization=organization, query=request.GET.get("q", ""))
    response = JsonResponse({"addresses": [{"label": a.label, "lat": a.lat, "lon": a.lon} for a in found]})
    patch_cache_control(response, public=True, max_age=300)
    return response


def _case_or_accepted(token: str) -> tuple[Any, Any]:
    """The case behind a tracking token, else the accepted contact whose case is being made (ADR 0022),
    as (case, None) or (None, accepted contact); NotFoundError for anything else."""
    try:
        return selectors.case_for_tracking(token=token), None
    except NotFoundError:
        accepted = accepted_contact_for_token(token=token) if selectors.TOKEN_RE.fullmatch(token or "") else None
        if accepted is None or accepted.state == AcceptedState.DONE:
            raise
        return None, accepted


@require_http_methods(["GET"])
def received(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt: the tracking link at once, the case number once the case is made."""
    case, accepted = _case_or_accepted(token)
    return _private(render(request, "portal/received.html", {
        "case": case, "accepted": accepted,
        "tracking_url": request.build_absolute_uri(reverse("portal:track", args=[token if case is None
                                                                                 else case.tracking_token])),
    }))


@require_http_methods(["GET", "POST"])
@rate_limit(group="civicdesk.portal.message", key=client_address_rate_key, rate=_message_rate)
@rate_limit(group="civicdesk.portal.message.case", key=lambda group, request: request.path, rate=_message_rate)
def track(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's view of their case: status in plain words, the answers, a reply form."""
    case, accepted = _case_or_accepted(token)
    if case is None:
        # Received, its case being made (ADR 0022): no case to show or answer yet.
        return _private(render(request, "portal/track_pending.html", {"accepted": accepted}))
    form = CustomerMessageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                customer_message_intake(
                    case=case, body=form.cleaned_data["message"], attachments=form.cleaned_data["files"],
                    sender_label=case.customer_name, channel=Channel.WEB_FORM,
                )
            except ApplicationError as exc:
                form.add_error(_field_of(exc, form) or "message", str(exc.message))
                status = exc.status_code
            else:
                messages.success(request, _("Thank you. Your message was added to the case."))
                return redirect("portal:track", token=case.tracking_token)
        else:
            status = 400
    case.refresh_from_db()
    return _private(render(request, "portal/track.html", _tracking_context(case, form), status=status))


def _tracking_context(case: Any, form: CustomerMessageForm) -> dict[str, Any]:
    answers = case.form_answers if isinstance(case.form_answers, dict) else {}
    return {
        "case": case,
        "status_text": STATUS_FOR_CUSTOMER.get(case.status, ""),
        "entries": selectors.case_customer_timeline(case=case),
        "form": form,
        "asked_for_reply": case.status == Status.WAITING,
        "topic_name": intake_selectors.topic_name_for_case(case=case),
        "answers": [a for a in answers.get("answers", []) if isinstance(a, dict)],
        "customer_files": intake_selectors.customer_files_of(case=case),
    }


# --- Public contacts: list, map data and each case's page (R1.7, R1.6, R9.4) ----------------------


def _public_organization(request: HttpRequest) -> Organization | None:
    """`?org=<slug>`, else the configured or the only organisation; None when the reader must choose."""
    slug = request.GET.get("org", "")
    if slug:
        return selectors.organization_for_contact(slug=slug)
    organizations = list(selectors.organizations_taking_contacts()[:50])
    configured = next((o for o in organizations if o.slug == settings.PORTAL_DEFAULT_ORGANIZATION), None)
    if configured is None and len(organizations) == 1:
        configured = organizations[0]
    return configured


def _org_query(request: HttpRequest, organization: Organization) -> str:
    """`org=<slug>` when the reader chose the organisation, so links keep to it; else empty."""
    return urlencode({"org": organization.slug}) if request.GET.get("org") else ""


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 100_000))
    except ValueError:
        return 1


@require_http_methods(["GET"])
def public_contacts(request: HttpRequest) -> HttpResponse:
    """The published contacts as a filterable, paginated list, with a map above it (the map needs JavaScript)."""
    organization = _public_organization(request)
    if organization is None:
        return render(request, "portal/public/choose_organization.html", {
            "organizations": list(selectors.organizations_taking_contacts()[:50]), "target": "portal:public_contacts",
        })
    form = PublicCaseFilterForm(request.GET, organization=organization)
    page = selectors.public_case_page(organization=organization, filters=form.filters(),
                                      page=_page_number(request))
    org_query = _org_query(request, organization)
    filter_query = "&".join(part for part in (org_query, form.query_string()) if part)
    return render(request, "portal/public/contacts.html", {
        "organization": organization, "form": form, "page": page, "org_query": org_query,
        "filter_query": filter_query,
        "map_data_url": reverse("portal:public_map_data") + (f"?{filter_query}" if filter_query else ""),
        "map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    })


@require_http_methods(["GET"])
def public_case(request: HttpRequest, reference: str) -> HttpResponse:
    """One published case: anonymised text, public answer, date, topic, status; 404 for anything else."""
    organization = _public_organization(request)
    if organization is None:
        raise NotFoundError()
    case = selectors.public_case_get(organization=organization, reference=reference)
    return render(request, "portal/public/case.html", {
        "organization": organization, "case": case, "org_query": _org_query(request, organization),
        "map_tile_url": settings.MAP_TILE_URL, "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    })


@require_http_methods(["GET"])
def public_map_data(request: HttpRequest) -> HttpResponse:
    """GeoJSON of the newest published cases in `bbox` (at most PUBLIC_MAP_LIMIT), for the public map.

    Cached for PORTAL_MAP_CACHE_SECONDS (a minute), in the shared cache and by browsers and proxies:
    the same view of the map asked by many residents costs one query. The bbox is widened to whole hundredths of a
    degree so that nearby views share an entry.
    """
    organization = _public_organization(request)
    if organization is None:
        raise NotFoundError()
    try:
        bbox = parse_bbox(request.GET.get("bbox"))
    except ApplicationError as exc:
        return JsonResponse({"error": {"code": "invalid", "message": str(exc.message), "field": exc.field}},
                            status=exc.status_code)
    if bbox is not None:
        bbox = Bbox(min_lon=math.floor(bbox.min_lon * 100) / 100, min_lat=math.floor(bbox.min_lat * 100) / 100,
                    max_lon=math.ceil(bbox.max_lon * 100) / 100, max_lat=math.ceil(bbox.max_lat * 100) / 100)
    form = PublicCaseFilterForm(request.GET, organization=organization)
    key_parts = (organization.pk, translation.get_language(), form.query_string(),
                 f"{bbox.min_lon},{bbox.min_lat},{bbox.max_lon},{bbox.max_lat}" if bbox else "")
    cache_key = "portal:public-map:" + hashlib.sha256(repr(key_parts).encode()).hexdigest()
    seconds = settings.PORTAL_MAP_CACHE_SECONDS
    body = cache.get(cache_key) if seconds else None
    if body is None:
        points, truncated = selectors.public_map_points(organization=organization, filters=form.filters(), bbox=bbox)
        case_url = reverse("portal:public_case", args=["REF"])
        org_query = _org_query(request, organization)
        # Formatted once per day and status, not once per point (1,000 points cost 60 ms otherwise).
        dates: dict[Any, str] = {}
        statuses = {status.value: str(status.label) for status in selectors.PublicStatus}

        def date_text(moment: Any) -> str:
            day = timezone.localtime(moment).date()
            if day not in dates:
                dates[day] = formats.date_format(day, "SHORT_DATE_FORMAT")
            return dates[day]

        body = json.dumps({
            "type": "FeatureCollection",
            "truncated": truncated,
            "limit": selectors.PUBLIC_MAP_LIMIT,
            "features": [
                {
                    "type": "Feature",
                    "id": point.reference,
                    "geometry": {"type": "Point", "coordinates": [point.lon, point.lat]},
                    "properties": {
                        "title": point.title,
                        "date": date_text(point.created_at),
                        "status": point.status,
                        "status_text": statuses[point.status],
                        "category": point.category,
                        "category_name": point.category_name,
                        "url": case_url.replace("REF", point.reference) + (f"?{org_query}" if org_query else ""),
                    },
                }
                for point in points
            ],
        }, ensure_ascii=False, cls=DjangoJSONEncoder)
        if seconds:
            cache.set(cache_key, body, seconds)
    response = HttpResponse(body, content_type="application/geo+json")
    patch_cache_control(response, public=True, max_age=seconds)
    return response


# --- News and notices (R1.6) -----------------------------------------------------------------------


@require_http_methods(["GET"])
def news(request: HttpRequest) -> HttpResponse:
    """Current topics and disruption notices of the organisation, and those planned for the next weeks."""
    organization = _public_organization(request)
    if organization is None:
        return render(request, "portal/public/choose_organization.html", {
            "organizations": list(selectors.organizations_taking_contacts()[:50]), "target": "portal:news",
        })
    current = knowledge_selectors.notices_current(organization=organization)
    return render(request, "portal/public/news.html", {
        "organization": organization,
        "disruptions": [n for n in current if n.kind == NoticeKind.DISRUPTION],
        "topics": [n for n in current if n.kind == NoticeKind.TOPIC],
        "upcoming": knowledge_selectors.notices_upcoming(organization=organization),
        "org_query": _org_query(request, organization),
    })


@require_http_methods(["GET"])
def notices_fragment(request: HttpRequest) -> HttpResponse:
    """The notices for a topic and place as an HTML fragment (`knowledge/_notices.html`), for the form's script.

    Parameters: `org`, `topic` (a category id or code), and `lat`/`lon` or `area` (an area code).
    Unknown values narrow nothing, so the fragment never fails.
    """
    organization = _public_organization(request)
    if organization is None:
        raise NotFoundError()
    category = selectors.category_for_topic(organization=organization, topic=request.GET.get("topic", ""))
    area = selectors.area_for_public_place(organization=organization, area_code=request.GET.get("area", ""),
                                           lat=request.GET.get("lat", ""), lon=request.GET.get("lon", ""))
    notices = knowledge_selectors.notices_for(organization, category=category, area=area)
    response = render(request, "knowledge/_notices.html", {"notices": notices})
    patch_cache_control(response, public=True, max_age=60)
    return response


# --- The organisation's theme (R1.8) ---------------------------------------------------------------

THEME_CACHE_SECONDS = 24 * 60 * 60


@require_http_methods(["GET"])
def theme_css(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The theme's design tokens as CSS custom properties (the address carries the version, so it is cached a day)."""
    theme = selectors.theme_for(slug=organization_slug)
    response = render(request, "portal/public/theme.css", {"t": theme.css_tokens()},
                      content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=THEME_CACHE_SECONDS)
    return response


@require_http_methods(["GET"])
def theme_logo(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """The theme's logo, validated as a PNG, JPEG or WebP image when it was uploaded."""
    theme = selectors.theme_for(slug=organization_slug)
    if not theme.logo:
        raise NotFoundError()
    from PIL import Image

    with theme.logo.open("rb") as file:
        data = file.read()
    with Image.open(io.BytesIO(data)) as image:
        content_type = LOGO_FORMATS.get(image.format or "", "")
    if not content_type:
        raise NotFoundError()
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=THEME_CACHE_SECONDS)
    return response
