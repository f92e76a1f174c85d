from django.urls import path

from civicdesk.routing import views

app_name = "routing"

urlpatterns = [
    path("procedures/", views.procedures_page, name="procedures"),
    path("workflows/", views.workflows_page, name="workflows"),
    path("cases/<str:reference>/workflow/", views.case_transition_view, name="case_transition"),
    path("cases/<str:reference>/why/", views.case_routing_why, name="case_why"),
    path("duplicates/<int:suggestion_id>/dismiss/", views.duplicate_dismiss_view, name="duplicate_dismiss"),
]
