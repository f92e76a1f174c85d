"""Training and evaluating on exported contacts (JSON lines), exactly as production trains.

Used by `manage.py classifier_benchmark` and `bench/classifier_eval.py`. Each line is an Open311
request as in the Helsinki export: `requested_datetime`, `title`, `description` and the label
field (`service_code`, `service_group`, `agency_responsible`, ...).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from civicdesk.routing.classifier import (
    Example,
    FeatureOptions,
    classifier_evaluate,
    classifier_fit,
)


def examples_from_jsonl(path: str | Path, *, label: str) -> list[Example]:
    """The lines that have a text and a non-empty `label`, as examples in time order."""
    examples = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            value = str(row.get(label) or "").strip()
            text = "\n".join(str(row.get(f) or "") for f in ("title", "description")).strip()
            if not value or not text:
                continue
            at = dt.datetime.fromisoformat(str(row["requested_datetime"]).replace("Z", "+00:00"))
            examples.append(Example(text=text, labels=(value,), at=at))
    examples.sort(key=lambda e: e.at)
    return examples


def train_and_evaluate(train: list[Example], test: list[Example], *, label: str,
                       options: FeatureOptions) -> dict[str, Any]:
    """One fit on `train` and its metrics on `test`, with fit time and prediction latency per case."""
    started = time.perf_counter()
    model = classifier_fit(train, target=label, multi_label=False, options=options)
    fit_seconds = time.perf_counter() - started
    metrics = classifier_evaluate(model, test)
    latencies = []
    for example in test[:200]:
        one = time.perf_counter()
        model.predict([example.text])
        latencies.append((time.perf_counter() - one) * 1000)
    metrics.update({
        "train_cases": len(train),
        "fit_seconds": round(fit_seconds, 2),
        "predict_ms_p50": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "predict_ms_p95": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
    })
    return metrics


def time_ordered_cv(examples: list[Example], *, label: str, options: FeatureOptions,
                    folds: int = 4) -> dict[str, Any]:
    """Expanding-window cross-validation: the data cut into `folds + 1` time blocks; fold k trains on
    blocks 0..k-1 and tests on block k. Returns the mean of each metric and every fold's figures."""
    blocks = np.array_split(np.arange(len(examples)), folds + 1)
    runs = []
    for k in range(1, folds + 1):
        train = [examples[i] for b in blocks[:k] for i in b]
        test = [examples[i] for i in blocks[k]]
        runs.append(train_and_evaluate(train, test, label=label, options=options))
    keys = ("accuracy", "macro_f1", "top3_accuracy", "ece", "coverage_at_90_precision", "fit_seconds",
            "predict_ms_p50", "predict_ms_p95")
    summary: dict[str, Any] = {key: round(float(np.mean([r[key] for r in runs if r.get(key) is not None])), 4)
                               for key in keys}
    summary["folds"] = [{key: r.get(key) for key in (*keys, "cases", "train_cases")} for r in runs]
    return summary


def describe(options: FeatureOptions) -> str:
    if options.baseline:
        return "baseline: TF-IDF words + logistic regression (scikit-learn defaults)"
    parts = ["char_wb 2-5", "words 1-2"] + (["Voikko base forms"] if options.lemmas else [])
    return "TF-IDF " + " + ".join(parts) + ", logistic loss by SGD, temperature-scaled"


def summarise(values: Iterable[float]) -> float:
    return round(float(np.mean(list(values))), 4)
