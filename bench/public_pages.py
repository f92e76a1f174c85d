"""Helper of bench/public_pages.sh: the residents' public list, map data, case pages and news at 1M cases.

    public_pages.py prepare --out DIR [--sample 200]   # Django (bench.settings_http): URLs and query counts
    public_pages.py selectors [--iterations 200]       # in-process timings of the selectors, no HTTP, no cache

`prepare` writes DIR/scenarios.json in the format of bench/http_pages.py, whose `check`, `run` and
`report` then drive wrk exactly as for the staff pages. It picks the organisation with the most
published cases, and builds:

- the list page (`/contacts/`): page 1, page 50, and filtered by the most used category and "handled";
- 200 random published case pages (`/contacts/<reference>/`);
- the map data (`/contacts/map.json`): the whole city (what the page asks first) and 500 random
  windows of district size (about 2 × 1 km), each with a status filter, so that with the cache off
  (PORTAL_MAP_CACHE_SECONDS=0, as public_pages.sh runs it) every request queries the database;
- the news page, and the hello-world floor.

`selectors` times `public_case_page` and `public_map_points` in-process over many random inputs
(median, p95, max in ms) with the query plans' index names, to show where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_http")
    import django

    django.setup()


def _organization_and_extent() -> tuple[Any, dict[str, float], int]:
    from django.db.models import Count, Max, Min

    from civicdesk.cases.models import Case

    top = (Case.objects.filter(is_published=True, contains_special_categories=False)
           .values("organization_id").annotate(n=Count("id")).order_by("-n").first())
    if top is None:
        sys.exit("The bench database has no published cases: run bench/generate_cases.py first.")
    from civicdesk.organizations.models import Organization

    organization = Organization.objects.get(pk=top["organization_id"])
    extent = Case.objects.filter(organization=organization, is_published=True, lat__isnull=False).aggregate(
        min_lat=Min("lat"), max_lat=Max("lat"), min_lon=Min("lon"), max_lon=Max("lon"))
    return organization, extent, top["n"]


def _windows(extent: dict[str, float], count: int, rnd: random.Random) -> list[str]:
    """Random bounding boxes of about 2 × 1 km (Leaflet at zoom 15) inside the published cases' extent."""
    boxes = []
    for _ in range(count):
        lat = rnd.uniform(extent["min_lat"], extent["max_lat"])
        lon = rnd.uniform(extent["min_lon"], extent["max_lon"])
        boxes.append(f"{lon - 0.018:.4f},{lat - 0.0045:.4f},{lon + 0.018:.4f},{lat + 0.0045:.4f}")
    return boxes


def prepare(out: Path, sample: int, seed: int) -> None:
    _django()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from civicdesk.cases.models import Case, CaseCategory

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point to the bench PostgreSQL (bench/pg.sh).")
    rnd = random.Random(seed)
    organization, extent, published = _organization_and_extent()
    org = f"org={organization.slug}"
    category = (CaseCategory.objects.filter(case__organization=organization, case__is_published=True, is_primary=True)
                .values("category__code").annotate(n=Count("id")).order_by("-n").first())
    max_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    references: list[str] = []
    while len(references) < sample:
        ids = [rnd.randint(1, max_id) for _ in range(sample * 50)]
        references += Case.objects.filter(pk__in=ids, organization=organization, is_published=True,
                                          contains_special_categories=False).values_list("reference", flat=True)
    references = sorted(set(references))[:sample]
    rnd.shuffle(references)
    windows = _windows(extent, 500, rnd)
    statuses = ["", "&status=done", "&status=in_progress"]
    city_bbox = f"{extent['min_lon']:.4f},{extent['min_lat']:.4f},{extent['max_lon']:.4f},{extent['max_lat']:.4f}"
    scenarios: list[dict[str, Any]] = [
        {"key": "hello", "page": "hello world (`/hello`, Django's floor)", "kind": "hello", "user": None,
         "paths": ["/hello"], "marker": "hello"},
        {"key": "list-p1", "page": f"public list, page 1 ({published:,} published)", "kind": "public",
         "paths": [f"/contacts/?{org}"], "marker": "public-cases"},
        {"key": "list-p50", "page": "public list, page 50", "kind": "public",
         "paths": [f"/contacts/?{org}&page=50"], "marker": "public-cases"},
        {"key": "list-filtered", "page": f"public list, topic `{category['category__code'] if category else '-'}`"
         " + handled", "kind": "public",
         "paths": [f"/contacts/?{org}&category={category['category__code'] if category else ''}&status=done"],
         "marker": "public-cases"},
        {"key": "case", "page": f"published case page, {len(references)} random cases", "kind": "public",
         "paths": [f"/contacts/{ref}/?{org}" for ref in references], "marker": "answer-heading"},
        {"key": "map-city", "page": "map data, whole city (≤ 1,000 newest points)", "kind": "public",
         "paths": [f"/contacts/map.json?{org}&bbox={city_bbox}"], "marker": "FeatureCollection"},
        {"key": "map-window", "page": "map data, 500 random 2 × 1 km windows, status filter", "kind": "public",
         "paths": [f"/contacts/map.json?{org}&bbox={box}{rnd.choice(statuses)}" for box in windows],
         "marker": "FeatureCollection"},
        {"key": "news", "page": "news page", "kind": "public", "paths": [f"/news/?{org}"], "marker": "disruptions"},
    ]
    for scenario in scenarios:
        scenario.setdefault("user", None)
        client = Client(SERVER_NAME="127.0.0.1")
        counts = []
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
        scenario["cookie"] = ""
        scenario["path_count"] = len(scenario["paths"])
        del scenario["paths"]
    fixtures = {"cases": Case.objects.count(), "organization": organization.slug, "published": published,
                "extent": extent}
    (out / "scenarios.json").write_text(json.dumps({"fixtures": fixtures, "scenarios": scenarios}, indent=2,
                                                   ensure_ascii=False))
    for scenario in scenarios:
        print(f"  {scenario['key']:13} {scenario['path_count']:5} URL(s), queries {scenario['queries']['min']}"
              f"–{scenario['queries']['max']}: {scenario['page']}")


def selectors(iterations: int, seed: int) -> None:
    """Time the selectors in-process on random inputs: the database and the ORM, without HTTP or cache."""
    _django()
    from django.db import connection

    from civicdesk.portal import selectors as portal
    from civicdesk.portal.public_filters import PublicCaseFilterForm
    from civicdesk.portal.selectors import Bbox, PublicFilters

    rnd = random.Random(seed)
    organization, extent, published = _organization_and_extent()
    categories = portal.public_categories(organization=organization)
    form = PublicCaseFilterForm({}, organization=organization)
    assert form.categories

    def timed(label: str, call: Any) -> None:
        call()  # warm
        times = []
        for _ in range(iterations):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"  {label:58} median {statistics.median(times):6.1f}  p95 {times[int(len(times) * 0.95) - 1]:6.1f}"
              f"  max {times[-1]:6.1f} ms")

    def random_box() -> Bbox:
        box = [float(x) for x in _windows(extent, 1, rnd)[0].split(",")]
        return Bbox(min_lon=box[0], min_lat=box[1], max_lon=box[2], max_lat=box[3])

    def random_category() -> tuple[int, ...]:
        return portal.category_with_descendants(categories=categories, chosen=rnd.choice(categories))

    print(f"{organization.slug}: {published:,} published cases; {iterations} iterations each")
    none = PublicFilters()
    timed("public_case_page, page 1", lambda: portal.public_case_page(organization=organization, filters=none))
    timed("public_case_page, random page 1–200",
          lambda: portal.public_case_page(organization=organization, filters=none, page=rnd.randint(1, 200)))
    timed("public_case_page, random topic, page 1", lambda: portal.public_case_page(
        organization=organization, filters=PublicFilters(category_ids=random_category())))
    timed("public_case_page, random topic + handled + 90 days", lambda: portal.public_case_page(
        organization=organization, filters=PublicFilters(category_ids=random_category(), status="done",
                                                         since=form_since(90))))
    timed("public_map_points, whole city", lambda: portal.public_map_points(organization=organization, filters=none))
    timed("public_map_points, random 2 × 1 km window",
          lambda: portal.public_map_points(organization=organization, filters=none, bbox=random_box()))
    timed("public_map_points, random window + random topic", lambda: portal.public_map_points(
        organization=organization, filters=PublicFilters(category_ids=random_category()), bbox=random_box()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'case_public%%'")
        print("  public indexes:", ", ".join(row[0] for row in cursor.fetchall()))


def form_since(days: int) -> Any:
    import datetime as dt

    from django.utils import timezone

    return timezone.now() - dt.timedelta(days=days)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--sample", type=int, default=200)
    p.add_argument("--seed", type=int, default=4)
    s = sub.add_parser("selectors")
    s.add_argument("--iterations", type=int, default=200)
    s.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.out, args.sample, args.seed)
    else:
        selectors(args.iterations, args.seed)


if __name__ == "__main__":
    main()
