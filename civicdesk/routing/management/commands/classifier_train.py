"""Train new classifier versions for an organisation now (the same code as the weekly task)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.organizations.models import Organization
from civicdesk.routing.models import Target
from civicdesk.routing.services import classifier_train


class Command(BaseCommand):
    help = "Train the classifier of an organisation (every target, or --target); a version is activated only if " \
           "it evaluates no worse than the active one on recent cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organisation's identifier (slug)")
        parser.add_argument("--target", choices=Target.values)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organisation {options['organization']!r}.")
        for target in [options["target"]] if options["target"] else Target.values:
            result = classifier_train(organization=organization, target=target)
            metrics = result.model.metrics if result.model else {}
            figures = ", ".join(f"{k} {metrics[k]}" for k in ("accuracy", "macro_f1", "top3_accuracy", "ece")
                                if k in metrics)
            self.stdout.write(f"{target}: {result.message} {figures}".rstrip())
