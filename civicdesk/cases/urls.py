from django.urls import path

from civicdesk.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("queues/<int:group_id>/", views.queue, name="queue"),
    path("queue-counts/", views.queue_counts, name="queue_counts"),
    path("all/", views.all_cases, name="all"),
    path("cases/<str:reference>/", views.case_page, name="detail"),
    path("cases/<str:reference>/actions/<slug:action>/", views.case_action, name="action"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("search/", views.search, name="search"),
]
