"""Residents arrive in their browser's language (R1.9).

With `i18n_patterns(prefix_default_language=False)` an address without a language prefix is always
Finnish, so Django's LocaleMiddleware never reads `Accept-Language` there. For the residents' pages
this middleware does: a GET of a page without a prefix, from a browser that has not chosen a
language on the site (no language cookie) and prefers Swedish or English, is redirected to the
same page in that language. Choosing a language with the switcher sets the cookie, and then the
address decides. Staff pages, the JSON endpoints and embedded pages (whose address picks the
language) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

from civicdesk.portal.embedding import is_embedded

# The residents' HTML pages; the JSON endpoints, the theme and the notices fragment are not pages.
REDIRECTED_VIEWS = frozenset({
    "portal:contact", "portal:contact_topic", "portal:contact_other", "portal:public_contacts",
    "portal:public_case", "portal:news", "portal:received", "portal:track",
})


def browser_language_redirect(request: HttpRequest) -> str | None:
    """Where to send this request so that it reads in the browser's language, or None to serve it as it is."""
    match = request.resolver_match
    if request.method != "GET" or match is None or match.view_name not in REDIRECTED_VIEWS:
        return None
    if is_embedded(request) or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return None
    if translation.get_language_from_path(request.path_info):
        return None
    preferred = translation.get_language_from_request(request, check_path=False)
    if preferred == settings.LANGUAGE_CODE:
        return None
    target = translate_url(request.get_full_path(), preferred)
    return target if target != request.get_full_path() else None


class PortalBrowserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        target = browser_language_redirect(request)
        if target is None:
            return None
        response = HttpResponseRedirect(target)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
