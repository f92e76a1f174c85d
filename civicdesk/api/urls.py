"""/open311/v2/…: GeoReport v2 with a `.json` or `.xml` suffix, and the OpenAPI description."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from civicdesk.api import views

app_name = "api"

FORMAT = r"\.(?P<response_format>json|xml)$"

urlpatterns = [
    path("", views.NotFoundView.as_view(), name="open311-root"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    re_path(r"^discovery" + FORMAT, views.DiscoveryView.as_view(), name="discovery"),
    re_path(r"^services" + FORMAT, views.ServicesView.as_view(), name="services"),
    re_path(r"^services/(?P<service_code>[^/]{1,50}?)" + FORMAT, views.ServiceDefinitionView.as_view(),
            name="service-definition"),
    re_path(r"^requests" + FORMAT, views.RequestsView.as_view(), name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]{1,40}?)" + FORMAT, views.RequestView.as_view(), name="request"),
    re_path(r"^tokens/(?P<token>[^/]{1,64}?)" + FORMAT, views.TokenView.as_view(), name="token"),
    re_path(r"^(?P<rest>.*)$", views.NotFoundView.as_view(), name="not-found"),
]
