"""The staff pages' CPU per request in one process: the application's, PostgreSQL's, and Python calls.

    DJANGO_SETTINGS_MODULE=bench.settings_http DATABASE_URL=… REDIS_URL=… SECRET_KEY=… PYTHONPATH=CHECKOUT \
        sh -c 'cd CHECKOUT && .venv/bin/python bench/staff_pages_cpu.py OUT [SCENARIOS] [N]'

OUT is a folder written by `bench/http_pages.py prepare --out OUT` with the same SECRET_KEY (its sessions
are signed with it), against the bench PostgreSQL (`bench/pg.sh start`) and a Redis. SCENARIOS is a
comma-separated list of its scenario keys (default: queue-p1,all-contacts,case-expert,case-advisor), N
the requests per scenario (default 60). Run from another checkout (its folder the working directory and
PYTHONPATH: the project is installed editable, and the working directory comes first), it measures that
checkout's code against the same database and sessions: a before/after comparison in one session. Each
line says whose code ran (`code`).

For each scenario, through Django's test client with the production settings:
- app CPU ms: the median of N requests' CPU time in this process (time.process_time);
- PostgreSQL CPU ms: the CPU its backend serving this process spent, per request (from /proc);
- Python calls: per request, counted by cProfile over N more requests — repeatable where timings on a
  shared machine are not;
- queries: SQL statements of one request.
One JSON line per scenario goes to stdout.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _backend_cpu_ms(connection: Any) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(scenario: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """One scenario's figures (see the module's docstring)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    if scenario["cookie"]:
        name, value = scenario["cookie"].split("=", 1)
        client.cookies[name] = value

    def get(path: str) -> None:
        if client.get(path).status_code != 200:
            sys.exit(f"{scenario['key']}: {path} did not answer 200")

    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    for path in paths[:5]:
        get(path)
    with connection.execute_wrapper(count):  # (the pool hands out connections anew per request)
        get(paths[0])
    times = []
    database_before = _backend_cpu_ms(connection)
    for path in paths:
        started = time.process_time()
        get(path)
        times.append((time.process_time() - started) * 1000)
    database_ms = (_backend_cpu_ms(connection) - database_before) / len(paths)
    profiler = cProfile.Profile()
    profiler.enable()
    for path in paths:
        get(path)
    profiler.disable()
    calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    return {
        "requests": len(paths), "app_cpu_ms_median": round(statistics.median(times), 2),
        "app_cpu_ms_min": round(min(times), 2), "postgres_cpu_ms": round(database_ms, 2),
        "python_calls": round(calls / len(paths)), "queries": len(statements),
    }


def main() -> None:
    import django

    django.setup()
    import civicdesk

    out = Path(sys.argv[1])
    keys = (sys.argv[2] if len(sys.argv) > 2 else "queue-p1,all-contacts,case-expert,case-advisor").split(",")
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    scenarios = {s["key"]: s for s in json.loads((out / "scenarios.json").read_text())["scenarios"]}
    for key in keys:
        listed = Path(out / f"{key}.paths").read_text().split()
        figures = measure(scenarios[key], [listed[i % len(listed)] for i in range(requests)])
        print(json.dumps({
            "scenario": key, **figures, "load": round(os.getloadavg()[0], 2),
            "code": str(Path(civicdesk.__file__).parents[1]),
        }), flush=True)


if __name__ == "__main__":
    main()
