"""The text classifier: features, training, evaluation and safe serialisation (ADR 0016).

Nothing here touches the database: the services hand in examples and store what comes back, and
the benchmark command (`classifier_benchmark`) calls the very same functions on exported data, so
that the figures in docs/benchmarks.md are the figures of production training.
"""

from __future__ import annotations

import array
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import itertools
import math
import re
import warnings
import weakref
from collections import Counter
from collections.abc import Sequence
from typing import Any

import joblib
import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MultiLabelBinarizer

# Bumped when the features change, so that an artifact built with other features is never loaded.
FEATURE_VERSION = 1
# A label needs this many training examples to be learnt; rarer ones are left to people and rules.
MIN_EXAMPLES_PER_LABEL = 2
# The most recent share of handled cases is held out to evaluate (time-based split).
HELD_OUT_SHARE = 0.2
PRECISION_TARGET = 0.9

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_DIGITS = re.compile(r"\d+")


class ModelIntegrityError(Exception):
    """A stored model's bytes do not match the checksum written with them; it is not loaded."""


def text_normalise(text: str) -> str:
    # Numbers (stop numbers, street numbers, dates) say nothing about the topic but make n-grams rare.
    return _DIGITS.sub("0", text.lower())


class FinnishLemmas:
    """A word analyser that adds each Finnish word's base forms, and a compound's parts, by Voikko.

    "katuvalot" gives "katuvalo", "katu" and "valo"; "kuopissa" gives "kuoppa". Words Voikko does
    not know are kept as they are. Picklable: the Voikko handle is opened lazily in each process.
    """

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        for word in _WORD.findall(text.lower()):
            out.extend(_lemmas(word))
        return out


@functools.cache
def _voikko() -> Any:
    import libvoikko

    return libvoikko.Voikko("fi")


@functools.lru_cache(maxsize=200_000)
def _lemmas(word: str) -> tuple[str, ...]:
    try:
        analyses = _voikko().analyze(word)
    except (OSError, ImportError):  # libvoikko or its dictionary missing: words as they are
        return (word,)
    if not analyses:
        return (word,)
    found: list[str] = []
    for analysis in analyses[:2]:
        base = str(analysis.get("BASEFORM", "")).lower()
        if base and base not in found:
            found.append(base)
        for found_part in re.findall(r"\+([^+(]+)\(", str(analysis.get("WORDBASES", ""))):
            part = found_part.lower()
            if len(part) > 2 and part not in found:
                found.append(part)
    return tuple(found) or (word,)


def lemmatiser_available() -> bool:
    try:
        _voikko()
    except (OSError, ImportError):
        return False
    return True


@dataclasses.dataclass(frozen=True)
class FeatureOptions:
    lemmas: bool = False
    baseline: bool = False


class CharNgramTfidfVectorizer(TfidfVectorizer):
    """`TfidfVectorizer` with `analyzer="char_wb"` whose counting works word by word: a word's character
    n-grams depend on the word alone, so each distinct word is cut into n-grams once, and a text's
    counts are the sum of its words'. That gives exactly the vocabulary and matrix of scikit-learn's
    own counting (the same terms, first met in the same order), which cuts every n-gram of every
    word again in pure Python: that was a third of the time of training on 50,000 cases. It runs in
    one process, so also inside a Celery prefork worker (a daemonic process may not start others).

    Any other analyser falls back to the parent's counting.
    """

    def _count_vocab(self, raw_documents: Any, fixed_vocab: bool) -> tuple[dict[str, int], Any]:
        if self.analyzer != "char_wb" or self.tokenizer is not None:
            return super()._count_vocab(raw_documents, fixed_vocab)
        preprocess = self.build_preprocessor()
        low, high = self.ngram_range
        white_spaces = self._white_spaces
        vocabulary: dict[str, int] = self.vocabulary_ if fixed_vocab else {}
        word_terms: dict[str, array.array[int]] = {}
        indices: array.array[int] = array.array("q")
        indptr = [0]
        known, setdefault = vocabulary.get, vocabulary.setdefault
        for document in raw_documents:
            for word in white_spaces.sub(" ", preprocess(self.decode(document))).split():
                terms = word_terms.get(word)
                if terms is None:
                    grams = _char_wb_word_ngrams(word, low, high)
                    if fixed_vocab:  # transform: terms outside the vocabulary are not counted
                        terms = array.array("q", [i for i in map(known, grams) if i is not None])
                    else:  # a new term gets the next index, as in order of first appearance
                        terms = array.array("q", [setdefault(gram, len(vocabulary)) for gram in grams])
                    word_terms[word] = terms
                indices.extend(terms)
            indptr.append(len(indices))
        if not fixed_vocab and not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        index_dtype = np.int32 if max(len(indices), len(vocabulary)) <= np.iinfo(np.int32).max else np.int64
        columns = np.frombuffer(indices, dtype=np.int64).astype(index_dtype)
        # Each occurrence counts one; summing the duplicates of a row gives the counts, sorted by column.
        matrix = sparse.csr_matrix((np.ones(len(columns), dtype=self.dtype), columns,
                                    np.asarray(indptr, dtype=index_dtype)),
                                   shape=(len(indptr) - 1, len(vocabulary)), dtype=self.dtype)
        matrix.sum_duplicates()
        return vocabulary, matrix


# Models stored before the class was renamed unpickle under the old name.
ChunkedTfidfVectorizer = CharNgramTfidfVectorizer


def _char_wb_word_ngrams(word: str, low: int, high: int) -> list[str]:
    # scikit-learn's `_char_wb_ngrams` for one word, padded by a space each side: every n-gram of each
    # length shorter than the padded word, then the padded word itself once if some length reaches it.
    padded = f" {word} "
    length = len(padded)
    grams = [padded[offset:offset + n] for n in range(low, min(high, length - 1) + 1)
             for offset in range(length - n + 1)]
    if length <= high:
        grams.append(padded)
    return grams


def features_build(options: FeatureOptions) -> FeatureUnion | TfidfVectorizer:
    """Character n-grams inside words (inflection and compounds) and word uni- and bigrams.

    The baseline is plain TF-IDF over words, for comparison in the benchmark.
    """
    if options.baseline:
        return TfidfVectorizer()
    parts: list[tuple[str, Any]] = [
        ("chars", CharNgramTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                  max_features=150_000, preprocessor=text_normalise, dtype=np.float32)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                  max_features=100_000, preprocessor=text_normalise, dtype=np.float32)),
    ]
    if options.lemmas:
        parts.append(("lemmas", TfidfVectorizer(analyzer=FinnishLemmas(), min_df=1, sublinear_tf=True,
                                                dtype=np.float32)))
    return FeatureUnion(parts)


# Passes over all the cases when the final model continues from the probe (see `classifier_fit`): two
# keep the probe's temperature valid (more sharpen the model past it: vague texts came out sure).
WARM_START_PASSES = 2
# Passes over the cases at most when a model starts from nothing (the probe, and classes new to it).
PROBE_PASSES = 10
# SGD learns by updates, one per case and pass: from 25,000 cases on, fewer passes (at least five)
# make as many updates as ten passes over fewer cases, and cost proportionally less time.
PROBE_UPDATES = 250_000
PROBE_PASSES_MIN = 5


def passes_for(rows: int) -> int:
    """The passes at most over `rows` cases for a model that starts from nothing."""
    return max(PROBE_PASSES_MIN, min(PROBE_PASSES, math.ceil(PROBE_UPDATES / max(rows, 1))))


def _estimator(options: FeatureOptions, *, multi_label: bool, rows: int) -> Any:
    base: Any
    if options.baseline:
        base = LogisticRegression(max_iter=1000)
    else:
        # Logistic loss by stochastic gradient descent: as accurate as lbfgs on these features, and its
        # time grows linearly with the cases (50,000 cases: docs/benchmarks.md).
        # n_jobs: the one-against-the-rest problems of a multi-class model run on every core.
        base = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=passes_for(rows), tol=1e-4, n_iter_no_change=3,
                             random_state=0, n_jobs=-1)
    return OneVsRestClassifier(base) if multi_label else base


# Up to this many rows `_scores` walks the rows itself (classifying one contact); a batch (evaluation)
# goes through scikit-learn, whose one big copy of the weights is then cheap per row.
LINEAR_SCORES_MAX_ROWS = 64


_stacked_weights: weakref.WeakKeyDictionary[Any, tuple[int, np.ndarray, np.ndarray]] = weakref.WeakKeyDictionary()


def _one_vs_rest_weights(estimator: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """The weights and intercepts of a one-vs-rest model's logistic estimators as one matrix, made once
    per fitted model; None when an estimator is not linear (a label that was always or never there)."""
    estimators = getattr(estimator, "estimators_", None)
    if not estimators:
        return None
    cached = _stacked_weights.get(estimator)
    if cached is not None and cached[0] == id(estimators):
        return cached[1], cached[2]
    if not all(getattr(e, "coef_", None) is not None and getattr(e, "loss", "") == "log_loss" for e in estimators):
        return None
    weights = np.vstack([np.asarray(e.coef_)[0] for e in estimators])
    intercepts = np.array([float(np.asarray(e.intercept_)[0]) for e in estimators])
    _stacked_weights[estimator] = (id(estimators), weights, intercepts)
    return weights, intercepts


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def _linear_scores(coef: np.ndarray, intercept: np.ndarray, matrix: Any) -> np.ndarray:
    """`matrix @ coef.T + intercept`, row by row over the sparse row's own columns.

    scipy multiplies a sparse matrix by the transposed (so non-contiguous) weights by first copying
    all of them: for a model of 100 000 features and 70 classes that copy was most of the time of
    classifying one text. Each row has a few hundred features; only their weights are read here.
    """
    rows = matrix.tocsr()
    out = np.empty((rows.shape[0], coef.shape[0]), dtype=np.float64)
    for r in range(rows.shape[0]):
        start, end = rows.indptr[r], rows.indptr[r + 1]
        out[r] = coef[:, rows.indices[start:end]] @ rows.data[start:end]
    return out + intercept


def _scores(estimator: Any, matrix: Any) -> np.ndarray:
    coef = getattr(estimator, "coef_", None)
    if coef is not None and sparse.issparse(matrix) and matrix.shape[0] <= LINEAR_SCORES_MAX_ROWS:
        scores = _linear_scores(np.asarray(coef), np.asarray(estimator.intercept_), matrix)
        if scores.shape[1] == 1:
            scores = scores[:, 0]
    else:
        scores = np.asarray(estimator.decision_function(matrix), dtype=np.float64)
    if scores.ndim == 1:  # two classes: one score for the second
        scores = np.column_stack([-scores / 2, scores / 2])
    return scores


TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(20.0), 61))


def temperature_fit(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that makes softmax(scores / T) best calibrated on held-back cases (lowest log-loss).

    Temperature scaling (Guo et al., 2017) keeps the ranking of the labels and fixes over- or
    under-confidence with one number, so it needs few cases to fit.
    """
    rows = np.arange(len(truth))
    losses = [-np.mean(np.log(_softmax(scores / t)[rows, truth] + 1e-12)) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@dataclasses.dataclass(frozen=True)
class Example:
    """One handled case as training data: its text, its final labels (primary first) and when it came."""

    text: str
    labels: tuple[str, ...]
    at: dt.datetime
    weight: float = 1.0
    case_id: int | None = None


@dataclasses.dataclass
class Prediction:
    """The labels ranked by probability; `confidence` is the top one's."""

    ranked: list[tuple[str, float]]

    @property
    def label(self) -> str | None:
        return self.ranked[0][0] if self.ranked else None

    @property
    def confidence(self) -> float:
        return self.ranked[0][1] if self.ranked else 0.0

    def confident_labels(self, threshold: float) -> list[str]:
        return [label for label, p in self.ranked if p >= threshold]


@dataclasses.dataclass
class TrainedClassifier:
    """A fitted pipeline and what it needs to answer: its labels and whether it is multi-label."""

    target: str
    multi_label: bool
    pipeline: Pipeline
    classes: list[str]
    feature_version: int = FEATURE_VERSION
    # Single-label models: probabilities are softmax(scores / temperature), fitted on held-back cases.
    temperature: float | None = None

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.probabilities_of(self.pipeline.named_steps["features"].transform(list(texts)))

    def probabilities_of(self, matrix: Any) -> np.ndarray:
        estimator = self.pipeline.named_steps["model"]
        if self.temperature is not None:
            return _softmax(_scores(estimator, matrix) / self.temperature)
        if self.multi_label and sparse.issparse(matrix) and matrix.shape[0] <= LINEAR_SCORES_MAX_ROWS:
            stacked = _one_vs_rest_weights(estimator)
            if stacked is not None:  # each label's own logistic model, all in one product
                return np.asarray(expit(_linear_scores(stacked[0], stacked[1], matrix)))
        return np.asarray(estimator.predict_proba(matrix), dtype=np.float64)

    def predict(self, texts: Sequence[str], *, top: int = 5) -> list[Prediction]:
        out = []
        for row in self.probabilities(texts):
            order = np.argsort(-row)[:top]
            out.append(Prediction([(self.classes[i], float(row[i])) for i in order]))
        return out

    def explain(self, text: str, label: str, *, top: int = 8) -> list[tuple[str, float]]:
        """The features of `text` that pushed hardest towards `label` (value × weight), strongest first."""
        if label not in self.classes:
            return []
        features = self.pipeline.named_steps["features"]
        estimator = self.pipeline.named_steps["model"]
        index = self.classes.index(label)
        vector = features.transform([text]).tocsr()
        if self.multi_label:
            coef = np.asarray(estimator.estimators_[index].coef_[0])
        else:
            coefs = np.asarray(estimator.coef_)
            coef = coefs[0] * (1 if index == 1 else -1) if coefs.shape[0] == 1 else coefs[index]
        names = features.get_feature_names_out()
        contributions = [(str(names[j]), float(v * coef[j])) for j, v in zip(vector.indices, vector.data, strict=True)]
        contributions = [c for c in contributions if c[1] > 0]
        contributions.sort(key=lambda c: -c[1])
        return [(_readable_feature(name), round(weight, 4)) for name, weight in contributions[:top]]


def _readable_feature(name: str) -> str:
    kind, _, value = name.partition("__")
    return {"chars": f"“{value}”", "words": value, "lemmas": f"{value} (base form)"}.get(kind, name)


def split_by_time(examples: Sequence[Example], *, held_out_share: float = HELD_OUT_SHARE,
                  not_before: dt.datetime | None = None) -> tuple[list[Example], list[Example], dt.datetime | None]:
    """Older examples to train on and the most recent ones to test on, and the moment between them.

    The cut is at the `held_out_share` quantile of time, or at `not_before` when that is later (so
    that a model trained until then is tested only on cases it has never seen).
    """
    ordered = sorted(examples, key=lambda e: e.at)
    if not ordered:
        return [], [], None
    cut_index = min(len(ordered) - 1, round(len(ordered) * (1 - held_out_share)))
    cutoff = ordered[cut_index].at
    if not_before is not None and not_before > cutoff:
        cutoff = not_before
    return [e for e in ordered if e.at < cutoff], [e for e in ordered if e.at >= cutoff], cutoff


def learnable(examples: Sequence[Example]) -> list[Example]:
    """The examples whose labels occur often enough to learn; labels too rare are dropped from each."""
    counts = Counter(label for e in examples for label in e.labels)
    kept = []
    for e in examples:
        labels = tuple(label for label in e.labels if counts[label] >= MIN_EXAMPLES_PER_LABEL)
        if labels:
            kept.append(dataclasses.replace(e, labels=labels))
    return kept


class NotEnoughDataError(Exception):
    """Too few handled cases, or too few labels, to train a model worth using."""


def classifier_fit(examples: Sequence[Example], *, target: str, multi_label: bool,
                   options: FeatureOptions = FeatureOptions()) -> TrainedClassifier:
    """Fit the features and a logistic regression on `examples` (rare labels dropped)."""
    usable = learnable(examples)
    labels = sorted({label for e in usable for label in e.labels})
    if len(labels) < 2 or len(usable) < 4:
        raise NotEnoughDataError(
            f"{len(usable)} usable cases with {len(labels)} labels; at least 4 cases and 2 labels are needed")
    texts = [e.text for e in usable]
    weights = np.array([e.weight for e in usable], dtype=np.float64)
    pipeline = Pipeline([("features", features_build(options)),
                         ("model", _estimator(options, multi_label=multi_label, rows=len(usable)))])
    if multi_label:
        binarizer = MultiLabelBinarizer(classes=labels)
        y: Any = binarizer.fit_transform([e.labels for e in usable])
        # OneVsRestClassifier cannot route sample weights to its estimators; corrections count twice instead.
        repeat = np.maximum(1, np.round(weights)).astype(int)
        pipeline.fit(np.repeat(np.array(texts, dtype=object), repeat).tolist(), np.repeat(y, repeat, axis=0))
        return TrainedClassifier(target=target, multi_label=True, pipeline=pipeline, classes=labels)
    y = [e.labels[0] for e in usable]
    if options.baseline:
        pipeline.fit(texts, y, model__sample_weight=weights)
        classes = [str(c) for c in pipeline.named_steps["model"].classes_]
        return TrainedClassifier(target=target, multi_label=False, pipeline=pipeline, classes=classes)
    # The texts are turned into features once. A probe fitted on the older 85 % gives the temperature
    # on the newest 15 %; the final model then continues from the probe over all the cases for a few
    # more passes (warm start) instead of starting again: together about half the time of two fits.
    features = pipeline.named_steps["features"]
    matrix = features.fit_transform(texts)
    order = sorted(range(len(usable)), key=lambda i: usable[i].at)
    cut = int(len(order) * 0.85)
    older, newer = order[:cut], order[cut:]
    model = _estimator(options, multi_label=False, rows=len(older))
    temperature = None
    start: dict[str, np.ndarray] = {}
    labels_y = np.array(y, dtype=object)
    if len(newer) >= 10 and len({y[i] for i in older}) >= 2:
        with warnings.catch_warnings():  # `passes_for` at most, converged or not (CV: no better with more)
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(matrix[older], labels_y[older], sample_weight=weights[older])
        probe_classes = [str(c) for c in model.classes_]
        known = [i for i in newer if y[i] in probe_classes]
        if len(known) >= 10:
            temperature = temperature_fit(_scores(model, matrix[known]),
                                          np.array([probe_classes.index(y[i]) for i in known]))
        all_classes = sorted({str(label) for label in y})
        if probe_classes == all_classes:
            model.set_params(warm_start=True, max_iter=WARM_START_PASSES)
        elif len(probe_classes) > 2:
            # Labels only the newest cases have: each class is its own problem (one against the rest),
            # so only the new ones are learnt from the start, over all the cases; the final passes
            # then continue from the probe's and the new classes' weights together.
            coef, intercept = _weights_with_new_classes(model, all_classes, matrix, labels_y,
                                                        weights=weights, options=options)
            model = _estimator(options, multi_label=False, rows=len(usable))
            model.set_params(max_iter=WARM_START_PASSES)
            start = {"coef_init": coef, "intercept_init": intercept}
        else:  # a probe of two classes has one weight vector, not one per class: start again
            model = _estimator(options, multi_label=False, rows=len(usable))
    with warnings.catch_warnings():
        # A warm start of two passes stops before SGD's own convergence test, by design.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix, labels_y, sample_weight=weights, **start)
    pipeline = Pipeline([("features", features), ("model", model)])
    classes = [str(c) for c in model.classes_]
    return TrainedClassifier(target=target, multi_label=False, pipeline=pipeline, classes=classes,
                             temperature=temperature)


def _weights_with_new_classes(probe: Any, all_classes: list[str], matrix: Any, labels_y: np.ndarray, *,
                              weights: np.ndarray, options: FeatureOptions) -> tuple[np.ndarray, np.ndarray]:
    """Starting weights for every class (in `all_classes`' order, which is SGD's): the probe's for the
    classes it knows, and for the others weights learnt from the start over all the cases."""
    known = {str(c): i for i, c in enumerate(probe.classes_)}
    new = [c for c in all_classes if c not in known]
    learnt: dict[str, tuple[np.ndarray, float]] = {}
    fresh = _estimator(options, multi_label=False, rows=matrix.shape[0])
    with warnings.catch_warnings():  # `passes_for` at most, as the probe
        warnings.simplefilter("ignore", ConvergenceWarning)
        if len(new) == 1:  # one class against the rest: a binary problem
            fresh.fit(matrix, labels_y == new[0], sample_weight=weights)
            learnt[new[0]] = (fresh.coef_[0], float(fresh.intercept_[0]))
        else:  # the new classes against one stand-in for all the known ones
            rest = "\x00" + max(all_classes)
            fresh.fit(matrix, np.where(np.isin(labels_y, new), labels_y, rest), sample_weight=weights)
            for i, c in enumerate(fresh.classes_):
                if c != rest:
                    learnt[str(c)] = (fresh.coef_[i], float(fresh.intercept_[i]))
    coef = np.empty((len(all_classes), matrix.shape[1]), dtype=np.float64)
    intercept = np.empty(len(all_classes), dtype=np.float64)
    for row, c in enumerate(all_classes):
        if c in known:
            coef[row], intercept[row] = probe.coef_[known[c]], probe.intercept_[known[c]]
        else:
            coef[row], intercept[row] = learnt[c]
    return coef, intercept


def _coverage_at_precision(confidences: np.ndarray, correct: np.ndarray, target: float) -> tuple[float, float | None]:
    """The largest share of cases, most confident first, that keeps precision ≥ target, and its threshold."""
    if len(confidences) == 0:
        return 0.0, None
    order = np.argsort(-confidences, kind="stable")
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, len(order) + 1)
    ok = np.nonzero(precision >= target)[0]
    if len(ok) == 0:
        return 0.0, None
    k = int(ok[-1])
    return (k + 1) / len(order), float(confidences[order][k])


def reliability(confidences: np.ndarray, correct: np.ndarray, *,
                bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error of the top-1 confidence, and the reliability table per bin."""
    table = []
    ece = 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for lo, hi in itertools.pairwise(edges):
        inside = (confidences > lo) & (confidences <= hi) if lo > 0 else (confidences >= lo) & (confidences <= hi)
        n = int(inside.sum())
        if n == 0:
            continue
        confidence, accuracy = float(confidences[inside].mean()), float(correct[inside].mean())
        ece += n / len(confidences) * abs(confidence - accuracy)
        table.append({"from": round(float(lo), 2), "to": round(float(hi), 2), "cases": n,
                      "confidence": round(confidence, 3), "accuracy": round(accuracy, 3)})
    return ece, table


def classifier_evaluate(model: TrainedClassifier, examples: Sequence[Example]) -> dict[str, Any]:
    """Accuracy (top label is one of the case's labels), macro-F1 over primary labels, top-3, calibration
    (ECE and the reliability table) and the share routable automatically at 90 % precision."""
    if not examples:
        return {"cases": 0}
    probabilities = model.probabilities([e.text for e in examples])
    classes = np.array(model.classes, dtype=object)
    order = np.argsort(-probabilities, axis=1)
    top1 = classes[order[:, 0]]
    confidences = probabilities[np.arange(len(examples)), order[:, 0]]
    correct = np.array([top1[i] in e.labels for i, e in enumerate(examples)], dtype=float)
    top3 = np.array([bool(set(classes[order[i, :3]]) & set(e.labels)) for i, e in enumerate(examples)], dtype=float)
    primary = [e.labels[0] for e in examples]
    predicted = [e.labels[0] if correct[i] else str(top1[i]) for i, e in enumerate(examples)]
    ece, table = reliability(confidences, correct)
    coverage, threshold = _coverage_at_precision(confidences, correct, PRECISION_TARGET)
    return {
        "cases": len(examples),
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_score(primary, predicted, average="macro", zero_division=0)), 4),
        "top3_accuracy": round(float(top3.mean()), 4),
        "ece": round(float(ece), 4),
        "coverage_at_90_precision": round(coverage, 4),
        "threshold_at_90_precision": None if threshold is None else round(threshold, 4),
        "unknown_label_share": round(float(np.mean([not set(e.labels) & set(model.classes) for e in examples])), 4),
        "reliability": table,
    }


def no_worse(candidate: dict[str, Any], active: dict[str, Any], *, tolerance: float = 0.0) -> bool:
    """A new version may replace the active one only if neither accuracy nor macro-F1 drops (ADR 0016)."""
    return all(
        float(candidate.get(metric, 0.0)) >= float(active.get(metric, 0.0)) - tolerance
        for metric in ("accuracy", "macro_f1")
    )


def classifier_dump(model: TrainedClassifier) -> tuple[bytes, str]:
    """The model's bytes (joblib, compressed) and their SHA-256."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def classifier_load(data: bytes, *, sha256: str) -> TrainedClassifier:
    """Unpickle only bytes whose checksum is the one we wrote with them (never anything else)."""
    if not sha256 or hashlib.sha256(data).hexdigest() != sha256:
        raise ModelIntegrityError("the stored model does not match its checksum")
    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, TrainedClassifier) or model.feature_version != FEATURE_VERSION:
        raise ModelIntegrityError("the stored model was built by another version of the features")
    return model
