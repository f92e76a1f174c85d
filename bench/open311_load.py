"""Helper of bench/open311_load.sh: the Open311 API over HTTP under load, beside a hello-world view.

    open311_load.py prepare --out DIR   # Django on the bench database: services, publication, key, URLs, bodies
    open311_load.py run     --out DIR --base http://127.0.0.1:PORT [--rounds 3] [--duration 15] [--concurrency 8,16]
    open311_load.py report  --out DIR [--label ...]   # medians over the rounds: markdown + summary.json
    open311_load.py drain   --out DIR   # after the load: make the accepted contacts' cases, check none was lost

`prepare` makes the 1M-case database an Open311 jurisdiction, reproducibly and idempotently:
- every active category gets its own `code` as its Open311 service code where it has none;
- publication: the generator publishes ~2.4 % of the cases (4 % of the closed ones). A city that
  publishes through Open311 and a public map publishes far more; the bench publishes every case
  whose id ends in 00–24 (25 %) that is not merged and holds no special categories, with its
  title and the first 500 characters of its description as public texts (they are generated, not
  real residents' words), then ANALYZEs the table. Cases already published stay as they are;
- an API client "bench <DIR's name>" with a rate limit far above the load (its key goes to
  DIR/key.txt);
- ~400 GET paths: a bounding box of ~1.5 × 1 km around published points (those whose id is a
  multiple of 491), and a status filter (open, closed, or both, seeded);
- 2 000 POST bodies: a random service, a generated description, a point in the city, and for
  half of them an email address (so a receipt mail is queued too).

`run` drives wrk with bench/open311_load.lua: hello world, then GET requests, then POST requests,
at each concurrency, for a fixed duration, round after round. Each measurement is one JSON file in
DIR/runs/ with the load average; after the POST runs it checks that the number of cases grew by
exactly the number of 200 answers: with deferred contacts (ADR 0022) a contact is an accepted row
during the load (no worker runs), so the count is cases plus rows still waiting.

`drain` (after the load, the script runs it) makes the cases of every waiting accepted contact in
this process (`accepted_contacts_drain`; their routing and receipts are queued to the bench's Redis,
where no worker takes them, as the POSTs queued them before), timing it, and checks that every row
accepted since `run` began became exactly one case with its token and that none failed
(DIR/drain.json, shown by `report`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "open311_load.lua"
PUBLISHED_SHARE_PERCENT = 25
TARGETS = {"post": ("≥ 200 contacts/s, p95 ≤ 100 ms", 100.0), "get": ("p95 ≤ 80 ms", 80.0)}
WORDS = ("kuoppa", "katuvalo", "roskis", "penkki", "liukas", "lumi", "puu", "kyltti", "graffiti", "vesi")


def _django() -> Any:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_open311")
    import django

    django.setup()
    return django


def prepare(out: Path, seed: int) -> None:
    _django()
    from django.db import connection, transaction
    from django.db.models import Count, Q
    from django.db.models.functions import Mod

    from civicdesk.accounts.api_keys import api_client_create
    from civicdesk.accounts.models import ApiClient
    from civicdesk.cases.models import Case, Category
    from civicdesk.organizations.models import Organization

    rnd = random.Random(seed)
    organization = Organization.objects.order_by("pk").first()
    assert organization is not None, "the bench database has no organisation (run bench/generate_cases.py)"
    coded = Category.objects.filter(organization=organization, is_active=True, open311_service_code="")
    print(f"service codes set on {coded.count()} categories")
    for category in coded:
        category.open311_service_code = category.code[:50]
        category.save(update_fields=["open311_service_code"])

    started = time.monotonic()
    # The publication is a full scan of the cases (~1 min at 1M, more under load). Once a database is an
    # Open311 jurisdiction it is skipped: cases posted by earlier runs stay unpublished, which changes
    # neither the GET paths (published points) nor the POSTs. OPEN311_REPUBLISH=1 runs it again.
    # Whether the first 100 000 cases hold one the publication would publish: after it, none.
    first = Case.objects.filter(organization=organization).order_by("id").values_list("id", flat=True).first() or 0
    unpublished = (
        Case.objects.filter(organization=organization, id__lt=first + 100_000, is_published=False,
                            contains_special_categories=False, merged_into__isnull=True)
        .annotate(sample=Mod("id", 100)).filter(sample__lt=PUBLISHED_SHARE_PERCENT).exists()
    )
    updated = 0
    if unpublished or os.environ.get("OPEN311_REPUBLISH") == "1":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE cases_case SET is_published = true, published_at = last_activity_at,
                       public_title = title, public_text = left(description, 500),
                       public_answer = CASE WHEN status = 'closed' THEN 'Kiitos palautteesta. Asia on käsitelty.'
                                            ELSE '' END
                 WHERE NOT is_published AND NOT contains_special_categories AND merged_into_id IS NULL
                   AND organization_id = %s AND id %% 100 < %s
                """,
                [organization.pk, PUBLISHED_SHARE_PERCENT],
            )
            updated = cursor.rowcount
    else:
        print("the publication was applied before; skipped (OPEN311_REPUBLISH=1 runs its UPDATE again)")
    if updated:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
    counts = Case.objects.filter(organization=organization).aggregate(
        total=Count("id"), published=Count("id", filter=Q(is_published=True)),
        located=Count("id", filter=Q(is_published=True, lat__isnull=False)),
    )
    print(f"published {updated} more cases in {time.monotonic() - started:.0f} s: {counts}")

    # A client of this run's own: another run preparing meanwhile on the shared bench database would
    # otherwise delete the key this run's bodies carry (every POST then answers 403).
    name = f"bench {out.name}"[:100]
    ApiClient.objects.filter(organization=organization, name=name).delete()
    _client, key = api_client_create(organization=organization, name=name, rate_limit="9999999/m")
    (out / "key.txt").write_text(key)

    services = list(
        Category.objects.filter(organization=organization, is_active=True).exclude(open311_service_code="")
        .values_list("open311_service_code", flat=True)
    )
    # Every published, located case whose id is a multiple of 491: ~400 points, the same on every run.
    points = list(
        Case.objects.filter(organization=organization, is_published=True, lat__isnull=False)
        .annotate(sample=Mod("id", 491)).filter(sample=0).order_by("id").values_list("lat", "lon")[:400]
    )
    paths = []
    for lat, lon in points:
        south, north = lat - 0.0045, lat + 0.0045  # ~1 km
        west, east = lon - 0.0135, lon + 0.0135  # ~1.5 km at 60° N
        status = rnd.choice(["open", "closed", "open,closed"])
        query = urllib.parse.urlencode({"bbox": f"{west:.5f},{south:.5f},{east:.5f},{north:.5f}", "status": status})
        paths.append(f"/open311/v2/requests.json?{query}")
    (out / "get_paths.txt").write_text("\n".join(paths) + "\n")

    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    # The questions the residents' form requires (bench/portal_load.py's topics have one) are answered
    # as attributes, as an app that read the service definition would; the API itself requires none.
    from civicdesk.api.representations import question_code
    from civicdesk.api.selectors import service_questions
    from civicdesk.intake.models import QuestionKind

    answer = {QuestionKind.YES_NO: "false", QuestionKind.CHOICE: "1", QuestionKind.NUMBER: "1",
              QuestionKind.DATE: "2026-01-01"}
    questions = service_questions(organization)
    required = {
        code: {f"attribute[{question_code(q)}]": answer.get(q.kind, "bench")
               for q in questions.get(pk, []) if q.required}
        for pk, code in Category.objects.filter(organization=organization, open311_service_code__in=services)
        .values_list("pk", "open311_service_code")
    }
    bodies = []
    for n in range(2000):
        service = rnd.choice(services)
        fields = {
            "api_key": key, "service_code": service,
            "description": f"{rnd.choice(WORDS).capitalize()} {' '.join(rnd.choices(WORDS, k=12))}. Bench {n}.",
            "lat": f"{rnd.uniform(min(lats), max(lats)):.6f}", "long": f"{rnd.uniform(min(lons), max(lons)):.6f}",
            **required.get(service, {}),
        }
        if n % 2:
            fields["email"] = f"bench{n}@example.invalid"
        bodies.append(urllib.parse.urlencode(fields))
    (out / "post_bodies.txt").write_text("\n".join(bodies) + "\n")
    (out / "prepare.json").write_text(json.dumps({"counts": counts, "published_now": updated,
                                                  "services": len(services), "seed": seed}, indent=2))


def _psql(query: str) -> str:
    output = subprocess.run([str(ROOT / "bench" / "pg.sh"), "psql", "-Atc", query],
                            capture_output=True, text=True, check=True)
    return output.stdout.strip()


def _cases_count(channel: str = "mobile_app") -> int:
    """Contacts of the channel: cases, plus accepted contacts whose case is not made yet (ADR 0022).

    Only one channel: another benchmark may be creating cases (the form's) meanwhile."""
    cases = int(_psql(f"SELECT count(*) FROM cases_case WHERE channel = '{channel}'"))
    waiting = _psql("SELECT CASE WHEN to_regclass('intake_acceptedcontact') IS NULL THEN 0 ELSE "
                    f"(SELECT count(*) FROM intake_acceptedcontact WHERE channel = '{channel}' "
                    "AND state = 'accepted') END")
    return cases + int(waiting)


def accepted_mark(out: Path) -> None:
    """Remember the last accepted contact before the load, so `drain` checks only this run's."""
    last = _psql("SELECT CASE WHEN to_regclass('intake_acceptedcontact') IS NULL THEN 0 ELSE "
                 "(SELECT coalesce(max(id), 0) FROM intake_acceptedcontact) END")
    (out / "accepted_mark.json").write_text(json.dumps({"last_id": int(last or 0)}))


def drain_and_check(out: Path, *, channel: str) -> dict[str, Any]:
    """Make the cases of the contacts accepted during the load and check each became exactly one case."""
    _django()
    from django.db.models import Count

    from civicdesk.cases.models import Case
    from civicdesk.intake.accepted_contacts import accepted_contacts_drain
    from civicdesk.intake.models import AcceptedContact, AcceptedState

    marked = out / "accepted_mark.json"
    mark = json.loads(marked.read_text())["last_id"] if marked.exists() else 0
    rows = AcceptedContact.objects.filter(pk__gt=mark, channel=channel)
    waiting = rows.filter(state=AcceptedState.ACCEPTED).count()
    started, cpu_started = time.perf_counter(), time.process_time()
    # The cases only: their follow-ups (routing, the receipt) are queued to the bench's Redis, where
    # no worker takes them, as the POSTs queued them before ADR 0022. A row that met a passing
    # database error (a deadlock with another benchmark's writer) waits for the next pass, as it would
    # for the beat's next drain.
    made, passes = 0, 0
    while passes < 5:
        passes += 1
        made_now = accepted_contacts_drain()
        made += made_now
        if not made_now or not AcceptedContact.objects.filter(state=AcceptedState.ACCEPTED).exists():
            break
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    states = dict(rows.values_list("state").annotate(n=Count("id")))
    tokens = list(rows.values_list("tracking_token", flat=True))
    case_ids = list(rows.exclude(case=None).values_list("case_id", flat=True))
    matched = sum(Case.objects.filter(tracking_token__in=tokens[i:i + 1000]).count()
                  for i in range(0, len(tokens), 1000))
    result = {
        "channel": channel, "accepted_rows": len(tokens), "waiting_before_drain": waiting, "made_by_drain": made,
        "passes": passes,
        "drain_seconds": round(seconds, 2), "drain_per_second": round(made / seconds, 1) if seconds and made else 0,
        "drain_cpu_ms_per_case": round(cpu * 1000 / made, 1) if made else 0,
        "states_after": states, "distinct_cases": len(set(case_ids)), "cases_with_the_tokens": matched,
    }
    result["every_row_one_case"] = (states.get(AcceptedState.DONE, 0) == len(tokens) == len(set(case_ids))
                                    == len(case_ids) == matched)
    (out / "drain.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return result


def _wrk(*, base: str, env: dict[str, str], concurrency: int, duration: int, result: Path, path: str,
         meter: Any = None) -> dict[str, Any]:
    command = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{duration}s", "--timeout", "10s", "--latency",
               "-s", str(LUA), f"{base}{path}"]
    before = meter.sample() if meter else None
    subprocess.run(command, env={**os.environ, **env, "BENCH_RESULT": str(result)}, check=True,
                   capture_output=True, timeout=duration + 60)
    figures = json.loads(result.read_text())
    if meter and before and figures["requests"]:
        # CPU of the server's processes and of their PostgreSQL backends (bench/http_pages.py's meter).
        spent = meter.spent(before, meter.sample())
        figures["cpu_ms_per_request"] = {k: seconds * 1000 / figures["requests"] for k, seconds in spent.items()}
    return figures


def run(*, out: Path, base: str, rounds: int, duration: int, warmup: int, concurrency: list[int],
        server_pid: int | None = None, postmaster_pid: int | None = None) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from http_pages import CpuMeter

    meter = CpuMeter(server_pid, postmaster_pid) if server_pid else None
    runs = out / "runs"
    runs.mkdir(exist_ok=True)
    hello = out / "hello_paths.txt"
    hello.write_text("/hello\n")
    scenarios = [
        ("hello", {"BENCH_PATHS": str(hello)}, "/hello"),
        ("get", {"BENCH_PATHS": str(out / "get_paths.txt")}, "/"),
        ("post", {"BENCH_BODIES": str(out / "post_bodies.txt")}, "/open311/v2/requests.json"),
    ]
    accepted_mark(out)
    for name, env, path in scenarios:  # warm every worker's caches and connections
        _wrk(base=base, env=env, concurrency=4, duration=warmup, result=runs / f"warmup-{name}.json", path=path)
    for round_number in range(1, rounds + 1):
        for name, env, path in scenarios:
            for c in concurrency:
                before = _cases_count() if name == "post" else 0
                result = _wrk(base=base, env=env, concurrency=c, duration=duration,
                              result=runs / f"r{round_number}-{name}-c{c}.json", path=path, meter=meter)
                result.update(scenario=name, concurrency=c, round=round_number, load=os.getloadavg()[0])
                if name == "post":
                    created = _cases_count() - before
                    ok = result["requests"] - result["not_200"]
                    result["cases_created"] = created
                    # wrk may stop while a few requests are still in flight; those finish after it.
                    result["lost"] = ok - created
                (runs / f"r{round_number}-{name}-c{c}.json").write_text(json.dumps(result))
                latency = result["latency_us"]
                print(f"round {round_number} {name} c={c}: {result['requests'] / duration:.0f}/s "
                      f"p50 {latency['p50'] / 1000:.1f} ms p95 {latency['p95'] / 1000:.1f} ms "
                      f"non-200 {result['not_200']}")


def report(out: Path, label: str) -> None:
    rows: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for file in sorted((out / "runs").glob("r*-*.json")):
        result = json.loads(file.read_text())
        rows.setdefault((result["scenario"], result["concurrency"]), []).append(result)
    hello = {c: statistics.median(r["latency_us"]["p50"] for r in rs) for (s, c), rs in rows.items() if s == "hello"}
    hello95 = {c: statistics.median(r["latency_us"]["p95"] for r in rs) for (s, c), rs in rows.items() if s == "hello"}
    names = {"hello": "hello world (`/hello`)", "get": "GET requests, bbox ~1.5 × 1 km + status",
             "post": "POST requests (form-encoded)"}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                            check=False).stdout
    lines = [
        f"{label}: {len(rows)} scenario × concurrency, {max(len(r) for r in rows.values())} rounds; "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); commit {commit.strip()}; "
        f"load average {min(r['load'] for rs in rows.values() for r in rs):.1f}–"
        f"{max(r['load'] for rs in rows.values() for r in rs):.1f}",
        "",
        "| scenario | concurrency | req/s | p50 ms | p95 ms | p99 ms | × hello p50 / p95 | CPU ms/request: app + DB "
        "| non-200 | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    summary = []
    for (scenario, c), results in sorted(rows.items(), key=lambda kv: (["hello", "get", "post"].index(kv[0][0]),
                                                                        kv[0][1])):
        rate = statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in results)
        p50, p95, p99 = (statistics.median(r["latency_us"][k] for r in results) / 1000 for k in ("p50", "p95", "p99"))
        bad = sum(r["not_200"] + sum(r["socket_errors"].values()) for r in results)
        target, limit = TARGETS.get(scenario, ("", 0.0))
        met = ""
        if scenario == "post":
            met = "yes" if rate >= 200 and p95 <= limit else "**no**"
        elif scenario == "get":
            met = "yes" if p95 <= limit else "**no**"
        ratio = f"{p50 * 1000 / hello[c]:.1f} / {p95 * 1000 / hello95[c]:.1f}" if c in hello else ""
        cpus = [r["cpu_ms_per_request"] for r in results if "cpu_ms_per_request" in r]
        cpu = (f"{statistics.median(x['app'] for x in cpus):.1f} + {statistics.median(x['db'] for x in cpus):.1f}"
               if cpus else "")
        lines.append(f"| {names[scenario]} | {c} | {rate:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {ratio} | {cpu} "
                     f"| {bad} | {target} | {met} |")
        summary.append({"scenario": scenario, "concurrency": c, "rate": rate, "p50_ms": p50, "p95_ms": p95,
                        "p99_ms": p99, "not_ok": bad, "lost": sum(r.get("lost", 0) for r in results)})
    drained = out / "drain.json"
    if drained.exists():
        d = json.loads(drained.read_text())
        lines += ["", f"After the load: {d['accepted_rows']} contacts accepted since the run began (warm-up "
                  f"included), {d['waiting_before_drain']} waiting; the drain made {d['made_by_drain']} cases in "
                  f"{d['drain_seconds']} s ({d['drain_per_second']}/s, {d['drain_cpu_ms_per_case']} ms of CPU "
                  f"per case in one process, PostgreSQL and routing not counted); states after: "
                  f"{d['states_after']}; every accepted row exactly one case: "
                  f"**{'yes' if d['every_row_one_case'] else 'NO'}**."]
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["prepare", "run", "report", "drain"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base", default="http://127.0.0.1:8095")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--concurrency", default="8,16")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--server-pid", type=int, default=None)
    parser.add_argument("--postmaster-pid", type=int, default=None)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.command == "prepare":
        prepare(args.out, args.seed)
    elif args.command == "run":
        run(out=args.out, base=args.base, rounds=args.rounds, duration=args.duration, warmup=args.warmup,
            concurrency=[int(c) for c in args.concurrency.split(",")], server_pid=args.server_pid,
            postmaster_pid=args.postmaster_pid)
    elif args.command == "drain":
        drain_and_check(args.out, channel="mobile_app")
    else:
        report(args.out, args.label or args.out.name)


if __name__ == "__main__":
    main()
