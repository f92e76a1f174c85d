"""Where a staff page's CPU goes, in-process: the whole request, the case selectors, SQL execution, templates.

    DJANGO_SETTINGS_MODULE=bench.settings_http DATABASE_URL=… REDIS_URL=… SECRET_KEY=… \
        .venv/bin/python bench/http_pages_breakdown.py OUT queue-p1,all-contacts,case-expert,case-advisor [N]

OUT is a folder written by `bench/http_pages.py prepare --out OUT` with the same SECRET_KEY (its
sessions are signed with it), against the bench PostgreSQL (`bench/pg.sh start`) and a Redis. For each
scenario: the median CPU ms per request of N requests (default 20), and the mean CPU ms per request
spent in each list/case selector, in executing SQL (client side) and in rendering templates.
"""

from __future__ import annotations

import collections
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SELECTORS = ("cases_in_queue", "cases_of_organization", "case_detail", "cases_nearby", "cases_of_same_customer",
             "case_get_for_user")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.template.backends import django as django_backend
    from django.test import Client

    from civicdesk.cases import selectors

    out, only = Path(sys.argv[1]), sys.argv[2].split(",")
    requests = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    spent: collections.Counter[str] = collections.Counter()

    def timed(label: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.process_time() - started
        return wrapper

    for name in SELECTORS:
        setattr(selectors, name, timed(f"sel:{name}", getattr(selectors, name)))
    render, depth = django_backend.Template.render, [0]

    def render_outermost(self: Any, *args: Any, **kwargs: Any) -> Any:  # included templates count once
        depth[0] += 1
        started = time.process_time()
        try:
            return render(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent["template"] += time.process_time() - started

    django_backend.Template.render = render_outermost  # type: ignore[method-assign]

    def execute(run: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.process_time()
        try:
            return run(sql, params, many, context)
        finally:
            spent["sql_execute"] += time.process_time() - started
            spent["queries"] += 1

    scenarios = json.loads((out / "scenarios.json").read_text())["scenarios"]
    for scenario in (s for s in scenarios if s["key"] in only):
        client = Client(SERVER_NAME="127.0.0.1")
        if scenario["cookie"]:
            name, value = scenario["cookie"].split("=", 1)
            client.cookies[name] = value
        paths = Path(scenario["paths_file"]).read_text().split()
        for path in paths[:3]:
            client.get(path)
        totals = []
        spent.clear()
        with connection.execute_wrapper(execute):
            for i in range(requests):
                started = time.process_time()
                response = client.get(paths[i % len(paths)])
                if response.status_code != 200:
                    sys.exit(f"{scenario['key']}: {response.status_code}")
                totals.append(time.process_time() - started)
        parts = " ".join(f"q={value / requests:.0f}" if key == "queries" else f"{key}={value * 1000 / requests:.1f}"
                         for key, value in sorted(spent.items()))
        print(f"{scenario['key']} total median {statistics.median(totals) * 1000:.1f} ms {parts}", flush=True)


if __name__ == "__main__":
    main()
