"""A/B evidence for the index and selector changes proposed in docs/benchmarks.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:54330/civicdesk_bench \\
    DJANGO_SETTINGS_MODULE=config.settings.local \\
        .venv/bin/python bench/compare_indexes.py [--rounds 5] [--per-round 10] [--keep]

Creates the candidate indexes by hand (named bench_tmp_*, not in any migration), raises the
statistics target of cases_case.search_vector, and measures the same calls in variants that
alternate round by round, so that the machine's noise falls on all of them alike:

* V0 "as migrated": the candidate indexes dropped inside a transaction that is rolled back
  (the planner sees exactly the migrations' indexes); selectors as they are.
* V0j: the same with `SET LOCAL jit = off` (queue pages only).
* V1 "+ indexes": the candidate indexes; selectors as they are.
* V2 "+ indexes + selector changes": the candidate indexes, and the proposed versions of
  `cases_in_queue` (count capped at 10 000, page rows fetched by a deferred join) and of
  `access_for` (areas queried only for viewer memberships), defined below.
* V3: as V2, but the count stops 1 000 rows past the start of the page shown.
* V4: as V3, with the page's rows built without joining the translated models: the handler
  joined, groups, case types, areas and categories taken from per-process caches
  (`list_rows_light`).

At the end the candidate indexes are dropped and the statistics target reset, unless --keep.
Results: markdown on stdout, JSON in bench/results/compare-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from civicdesk.accounts import permissions as account_permissions  # noqa: E402
from civicdesk.accounts.models import GroupMembership, Membership, Role, User  # noqa: E402
from civicdesk.accounts.permissions import ANONYMOUS_ACCESS, UserAccess  # noqa: E402
from civicdesk.cases import permissions as case_permissions  # noqa: E402
from civicdesk.cases import selectors  # noqa: E402
from civicdesk.cases.models import Case, CaseCategory, CaseType, Category  # noqa: E402
from civicdesk.core.errors import InvalidInputError, NotFoundError  # noqa: E402
from civicdesk.organizations.models import Area, ServiceGroup  # noqa: E402

CANDIDATES = {
    # Replaces case_open_queue_idx: -id to match the sort (-last_activity_at, -id), and the
    # columns of the special-categories filter included, so that counting and skipping
    # (OFFSET) need no heap visits.
    "bench_tmp_open_queue_cover": (
        "CREATE INDEX IF NOT EXISTS bench_tmp_open_queue_cover ON cases_case "
        "(owner_group_id, last_activity_at DESC, id DESC) INCLUDE (contains_special_categories, case_type_id) "
        "WHERE NOT (status = 'closed')"
    ),
    # Lets search walk the organisation's cases newest first and stop at 50 matches.
    "bench_tmp_org_activity": (
        "CREATE INDEX IF NOT EXISTS bench_tmp_org_activity ON cases_case "
        "(organization_id, last_activity_at DESC, id DESC)"
    ),
    # Replaces case_customer_email_idx: a customer's cases newest first.
    "bench_tmp_email_activity": (
        "CREATE INDEX IF NOT EXISTS bench_tmp_email_activity ON cases_case "
        "(organization_id, customer_email, last_activity_at DESC)"
    ),
}
# Without it the planner guesses ~1 % for any word outside the 1 000 most common lexemes and
# walks the new index for rare words (seconds). 1 000 keeps 10 000 lexemes.
STATISTICS_TARGET = 1000
QUEUE_COUNT_CAP = 10_000
SMALL_COUNT_CAP = 1_000


# --- the proposed selector changes ---------------------------------------------------------


def access_for_proposed(user: Any) -> UserAccess:
    """access_for with the areas looked up only for viewer memberships (2 queries instead of 3)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS_ACCESS
    cached = getattr(user, "_civicdesk_access", None)
    if cached is not None:
        return cached
    roles: dict[int, set[str]] = {}
    viewer_memberships: list[int] = []
    for membership_id, organization_id, role in Membership.objects.filter(
        user=user, organization__is_active=True
    ).values_list("id", "organization_id", "role"):
        roles.setdefault(organization_id, set()).add(role)
        if role == Role.VIEWER:
            viewer_memberships.append(membership_id)
    viewer_areas: dict[int, set[int]] = {}
    if viewer_memberships:
        for organization_id, area_id in Membership.areas.through.objects.filter(
            membership_id__in=viewer_memberships
        ).values_list("membership__organization_id", "area_id"):
            viewer_areas.setdefault(organization_id, set()).add(area_id)
    group_rows = list(GroupMembership.objects.filter(
        user=user, service_group__is_active=True, service_group__organization_id__in=list(roles)
    ).values_list("service_group_id", "service_group__organization_id"))
    access = UserAccess(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        roles={org: frozenset(r) for org, r in roles.items()},
        group_ids=frozenset(g for g, _ in group_rows),
        group_organization=dict(group_rows),
        viewer_area_ids={org: frozenset(a) for org, a in viewer_areas.items()},
    )
    user._civicdesk_access = access
    return access


def cases_in_queue_proposed(*, user: Any, service_group: ServiceGroup, status_filter: str = "open",
                            sort: str = "last_activity", page: Any = 1, page_size: int | None = None,
                            page_relative_cap: bool = False, light_rows: bool = False) -> selectors.CasePage:
    """cases_in_queue with a capped count and a deferred join (same 3 queries).

    With page_relative_cap, the count stops 1 000 rows past the start of the page shown (the
    page then says "at least N"), and the page's rows are read even when the count was capped.
    """
    if not case_permissions.can_view_queue(user, service_group):
        raise NotFoundError()
    if status_filter not in selectors.QUEUE_FILTERS or sort not in selectors.SORTS:
        raise InvalidInputError("Unknown filter or sort order.", field="filter")
    number = selectors._page_number(page)
    size = page_size or settings.CASES_PAGE_SIZE
    access = account_permissions.access_for(user)
    cases = Case.objects.filter(owner_group=service_group)
    if not access.is_superuser:
        cases = cases.filter(case_permissions._special_categories_filter(access))
    cases = selectors._apply_queue_filter(cases, status_filter, timezone.now())
    offset = (number - 1) * size
    # SELECT COUNT(*) FROM (SELECT ... LIMIT n): the page shows "n+" when the count reaches n.
    cap = offset + SMALL_COUNT_CAP if page_relative_cap else QUEUE_COUNT_CAP
    total = cases[: cap + 1].count()
    rows: list[Case] = []
    if offset < total:
        # The OFFSET is walked in the index alone; only the page's rows are read from the table.
        page_ids = cases.order_by(*selectors.SORTS[sort]).values("pk")[offset: offset + size]
        if light_rows:
            rows = list_rows_light(page_ids, selectors.SORTS[sort])
        else:
            rows = list(Case.objects.filter(pk__in=page_ids).for_list().order_by(*selectors.SORTS[sort]))
    return selectors.CasePage(cases=rows, page=number, page_size=size, total=total)


_REFERENCE_ROWS: dict[str, dict[int, Any]] = {}


def _reference_rows() -> dict[str, dict[int, Any]]:
    """Groups, case types, areas (without geometry) and categories: small, rarely changing tables.

    Cached for the process here; a real implementation would cache per organisation with
    invalidation on save.
    """
    if not _REFERENCE_ROWS:
        _REFERENCE_ROWS["owner_group"] = {g.pk: g for g in ServiceGroup.objects.all()}
        _REFERENCE_ROWS["case_type"] = {t.pk: t for t in CaseType.objects.all()}
        _REFERENCE_ROWS["area"] = {a.pk: a for a in Area.objects.defer("geometry")}
        _REFERENCE_ROWS["category"] = {c.pk: c for c in Category.objects.all()}
    return _REFERENCE_ROWS


def list_rows_light(page_ids: Any, sort: tuple[str, ...]) -> list[Case]:
    """The page's cases with the handler joined, everything else from the cached reference rows.

    2 queries like for_list(): the rows, and (case_id, category_id) pairs instead of a prefetch.
    Each case gets `category_list` (primary first) instead of the `categories` prefetch.
    """
    cached = _reference_rows()
    rows = list(Case.objects.filter(pk__in=page_ids).select_related("handler").defer("search_vector")
                .order_by(*sort))
    by_case: dict[int, list[Any]] = {}
    for case_id, category_id, _primary in CaseCategory.objects.filter(case_id__in=[r.pk for r in rows]).order_by(
        "case_id", "-is_primary"
    ).values_list("case_id", "category_id", "is_primary"):
        by_case.setdefault(case_id, []).append(cached["category"][category_id])
    for row in rows:
        for name in ("owner_group", "case_type", "area"):
            value = getattr(row, f"{name}_id")
            row._state.fields_cache[name] = cached[name].get(value) if value is not None else None
        row.category_list = by_case.get(row.pk, [])
    return rows


@contextmanager
def proposed_access() -> Iterator[None]:
    modules = [account_permissions, case_permissions, selectors, sys.modules[__name__]]
    saved = [m.access_for for m in modules if hasattr(m, "access_for")]
    for m in modules:
        if hasattr(m, "access_for"):
            m.access_for = access_for_proposed
    try:
        yield
    finally:
        for m, f in zip([m for m in modules if hasattr(m, "access_for")], saved, strict=True):
            m.access_for = f


# --- measuring -----------------------------------------------------------------------------


class Rollback(Exception):  # noqa: N818 - control flow, not an error
    pass


@contextmanager
def variant_state(variant: str) -> Iterator[None]:
    """The database state of a variant, undone by rolling the transaction back."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if variant.startswith("V0"):
                    for name in CANDIDATES:
                        cursor.execute(f"DROP INDEX {name}")
                if variant == "V0j":
                    cursor.execute("SET LOCAL jit = off")
            if variant in ("V2", "V3", "V4"):
                with proposed_access():
                    yield
            else:
                yield
            raise Rollback
    except Rollback:
        pass


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the candidate indexes and statistics target")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    args = parser.parse_args()

    with connection.cursor() as cursor:
        for name, sql in CANDIDATES.items():
            started = time.perf_counter()
            cursor.execute(sql)
            print(f"{name}: {time.perf_counter() - started:.1f}s")
        cursor.execute(f"ALTER TABLE cases_case ALTER COLUMN search_vector SET STATISTICS {STATISTICS_TARGET}")
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE cases_case")
        print(f"VACUUM ANALYZE cases_case (statistics target {STATISTICS_TARGET}): "
              f"{time.perf_counter() - started:.1f}s")

    open_by_group = list(Case.objects.open().values("owner_group_id").annotate(n=Count("id")).order_by("-n"))
    largest = ServiceGroup.objects.get(pk=open_by_group[0]["owner_group_id"])
    experts = set(Membership.objects.filter(role=Role.EXPERT).values_list("user_id", flat=True))
    others = set(Membership.objects.exclude(role=Role.EXPERT).values_list("user_id", flat=True))
    expert_id = next(m.user_id for m in GroupMembership.objects.filter(service_group=largest).order_by("user_id")
                     if m.user_id in experts and m.user_id not in others)
    advisor_id = Membership.objects.filter(role=Role.SERVICE_ADVISOR).order_by("user_id").first().user_id
    heavy_email = (Case.objects.exclude(customer_email="").values("customer_email").annotate(n=Count("id"))
                   .order_by("-n").first()["customer_email"])

    def queue(page: int) -> Callable[[str], Any]:
        def call(variant: str) -> Any:
            user = User.objects.get(pk=expert_id)
            if variant in ("V2", "V3", "V4"):
                return cases_in_queue_proposed(user=user, service_group=largest, status_filter="open",
                                               sort="last_activity", page=page,
                                               page_relative_cap=variant in ("V3", "V4"), light_rows=variant == "V4")
            return selectors.cases_in_queue(user=user, service_group=largest, status_filter="open",
                                            sort="last_activity", page=page)
        return call

    def search(query: str, user_id: int) -> Callable[[str], Any]:
        def call(_variant: str) -> Any:
            user = User.objects.get(pk=user_id)
            return selectors.cases_search(user=user, query=query, language="fi")
        return call

    queue_variants = ["V0", "V0j", "V1", "V2", "V3", "V4"]
    search_variants = ["V0", "V1"]
    scenarios: list[tuple[str, Callable[[str], Any], list[str]]] = [
        (f"queue: largest group ({open_by_group[0]['n']:,} open), page 1, expert", queue(1), queue_variants),
        (f"queue: largest group ({open_by_group[0]['n']:,} open), page 100, expert", queue(100), queue_variants),
    ]
    for label, query in [("very common word", "pyörätie"), ("common word", "roskia"),
                         ("less common word", "katuvalo"), ("rare street name", "Ilvesportti"),
                         ("two words", "kuoppa pyörätie"), ("no match", "ksylofoni"),
                         ("mid-frequency word", "jyrsitty"), ("mid-frequency word", "juttua")]:
        scenarios.append((f"search (advisor): {label} «{query}»", search(query, advisor_id), search_variants))
    scenarios.append(("search (expert): common word «roskia»", search("roskia", expert_id), search_variants))
    scenarios.append(("search (expert): less common word «katuvalo»", search("katuvalo", expert_id),
                      search_variants))
    scenarios.append((f"search (advisor): email with many cases «{heavy_email}»", search(heavy_email, advisor_id),
                      search_variants))

    if args.only:
        scenarios = [s for s in scenarios if args.only in s[0]]
    results = []
    for name, call, variants in scenarios:
        times: dict[str, list[float]] = {v: [] for v in variants}
        queries: dict[str, int] = {}
        for variant in variants:  # warm-up
            with variant_state(variant):
                call(variant)
        for _round in range(args.rounds):
            for variant in variants:
                with variant_state(variant):
                    for _ in range(args.per_round):
                        connection.queries_log.clear()
                        with CaptureQueriesContext(connection) as captured:
                            started = time.perf_counter()
                            call(variant)
                            times[variant].append((time.perf_counter() - started) * 1000)
                        # the user load is not the selector's
                        queries[variant] = len(captured.captured_queries) - 1
        row = {"name": name, "variants": {
            v: {"p50": percentile(t, 0.5), "p95": percentile(t, 0.95), "max": max(t), "queries": queries[v]}
            for v, t in times.items()}}
        results.append(row)
        print(name + "  " + "  ".join(f"{v}: p50 {r['p50']:.1f} p95 {r['p95']:.1f} q {r['queries']}"
                                      for v, r in row["variants"].items()), flush=True)

    print()
    print("| scenario | as migrated p50 / p95 ms (q) | jit off | + indexes | + indexes + selector changes "
          "(cap 10 000) | same, cap 1 000 past the page | same, light rows |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in results:
        cells = []
        for v in ("V0", "V0j", "V1", "V2", "V3", "V4"):
            r = row["variants"].get(v)
            cells.append(f"{r['p50']:.1f} / {r['p95']:.1f} ({r['queries']})" if r else "")
        print(f"| {row['name']} | " + " | ".join(cells) + " |")

    sizes = {}
    with connection.cursor() as cursor:
        for name in CANDIDATES:
            cursor.execute("SELECT pg_relation_size(%s::regclass)", [name])
            sizes[name] = cursor.fetchone()[0]
        if not args.keep:
            for name in CANDIDATES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute("ALTER TABLE cases_case ALTER COLUMN search_vector SET STATISTICS -1")
            cursor.execute("ANALYZE cases_case")
            print("\ncandidate indexes dropped, statistics target reset")
    print("index sizes: " + ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in sizes.items()))
    out = ROOT / "bench" / "results" / f"compare-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_average": os.getloadavg(), "rounds": args.rounds,
                               "per_round": args.per_round, "candidates": CANDIDATES,
                               "statistics_target": STATISTICS_TARGET, "index_bytes": sizes,
                               "results": results}, indent=2, ensure_ascii=False))
    print(f"written {out}")


if __name__ == "__main__":
    main()
