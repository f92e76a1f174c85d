from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "civicdesk.organizations"
    label = "organizations"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from civicdesk.core.config_generation import watch
        from civicdesk.organizations.models import (
            Area,
            CalendarException,
            OpeningHours,
            Organization,
            ServiceGroup,
            WorkingCalendar,
        )

        # Routing rules that look at office hours keep their calendars (`core.config_generation`); staff
        # pages keep organisations, groups and areas (organizations.selectors), the contact check areas.
        watch(Organization, ServiceGroup, Area, WorkingCalendar, OpeningHours, CalendarException)
