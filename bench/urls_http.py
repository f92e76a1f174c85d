"""The product's URLs (config.urls, untouched) plus `/hello`: Django's floor for the HTTP benchmark.

`hello` goes through the same middleware as every page (sessions, locale, CSRF, authentication,
messages, ...) but touches neither the session nor the database: one `HttpResponse("hello")`.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


# Concatenated, not include()d: config.urls uses i18n_patterns, which Django allows only in the root URLconf.
urlpatterns = [path("hello", hello, name="bench-hello"), *product_urlpatterns]
