from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo city "Merilahti": a management command and its builder; no models."""

    name = "civicdesk.demo"
    label = "demo"
    verbose_name = _("Demo city")
