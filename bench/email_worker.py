"""Measure ONE real Celery worker process on the email channel's inbound work (issue 5: "inbound
processing ≥ 50 messages/s per worker for typical 20 kB messages"), on PostgreSQL and Redis.

    bench/email_worker.sh                      # the one command: services, migrate, this, clean-up
    ROUNDS=1 MESSAGES=200 bench/email_worker.sh

bench/email_intake.py measures the same work in one process on in-memory SQLite. This one is shaped
like production: settings config.settings.production, PostgreSQL 15 and Redis started by
scripts/services.sh (the wrapper does that, migrates, runs this script and stops them again), the
Celery broker in Redis, and the worker started as docs/guides/operations.md runs it
(`celery -A config worker -l info`), with `--concurrency 1 --pool prefork`: one pool child
(`--concurrency N` / CONCURRENCY=N: N children, as Celery's default of one per core does).

Each round, with fresh data (a new organisation each round, in the same database):

1. `tests.factories.build_city`, a Mailbox (auto_acknowledge on, mapped to a service group and a case
   type) and --existing cases with customer addresses;
2. N messages (bench/email_intake.py's `typical_message`, ~20 kB; a photo in every --photo-every-th;
   half new contacts to the mailbox address, half replies from the customers of the existing cases to
   their reply address) are stored by `inbound_email_receive(..., process=True)` in THIS process, as the
   SMTP receiver would after DATA, with no worker running: their handling tasks wait in Redis (since
   fe4a4c6 one drain task per second of storing, `core.drains`, before it one task per mail). (Stored
   directly, not fed over SMTP to the built-in receiver: the receiver's cost is not the worker's.);
3. the worker is started, and the clock runs from its start until Redis holds no task (every queue the
   worker consumes empty, no unacknowledged message: tasks are acknowledged late, after they ran) on
   three polls in a row; that moment is the end. Outbound mail (the acknowledgements) goes over SMTP to
   an aiosmtpd sink in this process on loopback (EMAIL_URL=smtp://…);
4. checks: every stored message left `received`, as many `case_created` and `added_to_case` as sent,
   none `failed`, every new case has a RoutingDecision (none `failed`), every new case was acknowledged
   (details.acknowledged) and the sink got the mail; a round that fails a check is reported as failed
   and the script exits non-zero.

Figures per round: messages/s of wall time from the worker's start (its start-up included) and from its
first task; the worker's CPU (its main process and its pool child, from /proc) and so messages per
worker-CPU-second; PostgreSQL's CPU (the postmaster and its children), Redis's, the whole machine's
and the 1-minute load average over the same period; per task name the count and the runtime the
worker logs ("succeeded in"), and what is left of the wall time besides them (Celery's own overhead
per task: broker round trip, pipe to the child, acknowledgement, logging); PostgreSQL's transactions,
rows and new sessions per message (pg_stat_database) and its statements slower than SLOW_MS (its log).
The medians of the rounds last. Results (worker logs, JSON) go to --out.

PROFILE=1 (--profile) is a diagnosis, not the measurement: the worker runs with the solo pool (tasks in
its main process) under cProfile on the CPU clock, and each round prints the shares of its CPU per
package and the top functions; its rates are slowed by the profiler and are not the figures above.
DATABASE_POOL=false (the settings' own switch) measures the worker without the connection pool.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TASK_LINE = re.compile(r"Task (?P<name>[\w.]+)\[[^\]]+\] succeeded in (?P<seconds>[0-9.e-]+)s")


# --- CPU from /proc --------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(parent pid, own user+system CPU s, CPU s of its children that ended and were waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
            (int(fields[13]) + int(fields[14])) / CLOCK_TICKS)


def _children_of(parent: int) -> list[int]:
    children = []
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(path.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent:
            children.append(int(path.parent.name))
    return children


@dataclass
class TreeCpu:
    """CPU seconds of a process (`main`) and of its children, live or ended (`children`)."""

    main: float = 0.0
    children: float = 0.0
    child_pids: list[int] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.main + self.children


def tree_cpu(pid: int) -> TreeCpu:
    stat = _stat(pid)
    if stat is None:
        return TreeCpu()
    pids = _children_of(pid)
    children = stat[2]
    for child in pids:
        child_stat = _stat(child)
        if child_stat is not None:
            children += child_stat[1] + child_stat[2]
    return TreeCpu(main=stat[1], children=children, child_pids=pids)


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle so far (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


@dataclass
class Snapshot:
    at: float
    worker: TreeCpu
    postgres: TreeCpu
    redis: float
    machine: float
    bench: float


# --- the SMTP sink --------------------------------------------------------------------------------


class Sink:
    """Takes every mail and counts it (aiosmtpd calls this in its own thread)."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the bench ------------------------------------------------------------------------------------


class Bench:
    def __init__(self, arguments: argparse.Namespace, *, sink: Sink) -> None:
        import redis
        from django.conf import settings
        from django.db import connection

        from config.celery import app

        self.arguments = arguments
        self.sink = sink
        self.out: Path = arguments.out
        self.redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.queues = self._queues(app)
        self.unacked_key = str((app.conf.broker_transport_options or {}).get("unacked_key", "unacked"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), current_database()")
            backend, self.database = cursor.fetchone()
        stat = _stat(int(backend))
        if stat is None:
            sys.exit("cannot read PostgreSQL's processes in /proc: is the database on this machine?")
        self.postmaster = stat[0]
        self.redis_pid = int(self.redis.info("server")["process_id"])
        # scripts/services.sh's server log (bench/email_worker.sh exports SERVICES_DIR); none without it.
        self.pg_log = Path(os.environ.get("SERVICES_DIR", "/nonexistent")) / "postgres.log"
        self.pg_log_offset = self.pg_log.stat().st_size if self.pg_log.exists() else 0

    @staticmethod
    def _queues(app: Any) -> list[str]:
        """Every queue a task may go to: the default one and those CELERY_TASK_ROUTES names."""
        queues = {str(app.conf.task_default_queue)}
        routes = app.conf.task_routes or {}
        if isinstance(routes, dict):
            routes = [routes]
        for route in routes:
            if not isinstance(route, dict):
                sys.exit(f"a task route this bench cannot read (not a dict): {route!r}")
            for target in route.values():
                queue = target.get("queue") if isinstance(target, dict) else target
                if queue:
                    queues.add(str(queue))
        return sorted(queues)

    def _queue_keys(self) -> list[str]:
        # kombu's Redis transport keeps a list per queue and priority step: "celery", "celery\x06\x163", …
        return [key for queue in self.queues for key in (queue, *(f"{queue}\x06\x16{step}" for step in (3, 6, 9)))]

    def broker_state(self) -> tuple[int, int]:
        """(messages waiting in the worker's queues, messages delivered and not acknowledged yet)."""
        pipe = self.redis.pipeline(transaction=False)
        for key in self._queue_keys():
            pipe.llen(key)
        pipe.hlen(self.unacked_key)
        *lengths, unacked = pipe.execute()
        return sum(int(length) for length in lengths), int(unacked)

    def purge(self) -> int:
        waiting = self.broker_state()[0]
        self.redis.delete(*self._queue_keys())
        return waiting

    def snapshot(self, worker_pid: int | None) -> Snapshot:
        info = self.redis.info("cpu")
        return Snapshot(
            at=time.perf_counter(),
            worker=tree_cpu(worker_pid) if worker_pid else TreeCpu(),
            postgres=tree_cpu(self.postmaster),
            redis=float(info["used_cpu_sys"]) + float(info["used_cpu_user"]),
            machine=machine_busy(),
            bench=time.process_time(),
        )

    def pg_counters(self) -> dict[str, int]:
        """pg_stat_database's counters, and per table its sequential scans and the rows they read."""
        from django.db import connection

        names = ["xact_commit", "xact_rollback", "tup_inserted", "tup_updated", "tup_deleted", "tup_fetched",
                 "sessions"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute(f"SELECT {', '.join(names)} FROM pg_stat_database WHERE datname = %s", [self.database])
            counters = dict(zip(names, (int(v) for v in cursor.fetchone()), strict=True))
            cursor.execute("SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables")
            for table, scans, rows in cursor.fetchall():
                counters[f"seq_scan:{table}"] = int(scans or 0)
                counters[f"seq_tup_read:{table}"] = int(rows or 0)
        return counters

    def slow_statements(self) -> list[tuple[float, str]]:
        """Statements PostgreSQL logged as slower than SLOW_MS since the last call."""
        if not self.pg_log.exists():
            return []
        with self.pg_log.open("rb") as log:
            log.seek(self.pg_log_offset)
            text = log.read().decode(errors="replace")
            self.pg_log_offset = log.tell()
        found = []
        for match in re.finditer(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*): (.*)", text):
            found.append((float(match.group(1)), match.group(2)[:300]))
        return sorted(found, reverse=True)

    # --- one round -------------------------------------------------------------------------------

    def prepare(self, number: int) -> dict[str, Any]:
        from bench.email_intake import typical_message
        from civicdesk.intake.models import Mailbox
        from civicdesk.intake.sources.email.services import case_reply_address
        from tests.factories import build_city

        arguments = self.arguments
        slug = f"mailbench-{os.getpid()}-{number}"
        city = build_city(slug=slug)
        mailbox = Mailbox.objects.create(organization=city.org, name="Palaute", address=f"palaute@{slug}.example",
                                         case_type=city.types["feedback"], service_group=city.streets,
                                         auto_acknowledge=True)
        existing = [city.case(customer_email=f"r{number}-{n}@example.fi") for n in range(arguments.existing)]
        messages = []
        for n in range(arguments.messages):
            photo = n % arguments.photo_every == 0
            if n % 2 and existing:
                case = existing[n // 2 % len(existing)]
                address = case_reply_address(case=case, mailbox=mailbox)
                raw = typical_message(n, to=address, sender=case.customer_email, photo=photo)
            else:
                address = mailbox.address
                raw = typical_message(n, to=address, sender=f"s{number}-{n}@example.fi", photo=photo)
            messages.append((raw, address))
        return {"city": city, "mailbox": mailbox, "existing": existing, "messages": messages}

    def store(self, messages: list[tuple[bytes, str]]) -> float:
        from civicdesk.intake.sources.email.services import inbound_email_receive

        started = time.perf_counter()
        for raw, address in messages:
            rows = inbound_email_receive(raw=raw, source="smtp", recipients=[address], process=True)
            if len(rows) != 1:
                sys.exit(f"{address}: stored {len(rows)} rows, expected 1")
        return time.perf_counter() - started

    def worker_command(self, number: int) -> list[str]:
        options = ["-A", "config", "worker", "-l", self.arguments.loglevel,
                   "--concurrency", "1" if self.arguments.profile else str(self.arguments.concurrency),
                   "-Q", ",".join(self.queues), "-n", f"email-bench-{os.getpid()}-{number}@%h"]
        if self.arguments.profile:
            # cProfile sees one process only: the solo pool runs the tasks in the worker's main process. On the
            # CPU clock, so that waiting for PostgreSQL or the broker does not count.
            code = ("import cProfile, sys, time\nfrom celery.__main__ import main\n"
                    "profiler = cProfile.Profile(time.process_time)\nsys.argv = sys.argv[1:]\nprofiler.enable()\n"
                    "try:\n    main()\nexcept SystemExit:\n    pass\n"
                    "finally:\n    profiler.disable()\n"
                    f"    profiler.dump_stats({str(self.out / f'worker-{number}.prof')!r})\n")
            return [sys.executable, "-c", code, "celery", *options, "--pool", "solo"]
        return [str(Path(sys.executable).with_name("celery")), *options, "--pool", "prefork"]

    def run_worker(self, number: int, expected: int) -> tuple[Snapshot, Snapshot, Snapshot, Path, dict[str, int]]:
        """Start the worker, wait until every task is done, stop it: snapshots at start, first task, end."""
        log_path = self.out / f"worker-{number}.log"
        command = self.worker_command(number)
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        counters_before = self.pg_counters()
        with log_path.open("wb") as log:
            start = self.snapshot(None)
            worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            start.worker = tree_cpu(worker.pid)
            first: Snapshot | None = None
            end: Snapshot | None = None
            idle_polls = 0
            deadline = time.perf_counter() + self.arguments.timeout
            child_pids: set[int] = set()
            try:
                while True:
                    if worker.poll() is not None:
                        sys.exit(f"the worker exited with {worker.returncode}; see {log_path}")
                    waiting, unacked = self.broker_state()
                    if first is None and (waiting < expected or unacked):
                        first = self.snapshot(worker.pid)
                    if first is not None and waiting == 0 and unacked == 0:
                        if end is None:
                            end = self.snapshot(worker.pid)
                        idle_polls += 1
                        if idle_polls >= 3:
                            break
                    else:
                        end, idle_polls = None, 0
                    if time.perf_counter() > deadline:
                        sys.exit(f"not done after {self.arguments.timeout} s: {waiting} waiting, {unacked} "
                                 f"unacknowledged; see {log_path}")
                    if not child_pids:  # a scan of /proc costs, and the pool child stays
                        child_pids.update(_children_of(worker.pid))
                    time.sleep(0.02 if first is None else 0.1)
            finally:
                self.stop_worker(worker, child_pids)
        assert first is not None
        assert end is not None
        time.sleep(0.5)  # the worker's backends write their statistics as they exit
        counters_after = self.pg_counters()
        counters = {key: value - counters_before.get(key, 0) for key, value in counters_after.items()}
        return start, first, end, log_path, counters

    @staticmethod
    def stop_worker(worker: subprocess.Popen[bytes], child_pids: set[int]) -> None:
        """Warm shutdown (TERM); KILL, by pid, the worker and its pool child if it does not stop."""
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        for pid in child_pids:
            stat = _stat(pid)
            if stat is not None and stat[0] in {worker.pid, 1}:
                os.kill(pid, signal.SIGKILL)

    def outcomes(self, data: dict[str, Any], sink_before: int) -> tuple[dict[str, Any], list[str]]:
        from civicdesk.cases.models import Case, Channel
        from civicdesk.intake.models import InboundEmail, InboundState
        from civicdesk.routing.models import RoutingDecision

        org = data["city"].org
        count = self.arguments.messages
        replies = count // 2 if data["existing"] else 0
        rows = InboundEmail.objects.filter(organization=org)
        states = Counter(rows.values_list("state", flat=True))
        new_cases = Case.objects.filter(organization=org, channel=Channel.EMAIL)
        routing = Counter(RoutingDecision.objects.filter(organization=org).values_list("outcome", flat=True))
        figures: dict[str, Any] = {
            "states": dict(states),
            "new_cases": new_cases.count(),
            "unrouted": new_cases.filter(routing_decisions__isnull=True).count(),
            "routing": dict(routing),
            "acknowledged": rows.filter(state=InboundState.CASE_CREATED, details__acknowledged=True).count(),
            "mails_to_sink": self.sink.count - sink_before,
        }
        problems = []
        expected: dict[str, int] = {InboundState.CASE_CREATED: count - replies, InboundState.ADDED_TO_CASE: replies}
        for state, number in states.items():
            if expected.get(state, 0) != number:
                problems.append(f"{number} rows {state}, expected {expected.get(state, 0)}")
        for state, number in expected.items():
            if state not in states and number:
                problems.append(f"no rows {state}, expected {number}")
        if figures["new_cases"] != count - replies:
            problems.append(f"{figures['new_cases']} new cases, expected {count - replies}")
        if figures["unrouted"]:
            problems.append(f"{figures['unrouted']} new cases without a routing decision")
        if routing.get("failed"):
            problems.append(f"{routing['failed']} routing decisions failed")
        if figures["acknowledged"] != figures["new_cases"]:
            problems.append(f"{figures['acknowledged']} acknowledged of {figures['new_cases']} new cases")
        if figures["mails_to_sink"] < figures["acknowledged"]:
            problems.append(f"the SMTP sink got {figures['mails_to_sink']} mails for {figures['acknowledged']} "
                            "acknowledgements")
        for row in rows.filter(state=InboundState.FAILED)[:3]:
            problems.append(f"failed row {row.pk}: {row.error[:200]}")
        return figures, problems

    def round(self, number: int) -> dict[str, Any]:
        count = self.arguments.messages
        print(f"\n=== round {number}: preparing an organisation, a mailbox, {self.arguments.existing} cases",
              flush=True)
        data = self.prepare(number)
        purged = self.purge()
        if purged:
            print(f"  (purged {purged} tasks the preparation queued)")
        stored_s = self.store(data["messages"])
        queued = self.broker_state()[0]
        sizes = [len(raw) for raw, _address in data["messages"]]
        print(f"  stored {count} messages (median {statistics.median(sizes) / 1024:.1f} kB) in {stored_s:.1f} s; "
              f"{queued} tasks wait in Redis ({', '.join(self.queues)})", flush=True)
        # One task per mail before fe4a4c6; since then a drain per second of storing (`core.drains`).
        if not 1 <= queued <= count:
            sys.exit(f"expected between 1 and {count} queued tasks, found {queued}")
        self.slow_statements()  # what the preparation logged is not the worker's
        sink_before = self.sink.count
        start, first, end, log_path, counters = self.run_worker(number, queued)
        figures, problems = self.outcomes(data, sink_before)
        tasks, log_problems = worker_log(log_path)
        problems += log_problems
        slow = self.slow_statements()

        wall_total, wall_work = end.at - start.at, end.at - first.at
        worker_work = TreeCpu(main=end.worker.main - first.worker.main,
                              children=end.worker.children - first.worker.children)
        worker_all = TreeCpu(main=end.worker.main - start.worker.main,
                             children=end.worker.children - start.worker.children)
        pg_cpu = end.postgres.total - first.postgres.total
        task_count = sum(len(times) for times in tasks.values())
        task_runtime = sum(sum(times) for times in tasks.values())
        result: dict[str, Any] = {
            "round": number, "messages": count, "stored_s": stored_s, "wall_from_start_s": wall_total,
            "wall_from_first_task_s": wall_work, "msgs_per_s_from_start": count / wall_total,
            "msgs_per_s_from_first_task": count / wall_work,
            "concurrency": self.arguments.concurrency, "worker_cpu_s": worker_work.total,
            "worker_child_cpu_s": worker_work.children,
            "worker_main_cpu_s": worker_work.main, "worker_startup_cpu_s": worker_all.total - worker_work.total,
            "msgs_per_worker_cpu_s": count / worker_work.total if worker_work.total else 0.0,
            "postgres_cpu_s": pg_cpu, "redis_cpu_s": end.redis - first.redis,
            "machine_busy_s": end.machine - first.machine, "bench_cpu_s": end.bench - first.bench,
            "load_1m": os.getloadavg()[0], "tasks": {name: len(times) for name, times in tasks.items()},
            "task_runtime_s": task_runtime, "task_count": task_count,
            "pg": {key: value for key, value in counters.items() if value},
            "outcomes": figures, "problems": problems, "slow_statements": slow[:10],
        }
        others = result["machine_busy_s"] - worker_work.total - pg_cpu - result["redis_cpu_s"] - result["bench_cpu_s"]
        print(f"  wall: {wall_total:.2f} s from the worker's start ({result['msgs_per_s_from_start']:.1f} msg/s), "
              f"{wall_work:.2f} s from its first task ({result['msgs_per_s_from_first_task']:.1f} msg/s)")
        print(f"  worker CPU while working: {worker_work.total:.2f} s = pool child {worker_work.children:.2f} s + "
              f"main {worker_work.main:.2f} s -> {result['msgs_per_worker_cpu_s']:.1f} messages per "
              f"worker-CPU-second ({worker_work.total / count * 1000:.1f} ms/message); "
              f"start-up {result['worker_startup_cpu_s']:.2f} s CPU")
        print(f"  same period: PostgreSQL {pg_cpu:.2f} s CPU ({pg_cpu / count * 1000:.1f} ms/message), Redis "
              f"{result['redis_cpu_s']:.2f} s, this script {result['bench_cpu_s']:.2f} s, everything else on the "
              f"machine {others:.2f} s; machine busy {result['machine_busy_s']:.1f} of "
              f"{wall_work * (os.cpu_count() or 1):.1f} CPU-s; load average {result['load_1m']:.2f}")
        print(f"  PostgreSQL per message: {counters['xact_commit'] / count:.1f} commits, "
              f"{counters['xact_rollback'] / count:.2f} rollbacks, {counters['tup_inserted'] / count:.1f} rows "
              f"inserted, {counters['tup_updated'] / count:.1f} updated, {counters['tup_fetched'] / count:.0f} "
              f"fetched; {counters['sessions']} sessions opened ({counters['sessions'] / max(task_count, 1):.1f} per "
              "task)")
        scanned = sorted(((value, key.split(":", 1)[1]) for key, value in counters.items()
                          if key.startswith("seq_tup_read:") and value), reverse=True)[:3]
        if scanned:
            print("  most rows read by sequential scans: " + ", ".join(
                f"{table} {rows / count:.0f}/message in {counters['seq_scan:' + table] / count:.1f} scans"
                for rows, table in scanned))
        if tasks:
            print(f"  tasks: {task_count}, runtime they logged {task_runtime:.2f} s; the rest of the wall time, "
                  f"{(wall_work - task_runtime) / task_count * 1000:.1f} ms per task, is Celery's and waiting:")
            for name, times in sorted(tasks.items(), key=lambda item: -sum(item[1])):
                print(f"    {name.rsplit('.', 1)[-1]}: {len(times)} runs, "
                      f"median {statistics.median(times) * 1000:.1f} ms, total {sum(times):.2f} s")
        print(f"  outcomes: {figures['states']}, {figures['new_cases']} new cases, routing {figures['routing']}, "
              f"{figures['acknowledged']} acknowledged, {figures['mails_to_sink']} mails to the SMTP sink")
        if self.arguments.slow_ms >= 0:
            print(f"  PostgreSQL logged {len(slow)} statements over {self.arguments.slow_ms} ms"
                  + ("; slowest:" if slow else ""))
            for duration, statement in slow[:3]:
                print(f"    {duration:.0f} ms: {statement[:200]}")
        if self.arguments.profile:
            profile_summary(self.out / f"worker-{number}.prof", messages=count)
        print("  CHECKS FAILED: " + "; ".join(problems) if problems else "  checks: OK", flush=True)
        return result


def worker_log(path: Path) -> tuple[dict[str, list[float]], list[str]]:
    """Runtimes per task name from the worker's log, and its errors."""
    tasks: dict[str, list[float]] = {}
    problems = []
    for line in path.read_text(errors="replace").splitlines():
        found = TASK_LINE.search(line)
        if found:
            tasks.setdefault(found.group("name"), []).append(float(found.group("seconds")))
        elif " ERROR" in line or "Traceback" in line or " raised " in line or "Retry in" in line:
            problems.append(f"worker log: {line.strip()[:200]}")
    return tasks, problems[:5]


def _package_of(filename: str, name: str) -> str:
    if filename.startswith(("~", "<")):
        return "C: " + name.strip("<>").removesuffix(" objects")
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(str(ROOT) + "/"):
        parts = filename[len(str(ROOT)) + 1:].split("/")
        return ".".join(parts[:2]).removesuffix(".py")
    return "stdlib " + Path(filename).parent.name if "/python3" in filename else filename


def profile_summary(path: Path, *, messages: int) -> None:
    """Where the worker's CPU went (cProfile of the solo-pool worker): own time per package, top functions."""
    import pstats

    if not path.exists():
        print(f"  (no profile written to {path})")
        return
    stats: dict[Any, Any] = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in stats.values())
    packages: Counter[str] = Counter()
    for (filename, _line, _name), entry in stats.items():
        packages[_package_of(filename, _name)] += entry[2]
    print(f"  profile ({path.name}, CPU clock; cProfile slows the worker, so shares, not times): own time per "
          f"package (C functions apart), {total / messages * 1000:.1f} ms per message in all:")
    for package, seconds in packages.most_common(14):
        print(f"    {package}: {seconds / total * 100:.1f} %")
    print("  top functions by own time:")
    for (filename, line, name), entry in sorted(stats.items(), key=lambda item: -item[1][2])[:12]:
        print(f"    {entry[2] / total * 100:.1f} %  {entry[1]} calls  {name}  {_package_of(filename, name)}:{line}")


def summary(results: list[dict[str, Any]]) -> None:
    def median(key: str) -> float:
        return statistics.median(result[key] for result in results)

    print(f"\n=== medians of {len(results)} rounds of {results[0]['messages']} messages, one worker "
          f"(prefork, concurrency {results[0].get('concurrency', 1)}) on PostgreSQL and Redis")
    print("round | msg/s from start | msg/s from 1st task | msg/worker-CPU-s | child ms/msg | main ms/msg | "
          "PG CPU-s | PG ms/msg | load | checks")
    for result in results:
        count = result["messages"]
        print(f"{result['round']} | {result['msgs_per_s_from_start']:.1f} | "
              f"{result['msgs_per_s_from_first_task']:.1f} | "
              f"{result['msgs_per_worker_cpu_s']:.1f} | {result['worker_child_cpu_s'] / count * 1000:.1f} | "
              f"{result['worker_main_cpu_s'] / count * 1000:.1f} | {result['postgres_cpu_s']:.2f} | "
              f"{result['postgres_cpu_s'] / count * 1000:.1f} | {result['load_1m']:.2f} | "
              f"{'FAILED' if result['problems'] else 'OK'}")
    count = results[0]["messages"]
    print(f"median | {median('msgs_per_s_from_start'):.1f} | {median('msgs_per_s_from_first_task'):.1f} | "
          f"{median('msgs_per_worker_cpu_s'):.1f} | {median('worker_child_cpu_s') / count * 1000:.1f} | "
          f"{median('worker_main_cpu_s') / count * 1000:.1f} | {median('postgres_cpu_s'):.2f} | "
          f"{median('postgres_cpu_s') / count * 1000:.1f} | {median('load_1m'):.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=int(os.environ.get("MESSAGES", "600")))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", "3")))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("CONCURRENCY", "1")),
                        help="the worker's pool children (Celery's default is one per core)")
    parser.add_argument("--existing", type=int, default=150, help="existing cases the replies go to")
    parser.add_argument("--photo-every", type=int, default=5, help="a photo in every Nth message")
    parser.add_argument("--loglevel", default=os.environ.get("LOGLEVEL", "info"),
                        help="the worker's -l (info, as operations.md runs it; the task runtimes need info)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a round may take before it fails")
    parser.add_argument("--slow-ms", type=int, default=int(os.environ.get("SLOW_MS", "50")),
                        help="PostgreSQL logs statements slower than this (-1: none); needs a superuser on loopback")
    parser.add_argument("--profile", action="store_true", default=os.environ.get("PROFILE") == "1",
                        help="diagnosis, not the measurement: run the worker with the solo pool under cProfile and "
                             "print where its CPU went")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "bench" / "results" / f"email-worker-{time.strftime('%Y%m%d-%H%M%S')}")
    arguments = parser.parse_args()
    if arguments.messages < 2 or arguments.rounds < 1 or arguments.photo_every < 1:
        parser.error("--messages ≥ 2, --rounds ≥ 1, --photo-every ≥ 1")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or \
            not os.environ.get("REDIS_URL"):
        sys.exit("needs DATABASE_URL (PostgreSQL) and REDIS_URL: run bench/email_worker.sh")
    arguments.out.mkdir(parents=True, exist_ok=True)

    from aiosmtpd.controller import Controller

    # The sink's address must be in the environment before Django reads its settings: the worker
    # inherits it, and both processes send mail the same way.
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        import django

        django.setup()
        import logging

        from django.conf import settings

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP command

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or \
                not settings.CELERY_BROKER_URL.startswith("redis"):
            sys.exit(f"{settings.SETTINGS_MODULE}: not PostgreSQL with a Redis broker")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            sys.exit("CELERY_TASK_ALWAYS_EAGER is on: the tasks would run here, not in the worker")
        slow_logging(arguments.slow_ms)
        bench = Bench(arguments, sink=sink)
        print(f"settings {settings.SETTINGS_MODULE}, broker {settings.CELERY_BROKER_URL}, queues {bench.queues}, "
              f"mail to the SMTP sink on 127.0.0.1:{port}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
        print("worker: " + " ".join(bench.worker_command(0)), flush=True)
        results = [bench.round(number) for number in range(1, arguments.rounds + 1)]
    finally:
        controller.stop()
    (arguments.out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    summary(results)
    print(f"results in {arguments.out}")
    if any(result["problems"] for result in results):
        sys.exit("some round failed its checks (above)")


def slow_logging(slow_ms: int) -> None:
    """log_min_duration_statement on the throwaway cluster (as its superuser, which trusts loopback)."""
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    try:
        with psycopg.connect(host=database["HOST"], port=database["PORT"] or 5432, user="postgres",
                             dbname=database["NAME"], autocommit=True) as connection:
            connection.execute(f"ALTER SYSTEM SET log_min_duration_statement = {int(slow_ms)}")
            connection.execute("SELECT pg_reload_conf()")
    except psycopg.Error as exc:
        print(f"(no slow-statement log: {exc})")


if __name__ == "__main__":
    main()
