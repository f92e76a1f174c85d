"""Helper of bench/portal_load.sh: the residents' contact form and its map's nearby lookup over HTTP.

    portal_load.py prepare --out DIR   # Django on the bench database: topics, questions, bodies, paths
    portal_load.py token   --out DIR --base http://127.0.0.1:PORT   # one real CSRF token for the load
    portal_load.py run     --out DIR --base http://127.0.0.1:PORT [--rounds 3] [--duration 15] [--concurrency 8,16]
    portal_load.py report  --out DIR [--label ...]   # medians over the rounds: markdown + summary.json
    portal_load.py drain   --out DIR   # after the load: make the accepted contacts' cases, check none was lost

`prepare` gives the 1M-case organisation a contact topic for each active category (`bench-<code>`,
idempotent) with two questions (a required yes/no and an optional text), every contact kind and an
optional location, then writes:
- 2 000 form submissions (path and form-encoded body): a random topic and kind, both answers, a
  generated description, a point where the category already has cases (inside the city's areas,
  which the form requires), and for half of them a name and an email address (a receipt is queued);
- 400 nearby lookups: a topic and a point of one of its category's located cases, as the form's map
  asks when the resident marks a place.

`token` opens one topic's form as a browser would and keeps its CSRF cookie and form token; every
submission of the load sends them (one token, as one browser tab sending many forms), so Django's
CSRF check runs in full on each request.

`run` drives wrk with bench/portal_load.lua: hello world, the nearby lookup, the form page (GET, no
target), then the submission, at each concurrency, round after round. After each submission run it
checks that the number of contacts grew by exactly the number of 302 answers (a contact never lost):
with deferred contacts (ADR 0022) a contact is an accepted row during the load (no worker runs), so
the count is cases plus rows still waiting. `drain` then makes their cases as the worker would and
checks that every accepted row became exactly one case (`open311_load.drain_and_check`).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "portal_load.lua"
TARGETS = {"submit": ("≥ 200 contacts/s, p95 ≤ 100 ms", 100.0), "nearby": ("p95 ≤ 50 ms", 50.0)}
WORDS = ("kuoppa", "katuvalo", "roskis", "penkki", "liukas", "lumi", "puu", "kyltti", "graffiti", "vesi")
NAMES = {"hello": "hello world (`/hello`)", "nearby": "nearby contacts for the form's map (JSON)",
         "form": "the form page (GET, HTML)", "submit": "form submission (POST with CSRF, 302 to the receipt)"}
ORDER = ["hello", "nearby", "form", "submit"]


def _django() -> Any:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_http")
    import django

    django.setup()
    return django


def prepare(out: Path, seed: int) -> None:
    _django()
    from civicdesk.cases.models import Case, Category
    from civicdesk.intake.models import ContactKind, LocationNeed, QuestionKind, Topic, TopicQuestion
    from civicdesk.organizations.models import Organization

    rnd = random.Random(seed)
    organization = Organization.objects.order_by("pk").first()
    assert organization is not None, "the bench database has no organisation (run bench/generate_cases.py)"
    topics = []
    for category in Category.objects.filter(organization=organization, is_active=True).order_by("code"):
        topic, _ = Topic.objects.update_or_create(
            organization=organization, slug=f"bench-{category.code}"[:63],
            defaults={"name": category.name, "name_fi": category.name, "name_en": category.name_en or category.name,
                      "category": category, "kinds": list(ContactKind.values), "location": LocationNeed.OPTIONAL,
                      "asks_for_photos": False, "is_active": True, "redirect_url": ""},
        )
        if not topic.questions.exists():
            TopicQuestion.objects.create(topic=topic, position=1, label="Onko asia vaarallinen?",
                                         label_en="Is it dangerous?", kind=QuestionKind.YES_NO, required=True)
            TopicQuestion.objects.create(topic=topic, position=2, label="Tarkempi paikka", label_en="Exact place",
                                         kind=QuestionKind.TEXT)
        topics.append(topic)
    # Points where each category has located cases (so the map has something to show and the point
    # lies inside the city's areas).
    points: dict[int, list[tuple[float, float]]] = {}
    for topic in topics:
        assert topic.category_id is not None
        sample = list(Case.objects.filter(organization=organization, lat__isnull=False,
                                          case_categories__category_id=topic.category_id, area__isnull=False)
                      .order_by("-created_at").values_list("lat", "lon")[:200])
        if sample:
            points[topic.pk] = sample
    usable = [t for t in topics if t.pk in points]
    assert usable, "no located cases in any category"
    questions = {t.pk: list(t.questions.order_by("position")) for t in usable}

    submissions = []
    for n in range(2000):
        topic = rnd.choice(usable)
        lat, lon = rnd.choice(points[topic.pk])
        fields = {
            "kind": rnd.choice(topic.kinds),
            f"q{questions[topic.pk][0].pk}": rnd.choice(["yes", "no"]),
            f"q{questions[topic.pk][1].pk}": rnd.choice(["", "Pyörätien reunassa", "Sillan alla"]),
            "description": f"{rnd.choice(WORDS).capitalize()} {' '.join(rnd.choices(WORDS, k=14))}. Bench {n}.",
            "address": "", "lat": f"{lat + rnd.uniform(-0.0003, 0.0003):.6f}",
            "lon": f"{lon + rnd.uniform(-0.0003, 0.0003):.6f}", "name": "", "email": "", "phone": "",
            "consent": "on",
        }
        if n % 2:
            fields.update({"name": f"Bench Asukas {n}", "email": f"bench{n}@example.invalid", "answer_requested": "on"})
        path = f"/en/contact/{organization.slug}/topics/{topic.slug}/"
        submissions.append(f"{path}\t{urllib.parse.urlencode(fields)}")
    (out / "submissions.txt").write_text("\n".join(submissions) + "\n")

    nearby = []
    for _ in range(400):
        topic = rnd.choice(usable)
        lat, lon = rnd.choice(points[topic.pk])
        query = urllib.parse.urlencode({"topic": topic.slug, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
        nearby.append(f"/en/contact/{organization.slug}/nearby.json?{query}")
    (out / "nearby_paths.txt").write_text("\n".join(nearby) + "\n")
    forms = [f"/en/contact/{organization.slug}/topics/{t.slug}/" for t in usable]
    (out / "form_paths.txt").write_text("\n".join(forms) + "\n")
    (out / "prepare.json").write_text(json.dumps({"organization": organization.slug, "topics": len(topics),
                                                  "topics_with_points": len(usable), "seed": seed}, indent=2))
    print(f"{len(topics)} topics ({len(usable)} with located cases); 2000 submissions, 400 nearby lookups")


def token(out: Path, base: str) -> None:
    """A CSRF cookie and form token from a real form page, as a browser gets them."""
    path = (out / "form_paths.txt").read_text().split("\n", 1)[0]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}{path}", timeout=30) as response:
        html = response.read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    # The form's signed start time (portal.form_guard): the load starts seconds later, well past the
    # minimum, and a stamp serves for a day, as a resident's open form would.
    started = re.search(r'name="form_started" value="([^"]*)"', html)
    cookie = next((c.value for c in jar if c.name == "csrftoken"), "")
    assert found, "no CSRF token on the form page"
    assert cookie, "no CSRF cookie from the form page"
    (out / "csrf.json").write_text(json.dumps({"cookie": f"csrftoken={cookie}", "token": found.group(1),
                                               "started": started.group(1) if started else ""}))
    print(f"CSRF token from {path}")


def _cases_count() -> int:
    """Contacts: cases, plus accepted contacts whose case is not made yet (ADR 0022)."""
    query = ("SELECT (SELECT count(*) FROM cases_case) + CASE WHEN to_regclass('intake_acceptedcontact') IS NULL "
             "THEN 0 ELSE (SELECT count(*) FROM intake_acceptedcontact WHERE state = 'accepted') END")
    output = subprocess.run([str(ROOT / "bench" / "pg.sh"), "psql", "-Atc", query],
                            capture_output=True, text=True, check=True)
    return int(output.stdout.strip())


def _wrk(*, base: str, env: dict[str, str], concurrency: int, duration: int, result: Path,
         meter: Any = None) -> dict[str, Any]:
    command = ["wrk", "-t", "2", "-c", str(concurrency), "-d", f"{duration}s", "--latency", "-s", str(LUA),
               f"{base}/"]
    before = meter.sample() if meter else None
    subprocess.run(command, env={**os.environ, **env, "BENCH_RESULT": str(result)}, check=True,
                   capture_output=True, timeout=duration + 60)
    figures: dict[str, Any] = json.loads(result.read_text())
    if meter and before and figures["requests"]:
        # CPU time of the uvicorn workers and of their own PostgreSQL backends, per request: what
        # sets capacity, and far less bent by other sessions' load than latency (bench/http_pages.py).
        spent = meter.spent(before, meter.sample())
        figures["cpu_ms_per_request"] = {key: sec * 1000 / figures["requests"] for key, sec in spent.items()}
    return figures


def run(*, out: Path, base: str, rounds: int, duration: int, warmup: int, concurrency: list[int],
        only: list[str], server_pid: int | None = None, postmaster_pid: int | None = None) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from http_pages import CpuMeter

    meter = CpuMeter(server_pid, postmaster_pid)
    runs = out / "runs"
    runs.mkdir(exist_ok=True)
    (out / "hello_paths.txt").write_text("/hello\n")
    csrf = json.loads((out / "csrf.json").read_text())
    scenarios = [
        ("hello", {"BENCH_PATHS": str(out / "hello_paths.txt")}),
        ("nearby", {"BENCH_PATHS": str(out / "nearby_paths.txt")}),
        ("form", {"BENCH_PATHS": str(out / "form_paths.txt")}),
        ("submit", {"BENCH_SUBMISSIONS": str(out / "submissions.txt"), "BENCH_COOKIE": csrf["cookie"],
                    "BENCH_CSRF": csrf["token"], "BENCH_FORM_STARTED": csrf.get("started", "")}),
    ]
    scenarios = [s for s in scenarios if not only or s[0] in only or s[0] == "hello"]
    from open311_load import accepted_mark

    accepted_mark(out)
    for name, env in scenarios:  # warm every worker's caches and connections
        _wrk(base=base, env=env, concurrency=4, duration=warmup, result=runs / f"warmup-{name}.json")
    for round_number in range(1, rounds + 1):
        for name, env in scenarios:
            for c in concurrency:
                before = _cases_count() if name == "submit" else 0
                file = runs / f"r{round_number}-{name}-c{c}.json"
                result = _wrk(base=base, env=env, concurrency=c, duration=duration, result=file, meter=meter)
                result.update(scenario=name, concurrency=c, round=round_number, load=os.getloadavg()[0])
                if name == "submit":
                    created = _cases_count() - before
                    result["cases_created"] = created
                    # wrk may stop while a few requests are in flight; those complete after it counted.
                    result["lost"] = (result["requests"] - result["not_ok"]) - created
                file.write_text(json.dumps(result))
                latency = result["latency_us"]
                print(f"round {round_number} {name} c={c}: {result['requests'] / (result['duration_us'] / 1e6):.0f}/s "
                      f"p50 {latency['p50'] / 1000:.1f} ms p95 {latency['p95'] / 1000:.1f} ms "
                      f"not ok {result['not_ok']} load {result['load']:.1f}", flush=True)


def report(out: Path, label: str) -> None:
    rows: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for file in sorted((out / "runs").glob("r*-*.json")):
        result = json.loads(file.read_text())
        rows.setdefault((result["scenario"], result["concurrency"]), []).append(result)

    def med(results: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r["latency_us"][key] for r in results) / 1000

    hello = {c: rs for (s, c), rs in rows.items() if s == "hello"}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                            check=False).stdout.strip()
    loads = [r["load"] for rs in rows.values() for r in rs]
    lines = [
        f"{label}: {max(len(r) for r in rows.values())} rounds; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}); commit {commit} (+ the working tree); "
        f"load average {min(loads):.1f}–{max(loads):.1f}",
        "",
        "| scenario | concurrency | req/s | p50 ms | p95 ms | p99 ms | × hello p50 / p95 | CPU ms/request: app + DB "
        "| not ok | lost | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    summary = []
    for (scenario, c), results in sorted(rows.items(), key=lambda kv: (ORDER.index(kv[0][0]), kv[0][1])):
        rate = statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in results)
        p50, p95, p99 = med(results, "p50"), med(results, "p95"), med(results, "p99")
        bad = sum(r["not_ok"] + sum(r["socket_errors"].values()) for r in results)
        lost = sum(r.get("lost", 0) for r in results)
        target, limit = TARGETS.get(scenario, ("", 0.0))
        met = ""
        if scenario == "submit":
            met = "yes" if rate >= 200 and p95 <= limit else "**no**"
        elif scenario == "nearby":
            met = "yes" if p95 <= limit else "**no**"
        ratio = (f"{p50 / med(hello[c], 'p50'):.1f} / {p95 / med(hello[c], 'p95'):.1f}" if c in hello else "")
        cpus = [r["cpu_ms_per_request"] for r in results if "cpu_ms_per_request" in r]
        app = statistics.median(x.get("app", 0.0) for x in cpus) if cpus else 0.0
        db = statistics.median(x.get("db", 0.0) for x in cpus) if cpus else 0.0
        cpu = f"{app:.1f} + {db:.1f}" if cpus else ""
        lines.append(f"| {NAMES[scenario]} | {c} | {rate:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {ratio} | {cpu} "
                     f"| {bad} | {lost if scenario == 'submit' else ''} | {target} | {met} |")
        summary.append({"scenario": scenario, "concurrency": c, "rate": rate, "p50_ms": p50, "p95_ms": p95,
                        "p99_ms": p99, "not_ok": bad, "lost": lost, "cpu_app_ms": app, "cpu_db_ms": db})
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
    parser.add_argument("command", choices=["prepare", "token", "run", "report", "drain"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base", default="http://127.0.0.1:8093")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--concurrency", default="8,16")
    parser.add_argument("--only", default="")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-pid", type=int, default=None)
    parser.add_argument("--postmaster-pid", type=int, default=None)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.command == "prepare":
        prepare(args.out, args.seed)
    elif args.command == "token":
        token(args.out, args.base)
    elif args.command == "run":
        run(out=args.out, base=args.base, rounds=args.rounds, duration=args.duration, warmup=args.warmup,
            concurrency=[int(c) for c in args.concurrency.split(",")],
            only=[s for s in args.only.split(",") if s], server_pid=args.server_pid,
            postmaster_pid=args.postmaster_pid)
    elif args.command == "drain":
        sys.path.insert(0, str(ROOT / "bench"))
        from open311_load import drain_and_check

        drain_and_check(args.out, channel="web_form")
    else:
        report(args.out, args.label or args.out.name)


if __name__ == "__main__":
    main()
