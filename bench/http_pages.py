"""Helper of bench/http_pages.sh: the staff pages over HTTP under load, beside a hello-world view.

    http_pages.py prepare --out DIR   # Django (bench.settings_http): users, sessions, URLs, query counts
    http_pages.py check   --out DIR --base http://127.0.0.1:PORT   # every URL answers 200 with its page
    http_pages.py run     --out DIR --base ... [--rounds 3] [--duration 15] [--concurrency 1,8]
    http_pages.py report  --out DIR [--label ...]   # medians over the rounds: markdown + summary.json
    http_pages.py profile --out DIR [--requests 30] [--only ...]   # in-process CPU per request + cProfile
    http_pages.py compare --out DIR1 --out DIR2 ...   # medians per server configuration over several runs

`prepare` picks the realistic users and pages on the 1M-case database: an expert of the largest
group (only an expert, in that group only) and the first service advisor; the largest group's queue
page 1 and 100 for the expert, the advisor's "all contacts" page, and random samples of case pages
each of them may open. It logs them in by creating a session the way `django.contrib.auth.login`
does (user id, backend, session auth hash) and counts each page's SQL queries in-process with
Django's test client against the same database.

`run` drives wrk (Debian's package; `bench/http_pages.lua` rotates through a scenario's URLs and
counts every non-200) at each concurrency for a fixed duration, scenario after scenario, round
after round, so that the machine's noise falls on all of them; the hello-world view is measured
in every round too. Each measurement is one JSON file in DIR/runs/, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "http_pages.lua"
TARGET_P95_MS = 60.0


# --- prepare (needs Django and the bench database) -----------------------------------------------


def prepare(out: Path, sample: int, seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_http")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civicdesk.accounts.models import GroupMembership, Membership, Role, User
    from civicdesk.cases.models import Case
    from civicdesk.cases.permissions import cases_visible_to
    from civicdesk.organizations.models import ServiceGroup

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point to the bench PostgreSQL (bench/pg.sh).")
    rnd = random.Random(seed)
    largest = (
        Case.objects.open().values("owner_group_id").annotate(n=Count("id")).order_by("-n", "owner_group_id").first()
    )
    if largest is None:
        sys.exit("The bench database has no cases: run bench/generate_cases.py first.")
    group = ServiceGroup.objects.get(pk=largest["owner_group_id"])
    non_experts = set(Membership.objects.exclude(role=Role.EXPERT).values_list("user_id", flat=True))
    experts = set(Membership.objects.filter(role=Role.EXPERT).values_list("user_id", flat=True))
    in_other_groups = set(
        GroupMembership.objects.exclude(service_group=group).values_list("user_id", flat=True)
    )
    expert = next(
        m.user
        for m in GroupMembership.objects.filter(service_group=group).select_related("user").order_by("user_id")
        if m.user_id in experts and m.user_id not in non_experts and m.user_id not in in_other_groups
        and m.user.is_active
    )
    advisor_membership = (
        Membership.objects.filter(role=Role.SERVICE_ADVISOR, user__is_active=True).order_by("user_id").first()
    )
    if advisor_membership is None:
        sys.exit("No service advisor in the bench database.")
    advisor = advisor_membership.user

    def session_for(user: User) -> str:
        # What django.contrib.auth.login() stores; the session lives in the database as in production.
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.set_expiry(7 * 24 * 3600)
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    max_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def case_paths(user: User, **narrowing: Any) -> list[str]:
        """A random sample of the cases the user may open (open and closed alike, as they come)."""
        found: list[str] = []
        while len(found) < sample:
            ids = [rnd.randint(1, max_id) for _ in range(sample * 20)]
            found += cases_visible_to(user).filter(pk__in=ids, **narrowing).values_list("reference", flat=True)
        rnd.shuffle(found)
        return [f"/staff/cases/{reference}/" for reference in sorted(set(found[:sample]), key=found.index)]

    cookies = {"expert": session_for(expert), "advisor": session_for(advisor)}
    queue = f"/staff/queues/{group.pk}/"
    scenarios: list[dict[str, Any]] = [
        # No session cookie: the floor is Django's request/response cycle and middleware, no query.
        {"key": "hello", "page": "hello world (`/hello`, Django's floor)", "kind": "hello", "user": None,
         "paths": ["/hello"], "marker": "hello"},
        {"key": "queue-p1", "page": f"queue, largest group ({largest['n']:,} open), page 1, expert", "kind": "queue",
         "user": "expert", "paths": [queue], "marker": 'class="case-list"'},
        {"key": "queue-p100", "page": "queue, largest group, page 100, expert", "kind": "queue", "user": "expert",
         "paths": [queue + "?page=100"], "marker": 'class="case-list"'},
        {"key": "all-contacts", "page": "all contacts (advisor's queue), page 1", "kind": "queue", "user": "advisor",
         "paths": ["/staff/all/"], "marker": 'class="case-list"'},
        {"key": "case-expert", "page": f"case page, expert, {sample} random cases of the group", "kind": "case",
         "user": "expert", "paths": case_paths(expert, owner_group=group), "marker": "timeline"},
        {"key": "case-advisor", "page": f"case page, advisor, {sample} random cases", "kind": "case",
         "user": "advisor", "paths": case_paths(advisor), "marker": "timeline"},
    ]

    # SQL queries per page, in-process with the same settings and database (the first few URLs).
    for scenario in scenarios:
        client = Client(SERVER_NAME="127.0.0.1")
        if scenario["user"]:
            name, value = cookies[scenario["user"]].split("=", 1)
            client.cookies[name] = value
        counts = []
        client.get(scenario["paths"][0])  # a session's first request also records "last seen": not counted
        for path in scenario["paths"][:10]:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                sys.exit(f"{scenario['key']}: {path} answered {response.status_code}")
            counts.append(len(captured.captured_queries))
        scenario["queries"] = {"min": min(counts), "max": max(counts)}

    out.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        paths_file = out / f"{scenario['key']}.paths"
        paths_file.write_text("\n".join(scenario["paths"]) + "\n")
        scenario["paths_file"] = str(paths_file)
        scenario["cookie"] = cookies[scenario["user"]] if scenario["user"] else ""
        scenario["path_count"] = len(scenario["paths"])
        del scenario["paths"]
    fixtures = {
        "cases": Case.objects.count(),
        "group": {"id": group.pk, "name": str(group), "open_cases": largest["n"]},
        "expert": {"id": expert.pk, "username": expert.username},
        "advisor": {"id": advisor.pk, "username": advisor.username},
    }
    (out / "scenarios.json").write_text(json.dumps({"fixtures": fixtures, "scenarios": scenarios}, indent=2,
                                                   ensure_ascii=False))
    for scenario in scenarios:
        print(f"  {scenario['key']:13} {scenario['path_count']:4} URL(s), queries {scenario['queries']['min']}"
              f"–{scenario['queries']['max']}: {scenario['page']}")


# --- profile (needs Django and the bench database, after prepare) --------------------------------


def profile(out: Path, *, requests: int, only: list[str], top: int) -> None:
    """CPU time per request in-process (Django's test client, no server, no load tool), then a cProfile.

    Less noisy than the load runs: the CPU clock counts only this process's time, so the neighbours'
    load hardly changes it (PostgreSQL's share is not counted). For each scenario: a warm-up, the CPU
    milliseconds per request (median of `requests` requests, round-robin over its URLs), then the same
    requests under cProfile with a CPU clock; the top functions by own and by cumulative time are
    printed and the whole profile is written to DIR/profile-<key>.prof (`python -m pstats` reads it).
    """
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_http")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    summary = {}
    for scenario in load_scenarios(out)["scenarios"]:
        if not only or scenario["key"] in only:
            summary[scenario["key"]] = _profile_scenario(scenario, out, requests=requests, top=top,
                                                         connection=connection, client=Client(SERVER_NAME="127.0.0.1"))
    (out / "profile.json").write_text(json.dumps({"machine": machine(), "scenarios": summary}, indent=2))
    print("\nCPU ms/request in-process (median):")
    for key, figures in summary.items():
        print(f"  {key:13} {figures['cpu_ms_median']:7.1f}  (p25 {figures['cpu_ms_p25']:.1f}, "
              f"min {figures['cpu_ms_min']:.1f}, {figures['queries']} queries)")


def _profile_scenario(scenario: dict[str, Any], out: Path, *, requests: int, top: int, connection: Any,
                      client: Any) -> dict[str, Any]:
    import cProfile
    import pstats

    if scenario["cookie"]:
        name, value = scenario["cookie"].split("=", 1)
        client.cookies[name] = value
    paths = Path(scenario["paths_file"]).read_text().split()
    chosen = [paths[i % len(paths)] for i in range(requests)]

    def get(path: str) -> None:
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{scenario['key']}: {path} answered {response.status_code}")

    for path in chosen[:3]:
        get(path)
    times = []
    for path in chosen:
        started = time.process_time()
        get(path)
        times.append((time.process_time() - started) * 1000)
    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get(chosen[0])
    figures = {"cpu_ms_median": statistics.median(times), "cpu_ms_min": min(times),
               "cpu_ms_p25": statistics.quantiles(times, n=4)[0], "queries": len(statements), "requests": requests}
    print(f"\n=== {scenario['key']}: CPU ms/request in-process median {figures['cpu_ms_median']:.1f} "
          f"(min {figures['cpu_ms_min']:.1f}), {len(statements)} queries; load {os.getloadavg()[0]:.2f}")
    if top:  # --top 0: only the CPU times
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for path in chosen:
            get(path)
        profiler.disable()
        profiler.dump_stats(out / f"profile-{scenario['key']}.prof")
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    return figures


# --- check and run (plain HTTP, no Django) ------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def load_scenarios(out: Path) -> dict[str, Any]:
    return json.loads((out / "scenarios.json").read_text())


def check(out: Path, base: str, only: list[str]) -> None:
    """Every URL of the scenarios (all, or those in `only`) answers 200 with its page: no redirect or 404 is timed."""
    opener = urllib.request.build_opener(_NoRedirect)
    for scenario in load_scenarios(out)["scenarios"]:
        if only and scenario["key"] not in only:
            continue
        for path in Path(scenario["paths_file"]).read_text().split():
            headers = {"Cookie": scenario["cookie"]} if scenario["cookie"] else {}
            request = urllib.request.Request(base + path, headers=headers)  # noqa: S310
            try:
                with opener.open(request, timeout=30) as response:
                    body = response.read().decode()
                    status = response.status
            except urllib.error.HTTPError as exc:
                status, body = exc.code, ""
            if status != 200 or scenario["marker"] not in body:
                sys.exit(f"check failed: {scenario['key']} {path} answered {status}")
        print(f"  {scenario['key']:13} ok")


def machine(out: Path | None = None) -> dict[str, Any]:
    """The machine, the commit, and the server: from OUT/server.json (bench/http_pages.sh writes it) if there is one."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")),
               platform.processor())
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "commit": commit.strip(),
            "tracked_files_modified": bool(dirty.strip()), "kernel": platform.release(),
            "server": "uvicorn", "workers": os.environ.get("WORKERS", ""),
            "form_renderer": os.environ.get("BENCH_FORM_RENDERER") or "project",
            **(json.loads((out / "server.json").read_text()) if out and (out / "server.json").exists() else {})}


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children_of(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


def _descendants_of(parent: int) -> list[int]:
    """Children, grandchildren, ...: a server's workers whatever its process tree (uvicorn, gunicorn)."""
    found, frontier = [], [parent]
    while frontier:
        children = [child for pid in frontier for child in _children_of(pid)]
        found += children
        frontier = children
    return found


def _socket_inodes(pid: int) -> set[str]:
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return set()
    return {link[len("socket:["):-1] for link in links if link.startswith("socket:[")}


def _connections_by_process(pids: list[int], server_port: int) -> dict[int, int]:
    """How many established client connections to `server_port` each of these processes holds right now."""
    owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    counts = dict.fromkeys(pids, 0)
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == server_port and inode in owner:  # 01: ESTABLISHED
            counts[owner[inode]] += 1
    return counts


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each of these processes so far (those that ended meanwhile are left out)."""
    times = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return times


def _tcp_ports_to(pids: list[int], server_port: int) -> set[int]:
    """Local ports of these processes' TCP connections to `server_port` (from /proc/<pid>/fd and /proc/net/tcp)."""
    inodes = set().union(*(_socket_inodes(pid) for pid in pids))
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if inode in inodes and int(remote.split(":")[1], 16) == server_port:
            ports.add(int(local.split(":")[1], 16))
    return ports


def _backends_serving(postmaster: int, client_ports: set[int]) -> list[int]:
    """PostgreSQL's backends whose client is one of these ports (not autovacuum, checkpoints, other clients)."""
    backends = []
    for pid in _children_of(postmaster):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found = re.search(r" 127\.0\.0\.1\((\d+)\)", title)
        if found and int(found.group(1)) in client_ports:
            backends.append(pid)
    return backends


class CpuMeter:
    """CPU time spent by the server's processes, PostgreSQL's client backends and wrk during a run.

    Latency on this shared machine mostly measures the queue for its two cores; CPU time per request
    is what a page costs whatever the neighbours do, and gives the capacity on a quiet machine. Only
    processes alive at the end of a run count (the server's workers and their connection pools'
    backends live for the whole run); PostgreSQL's background work (autovacuum, checkpoints) and
    other clients of the database do not.
    """

    def __init__(self, server_pid: int | None, postmaster_pid: int | None, postgres_port: int = 54330) -> None:
        self.server_pid = server_pid
        self.postmaster_pid = postmaster_pid
        self.postgres_port = postgres_port

    def server_processes(self) -> list[int]:
        return [self.server_pid, *_descendants_of(self.server_pid)] if self.server_pid else []

    def sample(self) -> dict[str, dict[int, float]]:
        server = self.server_processes()
        app = _cpu_seconds(server)
        db: dict[int, float] = {}
        if self.postmaster_pid and server:
            # Only the backends of this server's connections: another benchmark may share the database.
            db = _cpu_seconds(_backends_serving(self.postmaster_pid, _tcp_ports_to(server, self.postgres_port)))
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"app": app, "db": db, "load_tool": {0: usage.ru_utime + usage.ru_stime}}

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        return {key: sum(t - before[key].get(pid, 0.0) for pid, t in after[key].items()) for key in after}

    @staticmethod
    def spent_by_process(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        """The server's CPU seconds per process (master included), busiest first: does the load spread?"""
        spent = {pid: t - before["app"].get(pid, 0.0) for pid, t in after["app"].items()}
        return {str(pid): round(seconds, 3) for pid, seconds in sorted(spent.items(), key=lambda kv: -kv[1])}


def wrk(scenario: dict[str, Any], base: str, concurrency: int, duration: int, result: Path, *,
        meter: CpuMeter | None = None) -> dict[str, Any]:
    threads = min(concurrency, os.cpu_count() or 1)
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{duration}s", "--timeout", "10s", "--latency",
               "-s", str(LUA), base + "/"]
    env = {**os.environ, "BENCH_PATHS": scenario["paths_file"], "BENCH_COOKIE": scenario["cookie"],
           "BENCH_RESULT": str(result)}
    load_before = os.getloadavg()
    cpu_before = meter.sample() if meter else None
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    connections = None
    if meter and meter.server_pid:
        # Half-way through: which server process holds wrk's connections (keep-alive ones stay where accepted).
        time.sleep(duration / 2)
        port = int(base.rsplit(":", 1)[1].split("/", 1)[0])
        connections = _connections_by_process(meter.server_processes(), port)
    stdout, stderr = process.communicate()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, stdout, stderr)
    figures = json.loads(result.read_text())
    if meter and cpu_before and figures["requests"]:
        cpu_after = meter.sample()
        spent = CpuMeter.spent(cpu_before, cpu_after)
        figures["cpu_ms_per_request"] = {key: seconds * 1000 / figures["requests"] for key, seconds in spent.items()}
        figures["app_cpu_s_by_process"] = CpuMeter.spent_by_process(cpu_before, cpu_after)
    if connections is not None:
        figures["connections_by_process"] = {str(pid): n for pid, n in connections.items()}
    figures.update({"scenario": scenario["key"], "concurrency": concurrency, "threads": threads,
                    "duration_s": duration, "load_before": load_before, "load_after": os.getloadavg(),
                    "command": " ".join(command)})
    result.write_text(json.dumps(figures, indent=2))
    return figures


class Target:
    """One server under test: its result folder, its base URL and the meter of its processes' CPU time."""

    def __init__(self, out: Path, base: str, meter: CpuMeter) -> None:
        self.out, self.base, self.meter = out, base, meter
        self.name = out.name


def run(out: Path, targets: list[Target], *, rounds: int, duration: int, warmup: int, concurrencies: list[int],
        only: list[str]) -> None:
    """Each round: every scenario at every concurrency, on each server in turn (the order rotates each round)."""
    data = load_scenarios(out)
    scenarios = [s for s in data["scenarios"] if not only or s["key"] in only]
    for target in targets:
        (target.out / "runs").mkdir(parents=True, exist_ok=True)
        (target.out / "machine.json").write_text(json.dumps({**machine(target.out), "load_at_start": os.getloadavg()},
                                                            indent=2))
    several = len(targets) > 1
    if warmup:
        print(f"warm-up: {warmup} s per scenario at concurrency {max(concurrencies)}", flush=True)
        for scenario in scenarios:
            for target in targets:
                wrk(scenario, target.base, max(concurrencies), warmup, target.out / f"warmup-{scenario['key']}.json")
    for number in range(1, rounds + 1):
        shift = (number - 1) % len(targets)
        order = targets[shift:] + targets[:shift]
        for scenario in scenarios:
            for concurrency in concurrencies:
                for target in order:
                    figures = wrk(scenario, target.base, concurrency, duration,
                                  target.out / "runs" / f"r{number}-{scenario['key']}-c{concurrency}.json",
                                  meter=target.meter)
                    lat = figures["latency_us"]
                    flag = "" if figures["not_200"] == 0 else f"  NOT 200: {figures['not_200']}"
                    name = f" {target.name:22}" if several else ""
                    print(f"round {number}{name} {scenario['key']:13} c={concurrency}: "
                          f"{figures['requests'] / duration:7.1f} req/s  p50 {lat['p50'] / 1000:6.1f}  "
                          f"p95 {lat['p95'] / 1000:6.1f}  p99 {lat['p99'] / 1000:6.1f} ms  CPU/request "
                          f"{_cpu_text(figures)}  load {figures['load_before'][0]:.2f}  {_spread_text(figures)}{flag}",
                          flush=True)


def _spread_text(figures: dict[str, Any]) -> str:
    """Per server process: % of one core used during the run, and connections held half-way (busiest first)."""
    by_process = figures.get("app_cpu_s_by_process")
    if not by_process:
        return ""
    connections = figures.get("connections_by_process", {})
    busy = [(pid, s) for pid, s in by_process.items() if s >= 0.01 or connections.get(pid)]
    return "workers %core/conns " + " ".join(
        f"{100 * s / figures['duration_s']:.0f}/{connections.get(pid, '?')}" for pid, s in busy)


def _busiest_share(figures: dict[str, Any]) -> float | None:
    """The busiest server process's share of the server's CPU time in a run (1/N when N workers share evenly)."""
    by_process: dict[str, float] = figures.get("app_cpu_s_by_process") or {}
    total = sum(by_process.values())
    return max(by_process.values()) / total if total else None


def _cpu_text(figures: dict[str, Any]) -> str:
    cpu = figures.get("cpu_ms_per_request")
    if not cpu:
        return "-"
    return f"app {cpu['app']:.1f} + db {cpu['db']:.1f} (+ wrk {cpu['load_tool']:.1f}) ms"


# --- report ------------------------------------------------------------------------------------


def report(out: Path, label: str) -> None:
    data = load_scenarios(out)
    machine_info = json.loads((out / "machine.json").read_text())
    results = [json.loads(p.read_text()) for p in sorted((out / "runs").glob("r*-*.json"))]
    by: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in results:
        by.setdefault((r["scenario"], r["concurrency"]), []).append(r)

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r["latency_us"][key] / 1000 for r in rows)

    def rps(rows: list[dict[str, Any]]) -> float:
        return statistics.median(r["requests"] / r["duration_s"] for r in rows)

    summary: list[dict[str, Any]] = []
    concurrencies = sorted({c for _, c in by})
    for scenario in data["scenarios"]:
        for concurrency in concurrencies:
            rows = by.get((scenario["key"], concurrency))
            hello = by.get(("hello", concurrency))
            if not rows or not hello:
                continue
            row = {
                "key": scenario["key"], "page": scenario["page"], "concurrency": concurrency, "runs": len(rows),
                "p50": med(rows, "p50"), "p95": med(rows, "p95"), "p99": med(rows, "p99"), "rps": rps(rows),
                # p95 ÷ mean latency: the shape of the distribution, which the neighbours' load changes
                # less than the latencies themselves; it grows when some connections wait behind others.
                "p95_over_mean": statistics.median(r["latency_us"]["p95"] / r["latency_us"]["mean"] for r in rows),
                "p95_range": [min(r["latency_us"]["p95"] for r in rows) / 1000,
                              max(r["latency_us"]["p95"] for r in rows) / 1000],
                "not_200": sum(r["not_200"] for r in rows),
                "socket_errors": sum(sum(r["socket_errors"].values()) for r in rows),
                "queries": scenario["queries"],
                "load": [min(r["load_before"][0] for r in rows), max(r["load_after"][0] for r in rows)],
            }
            cpu = [r["cpu_ms_per_request"] for r in rows if r.get("cpu_ms_per_request")]
            if cpu:
                row["cpu_ms"] = {key: statistics.median(c[key] for c in cpu) for key in cpu[0]}
            shares = [share for r in rows if (share := _busiest_share(r)) is not None]
            if shares:
                row["busiest_process_cpu_share"] = statistics.median(shares)
            row["ratio_p50"] = row["p50"] / med(hello, "p50")
            row["ratio_p95"] = row["p95"] / med(hello, "p95")
            if scenario["kind"] in ("queue", "case"):
                row["target"] = f"≤ {TARGET_P95_MS:.0f} ms p95"
                row["met"] = row["p95"] <= TARGET_P95_MS and row["not_200"] == 0
            summary.append(row)
    loads = [r["load_before"][0] for r in results] + [r["load_after"][0] for r in results]
    (out / "summary.json").write_text(json.dumps({"label": label, "machine": machine_info,
                                                  "fixtures": data["fixtures"], "rows": summary,
                                                  "load_average": [min(loads), max(loads)]}, indent=2,
                                                 ensure_ascii=False))
    print(f"{label}: {len(results)} measurements; {machine_info['nproc']} × {machine_info['cpu']}, "
          f"{machine_info['memory_gib']} GiB; commit {machine_info['commit']}"
          f"{' + uncommitted changes' if machine_info['tracked_files_modified'] else ''}; "
          f"{server_text(machine_info)}, form renderer: {machine_info.get('form_renderer')}; "
          f"load average (1 min) {min(loads):.2f}–{max(loads):.2f}")
    print()
    print("| page | concurrency | p50 ms | p95 ms | p99 ms | req/s | × hello p50 / p95 | CPU ms/request: app + DB "
          "(+ wrk) | queries | target | met |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for row in summary:
        queries = row["queries"]
        q = "0" if row["key"] == "hello" else (
            str(queries["max"]) if queries["min"] == queries["max"] else f"{queries['min']}–{queries['max']}")
        met = "" if "met" not in row else ("yes" if row["met"] else "**no**")
        ratio = "1 / 1" if row["key"] == "hello" else f"{row['ratio_p50']:.1f} / {row['ratio_p95']:.1f}"
        bad = f" ({row['not_200']} not 200)" if row["not_200"] else ""
        cpu = row.get("cpu_ms")
        cpu_text = f"{cpu['app']:.1f} + {cpu['db']:.1f} (+ {cpu['load_tool']:.1f})" if cpu else ""
        print(f"| {row['page']}{bad} | {row['concurrency']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} "
              f"| {row['rps']:.0f} | {ratio} | {cpu_text} | {q} | {row.get('target', '')} | {met} |")


def server_text(machine_info: dict[str, Any]) -> str:
    """E.g. "uvicorn 0.54.0, 2 workers" or "gunicorn 27.0.1 gthread, 2 workers × 4 threads"."""
    server = machine_info.get("server", "uvicorn")
    version = machine_info.get("server_version") or server.split("-")[0]
    kind = f" {server.split('-', 1)[1]}" if "-" in server else ""
    threads = f" × {machine_info['threads']} threads" if machine_info.get("threads") else ""
    return f"{version}{kind}, {machine_info.get('workers') or '?'} workers{threads}"


def compare(outs: list[Path]) -> None:
    """Medians per server configuration over several result folders (SERVERS=… bench/http_pages.sh, or
    bench/http_server_ab.sh's runs one after the other).

    A configuration's figure is the median over its folders of each folder's median over its rounds
    (with one folder per configuration: that folder's medians); `runs` counts the measurements. Also
    the ratio to the first configuration's p95, per page and concurrency.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for out in outs:
        summary_file = out / "summary.json"
        if not summary_file.exists():
            print(f"(skipped {out.name}: no summary.json)", file=sys.stderr)
            continue
        summary = json.loads(summary_file.read_text())
        groups.setdefault(server_text(summary["machine"]), []).append(summary)
    if not groups:
        sys.exit("no summary.json in these folders")
    table: dict[tuple[str, str, int], dict[str, float]] = {}
    for config, summaries in groups.items():
        loads = [x for summary in summaries for x in summary["load_average"]]
        print(f"{config}: {len(summaries)} runs ({', '.join(summary['label'] for summary in summaries)}); "
              f"load average (1 min) {min(loads):.2f}–{max(loads):.2f}")
        keys = dict.fromkeys((row["key"], row["concurrency"]) for summary in summaries for row in summary["rows"])
        for key, concurrency in keys:
            rows = [row for summary in summaries for row in summary["rows"]
                    if row["key"] == key and row["concurrency"] == concurrency]
            figures = {name: statistics.median(row[name] for row in rows) for name in ("p50", "p95", "p99", "rps")}
            figures["p95_min"] = min(row["p95_range"][0] for row in rows)  # over every measurement
            figures["p95_max"] = max(row["p95_range"][1] for row in rows)
            figures["runs"] = sum(row["runs"] for row in rows)
            cpu = [row["cpu_ms"] for row in rows if row.get("cpu_ms")]
            if cpu:
                figures["cpu_app"] = statistics.median(c["app"] for c in cpu)
                figures["cpu_db"] = statistics.median(c["db"] for c in cpu)
                figures["cpu_total"] = statistics.median(c["app"] + c["db"] for c in cpu)
            ratios = [row["p95_over_mean"] for row in rows if "p95_over_mean" in row]
            if ratios:
                figures["p95_over_mean"] = statistics.median(ratios)
            shares = [row["busiest_process_cpu_share"] for row in rows if "busiest_process_cpu_share" in row]
            if shares:
                figures["busiest_share"] = statistics.median(shares)
            table[(config, key, concurrency)] = figures
    first = next(iter(groups))
    print()
    print("| server | page | c | runs | p50 ms | p95 ms (min–max) | p99 ms | req/s | CPU ms/req app + DB = total "
          "| p95 ÷ mean | busiest process's CPU share | p95 ÷ first's |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (config, key, concurrency), f in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][2])):
        cpu_text = f"{f['cpu_app']:.1f} + {f['cpu_db']:.1f} = {f['cpu_total']:.1f}" if "cpu_app" in f else ""
        share = f"{100 * f['busiest_share']:.0f} %" if "busiest_share" in f else ""
        shape = f"{f['p95_over_mean']:.2f}" if "p95_over_mean" in f else ""
        base = table.get((first, key, concurrency))
        ratio = f"{f['p95'] / base['p95']:.2f}" if base else ""
        print(f"| {config} | {key} | {concurrency} | {f['runs']} | {f['p50']:.1f} | {f['p95']:.1f} "
              f"({f['p95_min']:.1f}–{f['p95_max']:.1f}) | {f['p99']:.1f} | {f['rps']:.0f} | {cpu_text} | {shape} "
              f"| {share} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["prepare", "check", "run", "report", "profile", "compare"])
    parser.add_argument("--out", type=Path, required=True, action="append",
                        help="result folder (compare: give it once per run)")
    parser.add_argument("--base", default="http://127.0.0.1:8089")
    parser.add_argument("--sample", type=int, default=200, help="case pages per user")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=5, help="seconds per scenario before the first round")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument("--label", default="")
    parser.add_argument("--requests", type=int, default=30, help="profile: requests per scenario")
    parser.add_argument("--top", type=int, default=40,
                        help="profile: functions listed per ordering (0: no cProfile, only the CPU times)")
    parser.add_argument("--server-pid", type=int,
                        help="the server's master process: its and all its descendants' CPU time is measured")
    parser.add_argument("--target", action="append", default=[], metavar="DIR,BASE,PID",
                        help="run: a server under test (results folder, base URL, master process); "
                             "several: each measurement on each in turn. Default: --out, --base, --server-pid")
    parser.add_argument("--postmaster-pid", type=int, help="PostgreSQL's postmaster: its backends' CPU time")
    args = parser.parse_args()
    outs, args.out = args.out, args.out[-1]
    started = time.time()
    if args.command == "prepare":
        prepare(args.out, args.sample, args.seed)
    elif args.command == "check":
        check(args.out, args.base, [k for k in args.only.split(",") if k])
    elif args.command == "run":
        specs = [t.split(",") for t in args.target] or [[str(args.out), args.base, str(args.server_pid or "")]]
        targets = [Target(Path(d), base, CpuMeter(int(pid) if pid else None, args.postmaster_pid))
                   for d, base, pid in specs]
        run(args.out, targets, rounds=args.rounds, duration=args.duration, warmup=args.warmup,
            concurrencies=[int(c) for c in args.concurrency.split(",")], only=[k for k in args.only.split(",") if k])
    elif args.command == "profile":
        profile(args.out, requests=args.requests, only=[k for k in args.only.split(",") if k], top=args.top)
    elif args.command == "compare":
        compare(outs)
    else:
        report(args.out, args.label or args.out.name)
    print(f"({args.command}: {time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
