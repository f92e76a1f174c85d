from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from civicdesk.core import views as core_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.health, name="health"),
]
urlpatterns += i18n_patterns(
    path("", core_views.landing, name="landing"),
    path("admin/", admin.site.urls),
    path("accounts/", include("civicdesk.accounts.urls")),
    path("staff/", include("civicdesk.cases.urls")),
    prefix_default_language=False,
)

admin.site.site_header = "CivicDesk"
admin.site.site_title = "CivicDesk"
