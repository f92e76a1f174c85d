from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicdesk.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from civicdesk.cases import forms_pickers  # noqa: F401  (connects the pickers' cache invalidation)
        from civicdesk.cases.models import CaseType
        from civicdesk.core.config_generation import watch

        # Which groups may see special-category cases is kept per process (cases.permissions).
        watch(CaseType)
