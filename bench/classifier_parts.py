"""The figures behind the classifier's training choices (docs/benchmarks.md, "Training time, third round").

    .venv/bin/python bench/classifier_parts.py [--data PATH] [--only vocabulary,counting,transform,variants,daemon]

- vocabulary: distinct words in the export's first 10 000 and 20 000 words and in all of them (the
  growth that projects a real 50 000-case set's vocabulary), and in the two 50 000-case sets of
  `classifier_eval.py --only scale` (resampled, and with `--novel-words 0.3`);
- counting: CPU seconds of fitting the character n-gram features on each 50 000-case set, with
  scikit-learn's `TfidfVectorizer` and with `CharNgramTfidfVectorizer` (the same features);
- transform: CPU ms of turning one text into features, scikit-learn's against ours, best and median
  of five runs over 400 texts (what classifying a contact pays);
- variants: the time-ordered cross-validation of service_code with character n-grams 3–5 instead of
  2–5, and with the probe limited to 5, 6 or 8 passes instead of 10;
- daemon: inside a billiard pool child (what a Celery prefork worker runs tasks in): whether the
  process is daemonic, whether joblib then refuses extra processes, and that training still runs
  there, its SGD threads included.

Prints one JSON object per part. The data is read where it lies; nothing is copied into the repo.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classifier_eval import DEFAULT_DATA, scale_examples

CHAR_OPTIONS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True,
                                "max_features": 150_000}


def _char_options() -> dict[str, Any]:
    import numpy as np

    from civicdesk.routing.classifier import text_normalise

    return {**CHAR_OPTIONS, "preprocessor": text_normalise, "dtype": np.float32}


def vocabulary(data: Path) -> dict[str, Any]:
    words = [w for line in data.read_text(encoding="utf-8").splitlines() if line.strip()
             for record in [json.loads(line)]
             for w in f"{record.get('title') or ''} {record.get('description') or ''}".lower().split()]
    sets = {str(share): scale_examples(data, novel_words=share) for share in (0.0, 0.3)}
    return {
        "export_words": len(words),
        "export_distinct_words_by_prefix": {str(n): len(set(words[:n])) for n in (10_000, 20_000, len(words))},
        "scale_sets": {share: {"words": sum(len(e.text.split()) for e in examples),
                               "distinct_words": len({w for e in examples for w in e.text.split()})}
                       for share, examples in sets.items()},
    }


def counting(data: Path) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from civicdesk.routing.classifier import CharNgramTfidfVectorizer

    result: dict[str, Any] = {}
    for share in (0.0, 0.3):
        texts = [e.text for e in scale_examples(data, novel_words=share)]
        for name, cls in (("scikit_learn", TfidfVectorizer), ("ours", CharNgramTfidfVectorizer)):
            started = time.process_time()
            cls(**_char_options()).fit_transform(texts)
            result[f"novel_words_{share}_{name}_cpu_s"] = round(time.process_time() - started, 1)
    return result


def transform(data: Path) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from civicdesk.routing.benchmark import examples_from_jsonl
    from civicdesk.routing.classifier import CharNgramTfidfVectorizer

    texts = [e.text for e in examples_from_jsonl(data, label="service_code")]
    fitted = {"scikit_learn": TfidfVectorizer(**_char_options()).fit(texts),
              "ours": CharNgramTfidfVectorizer(**_char_options()).fit(texts)}
    runs: dict[str, list[float]] = {name: [] for name in fitted}
    for _ in range(5):
        for name, vectorizer in fitted.items():
            started = time.process_time()
            for text in texts[:400]:
                vectorizer.transform([text])
            runs[name].append((time.process_time() - started) / 400 * 1000)
    return {f"{name}_ms_per_text": {"best": round(min(v), 3), "median": round(statistics.median(v), 3)}
            for name, v in runs.items()}


def variants(data: Path) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    from civicdesk.routing import benchmark, classifier

    examples = benchmark.examples_from_jsonl(data, label="service_code")
    keys = ("accuracy", "macro_f1", "top3_accuracy", "ece", "coverage_at_90_precision")

    def cv() -> dict[str, Any]:
        summary = benchmark.time_ordered_cv(examples, label="service_code", options=classifier.FeatureOptions())
        return {key: summary[key] for key in keys}

    result: dict[str, Any] = {"as_built": cv()}
    original_build, original_passes = classifier.features_build, classifier.PROBE_PASSES
    try:
        for passes in (5, 6, 8):
            classifier.PROBE_PASSES = passes
            result[f"probe_{passes}_passes"] = cv()
        classifier.PROBE_PASSES = original_passes

        def three_to_five(options: Any) -> Any:
            return FeatureUnion([
                ("chars", classifier.CharNgramTfidfVectorizer(**{**_char_options(), "ngram_range": (3, 5)})),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                          max_features=100_000, preprocessor=classifier.text_normalise,
                                          dtype=_char_options()["dtype"])),
            ])

        classifier.features_build = three_to_five
        result["char_ngrams_3_to_5"] = cv()
    finally:
        classifier.features_build, classifier.PROBE_PASSES = original_build, original_passes
    return result


def _in_a_pool_child(_: int) -> dict[str, Any]:
    import multiprocessing

    import django
    import joblib

    django.setup()
    from civicdesk.routing.classifier import classifier_fit
    from civicdesk.routing.tests.synthetic import synthetic_examples

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pids = joblib.Parallel(n_jobs=2)(joblib.delayed(os.getpid)() for _ in range(4))
        model = classifier_fit(synthetic_examples(200), target="group", multi_label=False)
    return {"daemonic": multiprocessing.current_process().daemon,
            "joblib_processes_started": len(set(pids) - {os.getpid()}),
            "warnings": sorted({str(w.message)[:90] for w in caught}), "trained_classes": model.classes}


def daemon(data: Path) -> dict[str, Any]:
    import billiard

    with billiard.Pool(1) as pool:
        return pool.map(_in_a_pool_child, [0])[0]


PARTS = {"vocabulary": vocabulary, "counting": counting, "transform": transform, "variants": variants,
         "daemon": daemon}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--only", default=",".join(PARTS))
    args = parser.parse_args()
    import django

    django.setup()
    for name in args.only.split(","):
        print(json.dumps({name: PARTS[name](args.data)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
