"""Run the built-in SMTP receiver for intake mail until interrupted (`make run` starts it)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from civicdesk.intake.models import Mailbox
from civicdesk.intake.sources.email.smtp import smtp_receiver


class Command(BaseCommand):
    help = "Receive intake mail over SMTP (aiosmtpd) on EMAIL_SMTP_RECEIVER_HOST:EMAIL_SMTP_RECEIVER_PORT."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.EMAIL_SMTP_RECEIVER_HOST)
        parser.add_argument("--port", type=int, default=settings.EMAIL_SMTP_RECEIVER_PORT)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        controller = smtp_receiver(host=host, port=port)
        controller.start()
        addresses = list(Mailbox.objects.filter(is_active=True).order_by("address").values_list("address", flat=True))
        self.stdout.write(f"SMTP receiver listening on {host}:{port} for {', '.join(addresses) or 'no mailbox yet'}")
        try:
            wait_until_stopped()
        finally:
            controller.stop()


def wait_until_stopped() -> None:
    """Block until SIGINT or SIGTERM (Ctrl-C, or `make run` stopping its processes)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
