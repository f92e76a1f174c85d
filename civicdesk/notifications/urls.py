from django.urls import path

from civicdesk.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("settings/", views.notification_settings, name="settings"),
    path("read-all/", views.notifications_mark_all_read, name="read_all"),
    path("<int:notification_id>/open/", views.notification_open, name="open"),
    path("<int:notification_id>/read/", views.notification_mark_read, name="read"),
    path("follow/<int:case_id>/", views.case_follow, name="follow"),
]
