from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "civicdesk.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from civicdesk.core.config_generation import watch
        from civicdesk.intake.models import MailTemplate

        # Mail templates are kept per process until changed (`core.config_generation`); so are the
        # areas the contact check reads (`accepted_contacts`), watched by organizations.apps.
        watch(MailTemplate)
