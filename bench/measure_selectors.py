"""Measure the selectors behind the queue page, the case page and search on the bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:54330/civicdesk_bench \\
    DJANGO_SETTINGS_MODULE=config.settings.local \\
        .venv/bin/python bench/measure_selectors.py [--runs 50] [--warmup 5] [--no-explain]

Every run is one "request": the user is loaded afresh from the database (as the authentication
middleware does), so the permission resolver's membership queries (`access_for`) are part of
each measured call, never served from the cache on a reused user object. Each scenario reports
two figures:

* selector: the selector call(s) alone, including `access_for`'s queries;
* request: the same plus the user load (and, for the queue page, the view's lookup of the group
  through `service_groups_visible_to`) — what the page costs in the database, minus the session
  lookup and rendering (nothing is rendered).

Timing uses time.perf_counter over --runs runs after --warmup runs; query counts come from
django.test.utils.CaptureQueriesContext. Results: a markdown table on stdout, JSON (with the
EXPLAIN (ANALYZE, BUFFERS) plans of the main queries) in bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from civicdesk.accounts.models import GroupMembership, Membership, Role, User  # noqa: E402
from civicdesk.accounts.permissions import service_groups_visible_to  # noqa: E402
from civicdesk.cases import selectors  # noqa: E402
from civicdesk.cases.models import Case  # noqa: E402
from civicdesk.organizations.models import ServiceGroup  # noqa: E402

# Free-text queries (match counts at 1M cases, seed 1, in brackets): a word in 15 % of the cases,
# one in 7 %, one in 1 %, a rare street name, a two-word query (websearch: both words) and a word
# that matches nothing. A nearly unique word (a registration plate) is picked from the data.
DEFAULT_TEXT_QUERIES = {
    "very common word (15 %)": "pyörätie",  # [149 268]
    "common word (7 %)": "roskia",  # [70 178]
    "less common word (1 %)": "katuvalo",  # [10 530]
    "rare street name": "Ilvesportti",  # [35]
    "two words": "kuoppa pyörätie",  # [7 555]
    "no match": "ksylofoni",  # [0]
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def classify(sql: str) -> str:
    if 'FROM "accounts_user"' in sql and '"accounts_user"."id" =' in sql and "JOIN" not in sql:
        return "user"
    if "accounts_membership" in sql or "accounts_groupmembership" in sql:
        return "access"
    if 'FROM "organizations_servicegroup"' in sql:
        return "group"
    return "selector"


class Scenario:
    def __init__(self, name: str, call: Callable[[int], dict[str, Any]], target_ms: float | None = None,
                 target_queries: int | None = None, note: str = "") -> None:
        self.name = name
        self.call = call
        self.target_ms = target_ms
        self.target_queries = target_queries
        self.note = note


def timed(fn: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """Run fn, returning its result and {"selector_ms", "selector_queries", "db_ms"} for the report.

    db_ms is the time spent inside cursor.execute (sending the query, the server's work, the
    round trip and receiving the rows); the rest of selector_ms is Python (the ORM building
    the SQL and the model instances).
    """
    in_db = [0.0]

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db[0] += time.perf_counter() - started

    with connection.execute_wrapper(timer), CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = fn()
        elapsed = (time.perf_counter() - started) * 1000
    return result, {"selector_ms": elapsed, "selector_queries": len(captured.captured_queries),
                    "db_ms": in_db[0] * 1000}


def measure(scenario: Scenario, runs: int, warmup: int) -> dict[str, Any]:
    for i in range(warmup):
        connection.queries_log.clear()
        scenario.call(-1 - i)
    request_ms: list[float] = []
    selector_ms: list[float] = []
    selector_queries: list[int] = []
    db_ms: list[float] = []
    counts: dict[str, list[int]] = {}
    sample_sql: list[str] = []
    extra: dict[str, Any] = {}
    for i in range(runs):
        connection.queries_log.clear()  # a bounded deque: keep CaptureQueriesContext's slicing right
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            info = scenario.call(i)
            request_ms.append((time.perf_counter() - started) * 1000)
        selector_ms.append(info.pop("selector_ms"))
        selector_queries.append(info.pop("selector_queries"))
        db_ms.append(info.pop("db_ms"))
        kinds: dict[str, int] = {"user": 0, "access": 0, "group": 0, "selector": 0}
        for q in captured.captured_queries:
            kinds[classify(q["sql"])] += 1
        for k, v in kinds.items():
            counts.setdefault(k, []).append(v)
        if i == 0:
            sample_sql = [q["sql"] for q in captured.captured_queries]
        for k, v in info.items():
            extra.setdefault(k, []).append(v)
    request_queries = [sum(c) for c in zip(*counts.values(), strict=True)]
    return {
        "name": scenario.name,
        "runs": runs,
        "selector_ms": {"p50": percentile(selector_ms, 0.5), "p95": percentile(selector_ms, 0.95),
                        "max": max(selector_ms), "mean": statistics.fmean(selector_ms)},
        "db_ms": {"p50": percentile(db_ms, 0.5), "p95": percentile(db_ms, 0.95)},
        "request_ms": {"p50": percentile(request_ms, 0.5), "p95": percentile(request_ms, 0.95),
                       "max": max(request_ms), "mean": statistics.fmean(request_ms)},
        "selector_queries": {"min": min(selector_queries), "max": max(selector_queries)},
        "request_queries": {"min": min(request_queries), "max": max(request_queries)},
        "query_kinds": {k: max(v) for k, v in counts.items()},
        "target_ms": scenario.target_ms,
        "target_queries": scenario.target_queries,
        "note": scenario.note,
        "extra": {k: ({"min": min(v), "max": max(v)} if isinstance(v[0], int | float) else sorted(set(v))[:5])
                  for k, v in extra.items()},
        "selector_ms_all": [round(x, 3) for x in selector_ms],
        "sample_sql": sample_sql,
    }


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def fresh_user(pk: int) -> User:
    return User.objects.get(pk=pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--label", default="", help="a label for the result file (e.g. run1)")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point to the bench PostgreSQL (see bench/pg.sh).")
    rnd = random.Random(args.seed)

    total_cases = Case.objects.count()
    open_by_group = list(
        Case.objects.open().values("owner_group_id").annotate(n=Count("id")).order_by("-n", "owner_group_id")
    )
    largest = open_by_group[0]
    median = open_by_group[len(open_by_group) // 2]
    groups = {"largest": largest, "median": median}

    def expert_of(group_id: int) -> int:
        experts = set(Membership.objects.filter(role=Role.EXPERT).values_list("user_id", flat=True))
        others = set(Membership.objects.exclude(role=Role.EXPERT).values_list("user_id", flat=True))
        members = GroupMembership.objects.filter(service_group_id=group_id).order_by("user_id")
        return next(m.user_id for m in members if m.user_id in experts and m.user_id not in others)

    advisor_id = Membership.objects.filter(role=Role.SERVICE_ADVISOR).order_by("user_id").first().user_id
    fixtures: dict[str, Any] = {"cases": total_cases, "advisor": advisor_id, "groups": {}}
    for label, row in groups.items():
        group = ServiceGroup.objects.get(pk=row["owner_group_id"])
        fixtures["groups"][label] = {"id": group.pk, "name": group.name, "open_cases": row["n"],
                                     "all_cases": Case.objects.filter(owner_group=group).count(),
                                     "expert": expert_of(group.pk)}

    # Random cases for the case page (a different one per run), and customers for the lookups.
    max_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    sample_ids = [rnd.randint(1, max_id) for _ in range(args.runs + args.warmup + 10)]
    # Advisors cannot see cases with special categories of personal data: leave those out.
    references = list(Case.objects.filter(pk__in=sample_ids, contains_special_categories=False)
                      .values_list("reference", flat=True))
    rnd.shuffle(references)
    heavy_email = (Case.objects.exclude(customer_email="").values("customer_email").annotate(n=Count("id"))
                   .order_by("-n").first())
    some_emails = list(Case.objects.filter(pk__in=sample_ids).exclude(customer_email="")
                       .values_list("customer_email", flat=True))
    fixtures["heavy_email_cases"] = heavy_email["n"] if heavy_email else 0

    scenarios: list[Scenario] = []

    def calibration(_i: int) -> dict[str, Any]:
        def work() -> Any:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                return cursor.fetchone()

        _row, figures = timed(work)
        return figures

    scenarios.append(Scenario("calibration: one trivial query (SELECT 1), to gauge the machine's noise", calibration,
                              note="a quiet machine answers in ~0.1 ms"))

    def queue_scenario(label: str, page: int, as_advisor: bool = False) -> Scenario:
        info = fixtures["groups"][label]
        user_id = advisor_id if as_advisor else info["expert"]

        group = ServiceGroup.objects.get(pk=info["id"])

        def call(_i: int) -> dict[str, Any]:
            user = fresh_user(user_id)
            result, figures = timed(lambda: selectors.cases_in_queue(
                user=user, service_group=group, status_filter="open", sort="last_activity", page=page))
            # The view's own lookup of the group. In the view it comes first and resolves the
            # access, which the selector then reuses; here the selector resolves it, so that its
            # own figure includes the membership queries. Same queries in all.
            service_groups_visible_to(user).filter(pk=info["id"]).first()
            return {**figures, "rows": len(result.cases), "total": result.total}

        who = "advisor" if as_advisor else "expert member"
        return Scenario(f"queue: {label} group ({info['open_cases']:,} open), page {page}, {who}", call,
                        target_ms=20, target_queries=6)

    for label in ("largest", "median"):
        for page in (1, 100):
            scenarios.append(queue_scenario(label, page))
    scenarios.append(queue_scenario("largest", 1, as_advisor=True))

    def all_contacts_scenario(page: int, words: str = "") -> Scenario:
        organization_id = ServiceGroup.objects.get(pk=fixtures["groups"]["largest"]["id"]).organization_id

        def call(_i: int) -> dict[str, Any]:
            user = fresh_user(advisor_id)
            filters = selectors.QueueFilters(text=words) if words else None
            result, figures = timed(lambda: selectors.cases_of_organization(
                user=user, organization_id=organization_id, status_filter="open", sort="last_activity", page=page,
                filters=filters))
            return {**figures, "rows": len(result.cases), "total": result.total}

        suffix = f", words «{words}»" if words else ""
        return Scenario(f"all contacts (advisor): open cases, page {page}{suffix}", call)

    scenarios.append(all_contacts_scenario(1))
    scenarios.append(all_contacts_scenario(100))
    scenarios.append(all_contacts_scenario(1, DEFAULT_TEXT_QUERIES["common word (7 %)"]))

    def case_page(i: int) -> dict[str, Any]:
        user = fresh_user(advisor_id)
        reference = references[i % len(references)]

        def work() -> Any:
            case = selectors.case_get_for_user(user=user, reference=reference)
            return selectors.case_detail(case=case)

        detail, figures = timed(work)
        return {**figures, "timeline": len(detail.timeline)}

    scenarios.append(Scenario("case page: case_get_for_user + case_detail (advisor, random case)", case_page,
                              target_ms=20))

    largest_id = fixtures["groups"]["largest"]["id"]
    expert_refs = list(Case.objects.filter(owner_group_id=largest_id, contains_special_categories=False,
                                           pk__in=[rnd.randint(1, max_id) for _ in range(20_000)])
                       .values_list("reference", flat=True)[: args.runs + args.warmup + 5])

    def case_page_expert(i: int) -> dict[str, Any]:
        user = fresh_user(fixtures["groups"]["largest"]["expert"])
        reference = expert_refs[i % len(expert_refs)]

        def work() -> Any:
            case = selectors.case_get_for_user(user=user, reference=reference)
            return selectors.case_detail(case=case)

        detail, figures = timed(work)
        return {**figures, "timeline": len(detail.timeline)}

    scenarios.append(Scenario("case page: same, expert member of the owner group", case_page_expert, target_ms=20))

    def case_extras(i: int) -> dict[str, Any]:
        user = fresh_user(advisor_id)
        case = selectors.case_get_for_user(user=user, reference=references[i % len(references)])
        (same, near), figures = timed(lambda: (selectors.cases_of_same_customer(user=user, case=case, limit=10),
                                               selectors.cases_nearby(user=user, case=case, limit=10)))
        return {**figures, "same_customer": len(same), "nearby": len(near)}

    scenarios.append(Scenario("case page extras: cases_of_same_customer + cases_nearby (advisor)", case_extras,
                              note="also on the case page; no target in the issue"))

    def search_scenario(label: str, query: str, user_id: int, who: str, target: float | None = 150) -> Scenario:
        def call(_i: int) -> dict[str, Any]:
            user = fresh_user(user_id)
            found, figures = timed(lambda: selectors.cases_search(user=user, query=query, language="fi"))
            return {**figures, "rows": len(found)}

        return Scenario(f"search ({who}): {label} «{query}»", call, target_ms=target)

    plate_row = (Case.objects.filter(pk__gte=max_id // 2, description__contains="Rekisterinumero ")
                 .order_by("pk").values_list("description", flat=True).first())
    plate = re.search(r"Rekisterinumero ([A-Z]{3}-\d+)", plate_row or "")
    if plate:
        DEFAULT_TEXT_QUERIES["unique word (a plate)"] = plate.group(1)
    for label, query in DEFAULT_TEXT_QUERIES.items():
        scenarios.append(search_scenario(label, query, advisor_id, "advisor"))
    expert_largest = fixtures["groups"]["largest"]["expert"]
    scenarios.append(search_scenario("common word (7 %)", DEFAULT_TEXT_QUERIES["common word (7 %)"], expert_largest,
                                     "expert"))
    scenarios.append(search_scenario("rare street name", DEFAULT_TEXT_QUERIES["rare street name"], expert_largest,
                                     "expert"))
    if references:
        scenarios.append(search_scenario("reference", references[0], advisor_id, "advisor"))
    if heavy_email:
        scenarios.append(search_scenario(f"email with {heavy_email['n']:,} cases", heavy_email["customer_email"],
                                         advisor_id, "advisor"))
    if some_emails:
        scenarios.append(search_scenario("email (random customer)", some_emails[0], advisor_id, "advisor"))

    if args.only:
        scenarios = [s for s in scenarios if args.only in s.name]

    # How many cases each free-text query matches (not timed).
    matches: dict[str, int] = {}
    from django.contrib.postgres.search import SearchQuery

    for query in DEFAULT_TEXT_QUERIES.values():
        text_query = SearchQuery(query, config="finnish", search_type="websearch") | SearchQuery(
            query, config="simple", search_type="websearch")
        matches[query] = Case.objects.filter(search_vector=text_query).count()
    fixtures["text_matches"] = matches

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0]
        settings_rows = {}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit",
                     "max_parallel_workers_per_gather", "synchronous_commit"):
            cursor.execute(f"SHOW {name}")
            settings_rows[name] = cursor.fetchone()[0]

    load_before = os.getloadavg()
    print(f"cases: {total_cases:,}; groups: {json.dumps(fixtures['groups'], ensure_ascii=False)}")
    print(f"text matches: {matches}")
    results = []
    for scenario in scenarios:
        result = measure(scenario, args.runs, args.warmup)
        results.append(result)
        sel = result["selector_ms"]
        print(f"{result['name'][:88]:88} p50 {sel['p50']:7.1f}  p95 {sel['p95']:7.1f}"
              f"  max {sel['max']:7.1f} ms  q {result['selector_queries']['max']}"
              f"  | request p50 {result['request_ms']['p50']:6.1f} p95 {result['request_ms']['p95']:6.1f}"
              f" q {result['request_queries']['max']}", flush=True)

    plans: dict[str, list[dict[str, str]]] = {}
    if not args.no_explain:
        for result in results:
            wanted = []
            for sql in result["sample_sql"]:
                kind = classify(sql)
                if kind != "selector" or not sql.lstrip().upper().startswith("SELECT"):
                    continue
                wanted.append(sql)
            plans[result["name"]] = [{"sql": sql, "plan": explain(sql)} for sql in wanted]

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_gb = round(int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 2**20, 1)
    environment = {"load_average_before": load_before, "load_average_after": os.getloadavg(),
                   "nproc": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "postgres": pg_version,
                   "settings": settings_rows, "python": platform.python_version(), "django": django.get_version()}

    print()
    print(f"Cases: {total_cases:,} — {environment['nproc']} × {cpu}, {mem_gb} GB — "
          f"{pg_version.split(' on ')[0]} — load average before {load_before[0]:.1f}, "
          f"after {environment['load_average_after'][0]:.1f}")
    print()
    print("| scenario | p50 ms | p95 ms | max ms | of p50: in DB | queries | request p50 / p95 ms | request queries "
          "| target | met |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        target = ""
        met = ""
        if r["target_ms"] is not None:
            target = f"≤ {r['target_ms']:g} ms p95"
            ok = r["selector_ms"]["p95"] <= r["target_ms"]
            if r["target_queries"] is not None:
                target += f", ≤ {r['target_queries']} q"
                ok = ok and r["selector_queries"]["max"] <= r["target_queries"]
            met = "yes" if ok else "**no**"
        q = r["selector_queries"]
        queries = str(q["max"]) if q["min"] == q["max"] else f"{q['min']}–{q['max']}"
        rq = r["request_queries"]
        rqueries = str(rq["max"]) if rq["min"] == rq["max"] else f"{rq['min']}–{rq['max']}"
        sel, req = r["selector_ms"], r["request_ms"]
        print(f"| {r['name']} | {sel['p50']:.1f} | {sel['p95']:.1f} | {sel['max']:.1f} | {r['db_ms']['p50']:.1f} "
              f"| {queries} | {req['p50']:.1f} / {req['p95']:.1f} | {rqueries} | {target} | {met} |")

    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = f"-{args.label}" if args.label else ""
    out = out_dir / f"measure-{total_cases}-{stamp}{suffix}.json"
    out.write_text(json.dumps({"environment": environment, "fixtures": fixtures, "runs": args.runs,
                               "warmup": args.warmup, "results": results, "plans": plans},
                              indent=2, ensure_ascii=False, default=str))
    if plans:
        plan_file = out_dir / f"plans-{total_cases}-{stamp}{suffix}.txt"
        with plan_file.open("w") as fh:
            for name, items in plans.items():
                fh.write(f"\n===== {name}\n")
                for item in items:
                    fh.write(f"\n-- {item['sql']}\n{item['plan']}\n")
        print(f"\nplans: {plan_file}")
    print(f"written {out}")


if __name__ == "__main__":
    main()
