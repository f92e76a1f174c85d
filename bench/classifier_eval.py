"""Evaluate the routing classifier on the Helsinki feedback export and measure its costs.

    .venv/bin/python bench/classifier_eval.py [--data PATH] [--skip-scale]

1. Time-ordered cross-validation (4 folds, expanding window) of `manage.py classifier_benchmark`'s
   code for service_code, service_group and agency_responsible: ours, the plain TF-IDF + logistic
   regression baseline, and ours with Voikko base forms (when installed).
2. Production end to end, in a throwaway in-memory database (the classification alone — the
   active models' prediction and language detection, `text_classify` — is timed per arriving
   text too, since the intake request itself only queues the routing task): a test organisation with one service
   group per Helsinki service group and one category per service code; the older 80 % of the
   export become its handled cases, `classifier_train` trains (and evaluates on the newest of
   them), then the newest 20 % arrive through `case_intake` and are routed by `route_case`;
   reports the share routed to the right group and the milliseconds per case.
3. Training time on 50,000 cases (the export's texts resampled with word dropout; `--novel-words 0.3`
   gives them a far richer vocabulary, see `scale`).

The data is read where it lies (`--data`, default ../shared/data/); nothing is copied into the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "helsinki_feedback_2014_2015.jsonl"


def cross_validation(data: Path) -> dict[str, dict[str, object]]:
    from civicdesk.routing.benchmark import examples_from_jsonl, time_ordered_cv
    from civicdesk.routing.classifier import FeatureOptions, lemmatiser_available

    variants = {"baseline": FeatureOptions(baseline=True), "ours": FeatureOptions()}
    if lemmatiser_available():
        variants["ours+voikko"] = FeatureOptions(lemmas=True)
    results: dict[str, dict[str, object]] = {}
    for label in ("service_code", "service_group", "agency_responsible"):
        examples = examples_from_jsonl(data, label=label)
        for name, options in variants.items():
            summary = time_ordered_cv(examples, label=label, options=options)
            summary.pop("folds")
            results[f"{label}/{name}"] = {"cases": len(examples), **summary}
            print(label, name, json.dumps(summary), flush=True)
    return results


def end_to_end(data: Path) -> dict[str, object]:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    from django.test.utils import override_settings

    # As in production (the test settings read the active versions anew for every text).
    override_settings(CLASSIFIER_ACTIVE_CACHE_SECONDS=30).enable()
    import datetime as dt

    import numpy as np
    from django.db.models import Count

    from civicdesk.cases.models import Case, CaseCategory, CaseKind, Category, Channel, Resolution, Status
    from civicdesk.intake.services import case_intake
    from civicdesk.organizations.models import ServiceGroup
    from civicdesk.routing.models import RoutingDecision, RoutingSettings, Target
    from civicdesk.routing.services import classifier_train, route_case, text_classify
    from tests.factories import build_city

    rows = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
    rows.sort(key=lambda r: r["requested_datetime"])
    city = build_city("helsinki-bench")
    RoutingSettings.objects.create(organization=city.org, min_training_cases=100, confidence_threshold=0.6)
    groups: dict[str, ServiceGroup] = {}
    categories: dict[str, Category] = {}
    for row in rows:
        group_name = row.get("service_group") or "(ei ryhmää)"
        if group_name not in groups:
            groups[group_name] = ServiceGroup.objects.create(organization=city.org, name=group_name[:200],
                                                             code=f"g{len(groups)}", calendar=city.intake.calendar)
        code = str(row["service_code"])
        if code not in categories:
            categories[code] = Category.objects.create(organization=city.org, code=f"c{code}",
                                                       name=str(row.get("service_name") or code)[:200],
                                                       default_group=groups[group_name])
    cut = int(len(rows) * 0.8)
    history, arriving = rows[:cut], rows[cut:]
    fault = city.types[CaseKind.FAULT_REPORT]
    cases = []
    for i, row in enumerate(history):
        at = dt.datetime.fromisoformat(row["requested_datetime"].replace("Z", "+00:00"))
        cases.append(Case(organization=city.org, reference=f"H-{i}", case_type=fault, channel=Channel.API,
                          title=(row.get("title") or "")[:200], description=row.get("description") or "",
                          owner_group=groups[row.get("service_group") or "(ei ryhmää)"], status=Status.CLOSED,
                          resolution=Resolution.ANSWERED, created_at=at, last_activity_at=at, closed_at=at))
    created = Case.objects.bulk_create(cases)
    CaseCategory.objects.bulk_create([CaseCategory(case=c, category=categories[str(r["service_code"])], is_primary=True)
                                      for c, r in zip(created, history, strict=True)])
    training = {}
    for target in (Target.GROUP, Target.CATEGORY):
        started = time.perf_counter()
        result = classifier_train(organization=city.org, target=target)
        training[target] = {"seconds": round(time.perf_counter() - started, 1), "message": str(result.message),
                            **{k: v for k, v in (result.model.metrics if result.model else {}).items()
                               if k != "reliability"}}
        print("trained", target, json.dumps(training[target]), flush=True)
    # Intake queues the routing after its commit (eagerly run here, outside a transaction); it is
    # routed once below instead, timed on its own.
    no_queue = mock.patch("civicdesk.intake.services.route_case_later")
    no_queue.start()
    # Warm the process (language models, classifier bytes) as a worker is warm after its first case.
    warm = case_intake(organization=city.org, channel=Channel.API, case_type=fault, description="Lämmitys")
    route_case(case=warm)
    intake_ms, route_ms, classify_ms, right = [], [], [], 0
    for row in arriving:
        text = f"{(row.get('title') or '')[:200]}\n{row.get('description') or '-'}"
        started = time.perf_counter()
        text_classify(organization=city.org, text=text)
        classify_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        case = case_intake(organization=city.org, channel=Channel.API, case_type=fault,
                           title=(row.get("title") or "")[:200], description=row.get("description") or "-")
        intake_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        route_case(case=case)
        route_ms.append((time.perf_counter() - started) * 1000)
        case.refresh_from_db()
        right += case.owner_group_id == groups[row.get("service_group") or "(ei ryhmää)"].pk
    no_queue.stop()
    outcomes = dict(RoutingDecision.objects.filter(organization=city.org).exclude(case=warm)
                    .values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    routed = outcomes.get("routed", 0)
    return {
        "training": training, "arriving_cases": len(arriving), "outcomes": outcomes,
        "right_group_share_of_all": round(right / len(arriving), 3),
        "intake_ms_p50": round(float(np.percentile(intake_ms, 50)), 1),
        "route_ms_p50": round(float(np.percentile(route_ms, 50)), 1),
        "route_ms_p95": round(float(np.percentile(route_ms, 95)), 1),
        "classify_ms_p50": round(float(np.percentile(classify_ms, 50)), 1),
        "classify_ms_p95": round(float(np.percentile(classify_ms, 95)), 1),
        "routed": routed,
    }


def scale_examples(data: Path, count: int = 50_000, *, novel_words: float = 0.0) -> list[Any]:
    """`count` cases: the export's texts resampled with word dropout.

    The export has 888 texts, so the resampled cases reuse few distinct words, which flatters
    counting that works word by word. With `novel_words` > 0 that share of the words of every copy
    after the first gets one of 2,000 made-up endings, so the 50,000 cases have about as many
    distinct words as that share of their words (real mail sits between the two).
    """
    from civicdesk.routing.benchmark import examples_from_jsonl
    from civicdesk.routing.classifier import Example

    base = examples_from_jsonl(data, label="service_code")
    rng = random.Random(0)
    letters = "abdeghijklmnoprstuvyäö"
    endings = ["".join(rng.choice(letters) for _ in range(3)) for _ in range(2000)]
    examples = []
    for i in range(count):
        source = base[i % len(base)]
        words = [w for w in source.text.split() if rng.random() > 0.2] or source.text.split()
        if novel_words and i >= len(base):
            words = [w + rng.choice(endings) if rng.random() < novel_words else w for w in words]
        examples.append(Example(text=" ".join(words), labels=source.labels, at=source.at))
    return examples


def scale(data: Path, count: int = 50_000, *, novel_words: float = 0.0) -> dict[str, object]:
    """Train one model on `scale_examples`, timed."""
    from civicdesk.routing.classifier import classifier_fit

    examples = scale_examples(data, count, novel_words=novel_words)
    tokens = [w for e in examples for w in e.text.split()]
    started, cpu = time.perf_counter(), time.process_time()
    classifier_fit(examples, target="service_code", multi_label=False)
    return {"cases": count, "novel_words": novel_words, "distinct_words": len(set(tokens)), "words": len(tokens),
            "fit_seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds_this_process": round(time.process_time() - cpu, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--only", choices=("cv", "e2e", "scale"))
    parser.add_argument("--novel-words", type=float, default=0.0,
                        help="scale: the share of words given a made-up ending (a richer vocabulary)")
    args = parser.parse_args()
    import django

    django.setup()
    results: dict[str, object] = {}
    if args.only in (None, "cv"):
        results["cross_validation"] = cross_validation(args.data)
    if args.only in (None, "e2e"):
        results["end_to_end"] = end_to_end(args.data)
        print(json.dumps(results["end_to_end"]), flush=True)
    if args.only == "scale" or (args.only is None and not args.skip_scale):
        results["scale"] = scale(args.data, novel_words=args.novel_words)
        print(json.dumps(results["scale"]), flush=True)
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
