from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "civicdesk.organizations"
    label = "organizations"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from civicdesk.core.config_generation import watch
        from civicdesk.organizations.models import (
            CalendarException,
            OpeningHours,
            Organization,
            ServiceGroup,
            WorkingCalendar,
        )

        # Routing rules that look at office hours keep their calendars (`core.config_generation`).
        watch(Organization, ServiceGroup, WorkingCalendar, OpeningHours, CalendarException)
