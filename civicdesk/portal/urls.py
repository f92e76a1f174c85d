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
urlpatterns += [
    path("contacts/", views.public_contacts, name="public_contacts"),
    path("contacts/map.json", views.public_map_data, name="public_map_data"),
    path("contacts/<str:reference>/", views.public_case, name="public_case"),
]
urlpatterns += [
    path("news/", views.news, name="news"),
    path("news/notices/", views.notices_fragment, name="notices"),
]
urlpatterns += [
    path("theme/<slug:organization_slug>.css", views.theme_css, name="theme_css"),
    path("theme/<slug:organization_slug>/logo", views.theme_logo, name="theme_logo"),
]
