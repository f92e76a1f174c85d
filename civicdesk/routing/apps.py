from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "civicdesk.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        from civicdesk.cases.models import Case
        from civicdesk.cases.signals import case_closing, case_status_saved
        from civicdesk.core.config_generation import watch
        from civicdesk.routing.models import RoutingRule, RoutingSettings, ServiceLevel, Workflow

        # What new cases read from a per-process cache (`core.config_generation`).
        watch(RoutingSettings, RoutingRule, ServiceLevel, Workflow)

        case_status_saved.connect(_follow_status, sender=Case, dispatch_uid="routing.workflows.follow")
        case_closing.connect(_refuse_closing, sender=Case, dispatch_uid="routing.workflows.closing")


def _follow_status(sender: object, *, case: object, **kwargs: object) -> None:
    from civicdesk.routing.workflows import follow_status

    follow_status(case=case)  # type: ignore[arg-type]


def _refuse_closing(sender: object, *, case: object, resolution: str, **kwargs: object) -> None:
    from civicdesk.routing.workflows import refuse_closing

    refuse_closing(case=case, resolution=resolution)  # type: ignore[arg-type]
