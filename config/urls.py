from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from civicdesk.accounts.views import login_rate_limited
from civicdesk.core import views as core_views

# The admin's own login gets the same rate limits as the staff login (set before its URLs are built).
admin.site.login = login_rate_limited(admin.site.login)  # type: ignore[method-assign,assignment]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.health, name="health"),
    # Outside i18n_patterns: the language comes from `locale` or Accept-Language (docs/open311.md).
    path("open311/v2/", include("civicdesk.api.urls")),
]
urlpatterns += i18n_patterns(
    path("", core_views.landing, name="landing"),
    path("admin/", admin.site.urls),
    path("accounts/", include("civicdesk.accounts.urls")),
    path("staff/notifications/", include("civicdesk.notifications.urls")),
    path("staff/mail/", include("civicdesk.intake.urls")),
    path("staff/routing/", include("civicdesk.routing.urls")),
    path("staff/", include("civicdesk.cases.urls")),
    path("", include("civicdesk.portal.urls")),
    prefix_default_language=False,
)

admin.site.site_header = "CivicDesk"
admin.site.site_title = "CivicDesk"
