"""Residents' pages: the contact form, its receipt and the private tracking page (R1.1, R1.5).

Thin: parse the form, call `intake.case_intake` or the case service, render. The full portal
(topics in residents' words, map, public list, embedding) is the portal issue; this is the path
every resident's contact takes today.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from civicdesk.cases import services as case_services
from civicdesk.cases.models import Channel, Status
from civicdesk.core.errors import ApplicationError
from civicdesk.core.request_context import client_ip_from_meta
from civicdesk.intake.services import case_intake
from civicdesk.organizations.models import Organization
from civicdesk.portal import selectors
from civicdesk.portal.forms import ContactForm, CustomerMessageForm


def _client_address(group: str, request: HttpRequest) -> str:
    return client_ip_from_meta(request.META, settings.TRUSTED_PROXY_COUNT) or ""


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


@require_http_methods(["GET"])
def contact_start(request: HttpRequest) -> HttpResponse:
    """The contact form of the only (or the configured) organisation, else a choice of organisations."""
    organizations = list(selectors.organizations_taking_contacts()[:50])
    configured = next((o for o in organizations if o.slug == settings.PORTAL_DEFAULT_ORGANIZATION), None)
    if configured is None and len(organizations) == 1:
        configured = organizations[0]
    if configured is not None:
        return _contact_page(request, configured, ContactForm(organization=configured))
    return render(request, "portal/choose_organization.html", {"organizations": organizations})


@require_http_methods(["GET", "POST"])
@ratelimit(key=_client_address, rate=_contact_rate, method="POST", block=True, group="civicdesk.portal.contact")
def contact(request: HttpRequest, organization_slug: str) -> HttpResponse:
    organization = selectors.organization_for_contact(slug=organization_slug)
    if request.method != "POST":
        return _contact_page(request, organization, ContactForm(organization=organization))
    form = ContactForm(request.POST, organization=organization)
    if not form.is_valid():
        return _contact_page(request, organization, form, status=400)
    data = form.cleaned_data
    tracking = request.build_absolute_uri(reverse("portal:track", args=["TOKEN"])).replace("TOKEN", "{token}")
    try:
        case = case_intake(
            organization=organization, channel=Channel.WEB_FORM, case_type=data["case_type"],
            description=data["description"], categories=[data["category"]], language=request.LANGUAGE_CODE,
            address=data["address"], customer_name=data["name"], customer_email=data["email"],
            customer_phone=data["phone"], answer_requested=data["answer_requested"],
            consent_text=form.consent_text, consent_method="web_form", tracking_url_template=tracking,
        )
    except ApplicationError as exc:
        form.add_error(_field_of(exc, form), str(exc.message))
        return _contact_page(request, organization, form, status=exc.status_code)
    return redirect("portal:received", token=case.tracking_token)


def _field_of(exc: ApplicationError, form: ContactForm) -> str | None:
    renamed = {"customer_email": "email", "customer_phone": "phone", "customer_name": "name"}
    field = renamed.get(exc.field or "", exc.field)
    return field if field in form.fields else None


def _contact_page(request: HttpRequest, organization: Organization, form: ContactForm, status: int = 200
                  ) -> HttpResponse:
    action = reverse("portal:contact", args=[organization.slug])
    return render(request, "portal/contact.html", {"organization": organization, "form": form, "action": action},
                  status=status)


@require_http_methods(["GET"])
def received(request: HttpRequest, token: str) -> HttpResponse:
    case = selectors.case_for_tracking(token=token)
    return _private(render(request, "portal/received.html", {
        "case": case, "tracking_url": request.build_absolute_uri(reverse("portal:track", args=[case.tracking_token])),
    }))


@require_http_methods(["GET", "POST"])
@ratelimit(key=_client_address, rate=_message_rate, method="POST", block=True, group="civicdesk.portal.message")
@ratelimit(key=lambda group, request: request.path, rate=_message_rate, method="POST", block=True,
           group="civicdesk.portal.message.case")
def track(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's view of their case: status in plain words, the answers, a reply form."""
    case = selectors.case_for_tracking(token=token)
    form = CustomerMessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case_services.case_record_customer_message(
                    case=case, body=form.cleaned_data["message"], sender_label=case.customer_name,
                    channel=Channel.WEB_FORM,
                )
            except ApplicationError as exc:
                form.add_error("message", str(exc.message))
                status = exc.status_code
            else:
                messages.success(request, _("Thank you. Your message was added to the case."))
                return redirect("portal:track", token=case.tracking_token)
        else:
            status = 400
    case.refresh_from_db()
    return _private(render(request, "portal/track.html", _tracking_context(case, form), status=status))


def _tracking_context(case: Any, form: CustomerMessageForm) -> dict[str, Any]:
    return {
        "case": case,
        "status_text": STATUS_FOR_CUSTOMER.get(case.status, ""),
        "entries": selectors.case_customer_timeline(case=case),
        "form": form,
        "asked_for_reply": case.status == Status.WAITING,
    }
