from django.urls import path

from civicdesk.intake import views

app_name = "intake"

urlpatterns = [
    path("<int:inbound_id>/accept/", views.held_email_accept, name="held_email_accept"),
]
