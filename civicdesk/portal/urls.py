from django.urls import path

from civicdesk.portal import views

app_name = "portal"

urlpatterns = [
    path("contact/", views.contact_start, name="contact"),
    path("contact/received/<str:token>/", views.received, name="received"),
    path("contact/<slug:organization_slug>/", views.contact, name="contact"),
    path("contact/<slug:organization_slug>/other/", views.contact_other, name="contact_other"),
    path("contact/<slug:organization_slug>/topics/<slug:topic_slug>/", views.contact_topic, name="contact_topic"),
    path("contact/<slug:organization_slug>/nearby.json", views.contact_nearby, name="contact_nearby"),
    path("contact/<slug:organization_slug>/addresses.json", views.contact_addresses, name="contact_addresses"),
    path("track/<str:token>/", views.track, name="track"),
]
