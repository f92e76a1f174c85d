"""The contact form embedded on other sites (R1.4): `/embed/<organisation>/…` variants of the portal's pages.

A city site shows the form in an iframe whose address starts with `/embed/<organisation slug>/`,
followed by the ordinary address of a portal page (`/embed/demo-city/en/contact/demo-city/`).
`PortalEmbedMiddleware`, first in the middleware list, strips that prefix and serves the page
as usual, with three differences:

- The prefix becomes the request's script prefix, so every address the page builds (the form's
  action, the redirect to the receipt, the tracking link) stays inside the embedding.
- Only residents' pages (`EMBEDDABLE_VIEWS`) answer; anything else under `/embed/` is 404.
- The response drops `X-Frame-Options` and sends `Content-Security-Policy: frame-ancestors 'self'
  <origins>`, with the organisation's `embed_origins` (else `PORTAL_EMBED_ORIGINS`). Every other
  page keeps `X-Frame-Options: DENY`.

Inside a frame on another site the browser does not send the site's SameSite=Lax cookies, so
Django's CSRF check would refuse every POST. An embedded POST whose `Origin` is this site itself
(the form was sent from our page in the frame, never from the host page) is let through without
the cookie; a POST with any other Origin, or none, is checked as usual. See ADR 0014.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import get_script_prefix, set_script_prefix

from civicdesk.organizations.models import Organization, parse_embed_origins

EMBED_PATH_RE = re.compile(r"^/embed/(?P<slug>[a-z0-9][a-z0-9-]{1,62})(?P<rest>/.*)$")
# The residents' pages that may be shown inside another site; staff pages and the admin never.
EMBEDDABLE_VIEWS = frozenset({
    "portal:contact", "portal:received", "portal:track", "portal:public_contacts", "portal:public_case",
    "portal:public_map_data", "portal:news", "portal:notices", "portal:theme_css", "portal:theme_logo",
})
# The contact form's own helper views (address search, nearby contacts, a topic's page) are named
# contact…, so that the form works inside the frame however many the form grows.
EMBEDDABLE_PREFIXES = ("portal:contact",)


@dataclass(frozen=True)
class Embedding:
    """The current request is an embedded page of `organization`; `origins` may frame it."""

    organization: Organization
    origins: tuple[str, ...]
    prefix: str

    @property
    def frame_ancestors(self) -> str:
        return " ".join(("'self'", *self.origins))


def allowed_origins(organization: Organization) -> tuple[str, ...]:
    """The sites that may embed the organisation's pages: its own list, else the deployment's default."""
    own = parse_embed_origins(organization.embed_origins)
    return tuple(own or parse_embed_origins(",".join(settings.PORTAL_EMBED_ORIGINS)))


def embedding_of(request: HttpRequest) -> Embedding | None:
    return getattr(request, "portal_embed", None)


def is_embedded(request: HttpRequest) -> bool:
    """For views: the page is inside another site's frame (e.g. to record the `embedded_form` channel)."""
    return embedding_of(request) is not None


def embed_url(*, organization: Organization, path: str, params: dict[str, str] | None = None) -> str:
    """The embedded address of a portal page's ordinary `path` (as `reverse` gives it, language prefix included)."""
    query = f"?{urlencode(params)}" if params else ""
    return f"/embed/{organization.slug}{path}{query}"


def _same_origin(request: HttpRequest) -> bool:
    origin = request.META.get("HTTP_ORIGIN", "")
    return bool(origin) and origin == f"{request.scheme}://{request.get_host()}"


def _with_frame_ancestors(response: HttpResponse, frame_ancestors: str) -> None:
    """Add frame-ancestors to the response's CSP, replacing any frame-ancestors already there."""
    directive = f"frame-ancestors {frame_ancestors}"
    existing = response.headers.get("Content-Security-Policy", "")
    kept = [part.strip() for part in existing.split(";") if part.strip()
            and not part.strip().lower().startswith("frame-ancestors")]
    response.headers["Content-Security-Policy"] = "; ".join([*kept, directive])


class PortalEmbedMiddleware:
    """Serves `/embed/<organisation>/<page>` as `<page>`, framable by the organisation's allowed origins."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Django caches STATIC_URL with the script prefix of its first reading: read it now, before
        # an embedded request could change the prefix and make every static address /embed/….
        str(settings.STATIC_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = EMBED_PATH_RE.match(request.path_info)
        if match is None:
            return self.get_response(request)
        organization = Organization.objects.filter(slug=match["slug"], is_active=True).first()
        if organization is None:
            return HttpResponseNotFound()
        outer_prefix = get_script_prefix()
        prefix = f"{outer_prefix}embed/{organization.slug}/"
        request.path_info = match["rest"]
        request.path = prefix[:-1] + match["rest"]
        embedding = Embedding(organization=organization, origins=allowed_origins(organization), prefix=prefix)
        request.portal_embed = embedding  # type: ignore[attr-defined]
        if request.method == "POST" and _same_origin(request):
            # Sent by our own page inside the frame: the browser withholds our cookies there (see above).
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        set_script_prefix(prefix)
        try:
            response = self.get_response(request)
        finally:
            set_script_prefix(outer_prefix)
        if "X-Frame-Options" in response.headers:
            del response.headers["X-Frame-Options"]
        _with_frame_ancestors(response, embedding.frame_ancestors)
        return response

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        if embedding_of(request) is None:
            return None
        match = request.resolver_match
        name = match.view_name if match is not None else ""
        if not (name in EMBEDDABLE_VIEWS or name.startswith(EMBEDDABLE_PREFIXES)):
            return HttpResponseNotFound()
        # One organisation's allowed sites do not frame another organisation's form.
        slug = view_kwargs.get("organization_slug")
        if slug is not None and slug != embedding_of(request).organization.slug:  # type: ignore[union-attr]
            return HttpResponseNotFound()
        return None


def portal_embed(request: HttpRequest) -> dict[str, Any]:
    """Template context: `portal_embed` (the Embedding, or None); base.html hides its header inside a frame."""
    return {"portal_embed": embedding_of(request)}
