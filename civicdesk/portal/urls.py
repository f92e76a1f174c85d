from django.urls import path

from civicdesk.portal import views

app_name = "portal"

urlpatterns = [
    path("contact/", views.contact_start, name="contact"),
    path("contact/<slug:organization_slug>/", views.contact, name="contact"),
    path("contact/received/<str:token>/", views.received, name="received"),
    path("track/<str:token>/", views.track, name="track"),
]
