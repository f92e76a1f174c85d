"""The product's URLs plus `/hello`: Django's floor, measured by the same server in the same run."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello")


# Concatenated, not include()d: config.urls uses i18n_patterns, which Django allows only in the root URLconf.
urlpatterns = [path("hello", hello, name="bench-hello"), *product_urlpatterns]
