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
    path("queues/<int:group_id>/bulk/", views.queue_bulk_action, name="queue_bulk"),
    path("all/bulk/", views.all_cases_bulk_action, name="all_bulk"),
    path("views/new/", views.saved_view_create, name="saved_view_create"),
    path("views/<int:view_id>/", views.saved_view_open, name="saved_view_open"),
    path("views/<int:view_id>/rename/", views.saved_view_rename, name="saved_view_rename"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="saved_view_delete"),
]
