"""Measure the email channel on this machine: parsing, inbound handling into cases, outbound sending.

    .venv/bin/python bench/email_intake.py [--messages 600]

In a throwaway in-memory SQLite database (config.settings.test), everything in this one process,
one step after the other, each timed on this process's CPU clock:

1. parse: `email_parse` alone on typical ~20 kB messages (text and HTML alternatives, a quoted
   history, a small image);
2. inbound, as production splits it. Background tasks are not run eagerly: `delay()` puts them in a
   list (standing in for the broker), and each step then runs the tasks the step before queued,
   as a Celery worker would:
   a. receive: `inbound_email_receive`, what the SMTP receiver (or the IMAP poller) does per
      message: store it, queue its handling;
   b. process: the worker's `inbound_email_process_task` per message: parse, thread, a new case
      through `case_intake` or the customer's message on the existing case, the files; for a new
      case also, right after its commit, classification and routing and the acknowledgement mail
      (Django's in-memory backend), which the handling task does itself since 7502887;
   c. follow-up tasks those queue, run until none is left: the notifications of replies (and, at
      earlier commits, routing and the acknowledgement);
   half of the messages are new contacts and half replies that thread into existing cases by their
   reply address. "Per worker" is one worker process on one core. The URL configuration, which a
   worker imports once at its first mail with a link, is imported before the clock starts.
3. outbound: `mail_prepare` + `mail_send` of case replies through SMTP to an aiosmtpd server on
   loopback (the queue's work per message: headers, OutboundEmail row, SMTP transaction).
Prints messages per second for each; results go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import statistics
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
QUOTE = "\n".join(f"> Rivi {n}: aiempi viesti kaupungin kanssa, jossa kerrotaan kuopasta ja sen korjaamisesta."
                  for n in range(100))


def typical_message(n: int, *, to: str, sender: str, photo: bool = True) -> bytes:
    """~20 kB: text and HTML alternatives of a short new text over a 100-line quoted history, and a photo."""
    message = EmailMessage()
    message["From"] = f"Asukas {n} <{sender}>"
    message["To"] = to
    message["Subject"] = f"Kuoppa Rantakadulla {n}"
    message["Message-ID"] = make_msgid(domain="example.fi")
    text = f"Hei,\n\nRantakadulla {n} on iso kuoppa pyörätien kohdalla.\n\nTerveisin\nAsukas\n\n" \
           f"ma 3.11.2025 klo 8.00 Kaupunki kirjoitti:\n{QUOTE}\n"
    message.set_content(text)
    html = "<div>" + text.replace("\n", "<br>") + "</div>"
    message.add_alternative(html, subtype="html")
    if photo:
        message.add_attachment(PNG, maintype="image", subtype="png", filename="kuva.png")
    return bytes(message)


def report(what: str, count: int, started: float, cpu: float) -> None:
    """Messages per second of wall time and per second of this process's CPU time.

    On a shared machine the wall-clock rate depends on the load (printed); the CPU rate is what
    one worker with a core of its own would do.
    """
    wall = time.perf_counter() - started
    used = time.process_time() - cpu
    print(f"{what}: {count / wall:.0f} messages/s wall, {count / used:.0f} messages/s per CPU-second "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--photo-every", type=int, default=1,
                        help="a photo in every Nth message (1: all; the rest are text and HTML only)")
    parser.add_argument("--profile", type=Path,
                        help="write a cProfile (CPU clock) of step b here, and of step c beside it (.follow-up)")
    arguments = parser.parse_args()
    count = arguments.messages

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    # As in production (the test settings read mailboxes and the active classifier versions anew for
    # every message): config/settings/base.py's defaults.
    override_settings(EMAIL_MAILBOX_CACHE_SECONDS=60, CLASSIFIER_ACTIVE_CACHE_SECONDS=30,
                      CONFIG_CACHE_SECONDS=300).enable()
    # A long-lived worker imports the URL configuration once, at its first mail with a link (~0.3 s
    # here); not a cost per message, so it is paid before the clock starts.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018

    from aiosmtpd.controller import Controller
    from celery import Task

    from civicdesk.cases.models import Case
    from civicdesk.intake.models import InboundEmail, Mailbox, OutboundKind
    from civicdesk.intake.sources.email.outbound import mail_prepare, mail_send
    from civicdesk.intake.sources.email.parsing import email_parse
    from civicdesk.intake.sources.email.services import case_reply_address, inbound_email_receive
    from tests.factories import build_city

    city = build_city()
    mailbox = Mailbox.objects.create(organization=city.org, name="Palaute", address="palaute@testcity.example",
                                     case_type=city.types["feedback"], service_group=city.streets)
    sample = typical_message(0, to=mailbox.address, sender="a0@example.fi")
    print(f"typical message: {len(sample)} bytes")

    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        email_parse(sample)
    report("parse", count, started, cpu)

    existing = [city.case(customer_email=f"r{n}@example.fi") for n in range(count // 2)]
    raws = []
    for n in range(count):
        if n % 2 and existing:
            case = existing[n // 2 % len(existing)]
            raws.append((typical_message(n, to=case_reply_address(case=case, mailbox=mailbox),
                                         sender=case.customer_email, photo=n % arguments.photo_every == 0),
                         case_reply_address(case=case, mailbox=mailbox)))
        else:
            raws.append((typical_message(n, to=mailbox.address, sender=f"s{n}@example.fi",
                                         photo=n % arguments.photo_every == 0), mailbox.address))
    cases_before = Case.objects.count()
    queued: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []

    def enqueue(task: Any, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        queued.append((task, tuple(args or ()), dict(kwargs or {})))

    def run_queued() -> dict[str, list[float]]:
        """Run what is queued, and what that queues, until nothing is left: CPU ms per task name."""
        times: dict[str, list[float]] = {}
        while queued:
            task, args, kwargs = queued.pop(0)
            task_cpu = time.process_time()
            task(*args, **kwargs)
            times.setdefault(task.name.rsplit(".", 1)[-1], []).append((time.process_time() - task_cpu) * 1000)
        return times

    profiler = None
    if arguments.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
    with mock.patch.object(Task, "apply_async", enqueue):
        started, cpu = time.perf_counter(), time.process_time()
        for raw, recipient in raws:
            inbound_email_receive(raw=raw, source="smtp", recipients=[recipient])
        report("inbound a. receive (store, queue)", count, started, cpu)
        receive_cpu = time.process_time() - cpu
        handling, queued[:] = list(queued), []
        if profiler is not None:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        for task, args, kwargs in handling:
            task(*args, **kwargs)
        report("inbound b. process (the worker's inbound task)", count, started, cpu)
        process_cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(arguments.profile)
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        follow_ups = run_queued()
        follow_cpu = time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(arguments.profile.with_suffix(".follow-up" + arguments.profile.suffix))
    for name, spent in sorted(follow_ups.items()):
        print(f"  follow-up {name}: {len(spent)} runs, median {statistics.median(spent):.1f} ms CPU")
    print(f"inbound c. follow-up tasks: {follow_cpu / count * 1000:.1f} ms CPU per message")
    print(f"inbound, whole pipeline on one core (a + b + c): {count / (receive_cpu + process_cpu + follow_cpu):.0f} "
          f"messages per CPU-second; the worker's part (b + c): {count / (process_cpu + follow_cpu):.0f}")
    states: dict[str, int] = {}
    for state in InboundEmail.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    print(f"  outcomes: {states}, {Case.objects.count() - cases_before} new cases")

    class Sink:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                               EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD=""):
            started, cpu = time.perf_counter(), time.process_time()
            for case in existing:
                prepared = mail_prepare(case=case, kind=OutboundKind.REPLY, subject=f"[{case.reference}] Vastaus",
                                        body="Korjaamme kuopan tällä viikolla.\n", to=case.customer_email)
                mail_send(prepared)
            report("outbound over SMTP (the server thread's CPU included)", len(existing), started, cpu)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
