"""The classifier without the database: features, fitting, evaluation, the no-worse rule, safe loading."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from civicdesk.routing.classifier import (
    PROBE_PASSES,
    PROBE_PASSES_MIN,
    WARM_START_PASSES,
    CharNgramTfidfVectorizer,
    Example,
    FeatureOptions,
    ModelIntegrityError,
    NotEnoughDataError,
    classifier_dump,
    classifier_evaluate,
    classifier_fit,
    classifier_load,
    features_build,
    learnable,
    lemmatiser_available,
    no_worse,
    passes_for,
    reliability,
    split_by_time,
    text_normalise,
)
from civicdesk.routing.language import language_detect
from civicdesk.routing.tests.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def trained():
    examples = synthetic_examples(90)
    train, test, _cutoff = split_by_time(examples)
    return classifier_fit(train, target="group", multi_label=False), test


def test_character_ngrams_share_features_between_inflected_forms():
    features = features_build(FeatureOptions())
    features.fit(["kuoppa kadulla", "puisto", "kotihoito", "kuoppa puistossa"])
    inflected = features.transform(["kuopissa"]).toarray()[0]
    assert inflected.any(), "an inflected form unseen in training still has character n-grams in common"
    names = set(features.get_feature_names_out())
    assert any(n.startswith("chars__") for n in names)
    assert any(n.startswith("words__") for n in names)


def test_numbers_are_normalised_so_stop_numbers_do_not_become_topics():
    assert text_normalise("Pysäkki 0413 ja 12") == "pysäkki 0 ja 0"


def test_fit_and_predict_on_synthetic_finnish(trained):
    model, test = trained
    metrics = classifier_evaluate(model, test)
    assert metrics["accuracy"] >= 0.9
    assert metrics["top3_accuracy"] == 1.0
    prediction = model.predict(["Kadulla on syvä kuoppa ja asfaltti rikki"])[0]
    assert prediction.label == "streets"
    assert 0 < prediction.confidence <= 1
    assert sum(p for _label, p in model.predict(["puiston keinu"], top=10)[0].ranked) == pytest.approx(1.0)


def test_explanation_names_the_words_behind_a_prediction(trained):
    model, _test = trained
    features = model.explain("Puiston penkki on rikki", "parks")
    assert features
    assert all(weight > 0 for _name, weight in features)
    assert any("puisto" in name or "penk" in name for name, _weight in features)
    assert model.explain("Puiston penkki", "no-such-label") == []


def test_evaluation_reports_every_figure_with_a_reliability_table(trained):
    model, test = trained
    metrics = classifier_evaluate(model, test)
    for key in ("accuracy", "macro_f1", "top3_accuracy", "ece", "coverage_at_90_precision", "reliability", "cases"):
        assert key in metrics
    assert sum(row["cases"] for row in metrics["reliability"]) == len(test)
    assert classifier_evaluate(model, []) == {"cases": 0}


def test_expected_calibration_error_of_a_perfectly_calibrated_and_an_overconfident_model():
    confidences = np.array([0.8] * 10)
    ece, _table = reliability(confidences, np.array([1.0] * 8 + [0.0] * 2))
    assert ece == pytest.approx(0.0)
    ece, _table = reliability(np.array([0.99] * 10), np.array([1.0] * 5 + [0.0] * 5))
    assert ece == pytest.approx(0.49)


def test_multi_label_categories_give_independent_probabilities():
    examples = synthetic_examples(90)
    start = examples[-1].at
    both = [Example(text="Puiston penkki rikki ja kadulla kuoppa", labels=("parks", "streets"),
                    at=start + dt.timedelta(hours=i + 1)) for i in range(10)]
    model = classifier_fit(examples + both, target="category", multi_label=True)
    ranked = dict(model.predict(["Puistossa penkki rikki ja kadun asfaltissa kuoppa"])[0].ranked)
    assert ranked["parks"] > 0.3
    assert ranked["streets"] > 0.3
    assert model.explain("puiston penkki", "parks")


def test_time_split_holds_out_the_most_recent_and_respects_the_active_versions_cut():
    examples = synthetic_examples(50)
    train, test, cutoff = split_by_time(examples, held_out_share=0.2)
    assert len(test) == 10
    assert max(e.at for e in train) < min(e.at for e in test) == cutoff
    later = examples[45].at
    train, test, cutoff = split_by_time(examples, not_before=later)
    assert cutoff == later
    assert len(test) == 5
    assert split_by_time([]) == ([], [], None)


def test_rare_labels_are_dropped_and_too_little_data_is_refused():
    examples = synthetic_examples(9)
    lone = dataclasses.replace(examples[0], labels=("once",))
    assert all("once" not in e.labels for e in learnable([*examples, lone]))
    with pytest.raises(NotEnoughDataError):
        classifier_fit(examples[:3], target="group", multi_label=False)
    single = [dataclasses.replace(e, labels=("streets",)) for e in examples]
    with pytest.raises(NotEnoughDataError):
        classifier_fit(single, target="group", multi_label=False)


def test_no_worse_rule():
    active = {"accuracy": 0.80, "macro_f1": 0.50}
    assert no_worse({"accuracy": 0.80, "macro_f1": 0.50}, active)
    assert no_worse({"accuracy": 0.85, "macro_f1": 0.55}, active)
    assert not no_worse({"accuracy": 0.79, "macro_f1": 0.60}, active)
    assert not no_worse({"accuracy": 0.90, "macro_f1": 0.49}, active)
    assert no_worse({"accuracy": 0.79, "macro_f1": 0.49}, active, tolerance=0.02)


def test_a_model_loads_only_with_its_own_checksum(trained):
    model, _test = trained
    data, digest = classifier_dump(model)
    loaded = classifier_load(data, sha256=digest)
    assert loaded.predict(["kuoppa kadulla"])[0].label == model.predict(["kuoppa kadulla"])[0].label
    with pytest.raises(ModelIntegrityError):
        classifier_load(data + b"x", sha256=digest)
    with pytest.raises(ModelIntegrityError):
        classifier_load(data, sha256="")


@pytest.mark.skipif(not lemmatiser_available(), reason="libvoikko and voikko-fi are not installed")
def test_finnish_base_forms_split_compounds():
    from civicdesk.routing.classifier import FinnishLemmas

    words = FinnishLemmas()("katuvalot kuopissa")
    assert {"katuvalo", "katu", "valo", "kuoppa"} <= set(words)


@pytest.mark.parametrize(("text", "language"), [
    ("Kadulla on iso kuoppa pyörätien kohdalla", "fi"),
    ("Det finns ett stort hål i gatan vid cykelbanan", "sv"),
    ("There is a large pothole in the street by the cycle lane", "en"),
    ("Este o groapă mare pe stradă lângă pista de biciclete", "ro"),
    ("ok", ""),
])
def test_language_is_detected_among_our_four(text, language):
    assert language_detect(text) == language


def test_scores_for_a_few_rows_equal_scikit_learns_decision_function():
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import SGDClassifier

    from civicdesk.routing.classifier import _scores

    rng = np.random.default_rng(0)
    matrix = sparse.random(40, 300, density=0.05, format="csr", random_state=1)
    for classes in (2, 5):
        model = SGDClassifier(loss="log_loss", random_state=0).fit(matrix, rng.integers(0, classes, 40))
        expected = model.decision_function(matrix[:3])
        got = _scores(model, matrix[:3])
        if classes == 2:
            expected = np.column_stack([-expected / 2, expected / 2])
        assert np.allclose(got, expected)


def test_multi_label_probabilities_equal_scikit_learns_for_a_few_rows():
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import SGDClassifier
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    from civicdesk.routing.classifier import TrainedClassifier

    rng = np.random.default_rng(0)
    matrix = sparse.random(60, 200, density=0.05, format="csr", random_state=2)
    labels = rng.integers(0, 2, size=(60, 4))
    model = OneVsRestClassifier(SGDClassifier(loss="log_loss", random_state=0)).fit(matrix, labels)
    trained = TrainedClassifier(target="category", multi_label=True, pipeline=Pipeline([("model", model)]),
                                classes=["a", "b", "c", "d"])
    assert np.allclose(trained.probabilities_of(matrix[:5]), model.predict_proba(matrix[:5]))


CHAR_TEXTS = [
    "Kuoppa kadulla 12, pyörätien kohdalla!", "", "a", "ab  c\t\nd\u00a0e", "Ääkkösiä ÅÅ öö — katuvalot",
    "Kuopissa on vettä; kuoppa kadulla taas", "x" * 40, "ilmoitus ilmoitus ilmoitus", "  välilyöntejä   ",
]


@pytest.mark.parametrize("options", [
    {"ngram_range": (2, 5), "min_df": 2, "max_features": 150},
    {"ngram_range": (2, 5), "min_df": 1, "max_features": None, "sublinear_tf": True},
    {"ngram_range": (1, 3), "min_df": 1, "max_features": 40, "lowercase": False},
    {"ngram_range": (3, 3), "min_df": 1, "max_features": None, "dtype": np.float64},
])
def test_word_by_word_character_counting_equals_scikit_learns(options):
    options = {"analyzer": "char_wb", "preprocessor": text_normalise, "dtype": np.float32} | options
    ours, theirs = CharNgramTfidfVectorizer(**options), TfidfVectorizer(**options)
    fitted, expected = ours.fit_transform(CHAR_TEXTS), theirs.fit_transform(CHAR_TEXTS)
    assert ours.vocabulary_ == theirs.vocabulary_
    np.testing.assert_array_equal(ours.idf_, theirs.idf_)
    new_texts = [*CHAR_TEXTS[::-1], "tuntematon sana zzqx", ""]
    for got, want in ((fitted, expected), (ours.transform(new_texts), theirs.transform(new_texts))):
        assert got.dtype == want.dtype
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.indptr, want.indptr)
        np.testing.assert_array_equal(got.indices, want.indices)
        np.testing.assert_array_equal(got.data, want.data)


def test_word_by_word_counting_refuses_texts_without_words_as_scikit_learn_does():
    for vectorizer in (CharNgramTfidfVectorizer(analyzer="char_wb"), TfidfVectorizer(analyzer="char_wb")):
        with pytest.raises(ValueError, match="empty vocabulary"):
            vectorizer.fit(["", "   "])


def test_word_by_word_counting_leaves_other_analysers_to_scikit_learn():
    ours = CharNgramTfidfVectorizer(analyzer="word").fit_transform(CHAR_TEXTS)
    theirs = TfidfVectorizer(analyzer="word").fit_transform(CHAR_TEXTS)
    assert isinstance(ours, sparse.csr_matrix)
    assert (ours != theirs).nnz == 0


def test_labels_only_the_newest_cases_have_are_learnt_while_the_rest_continue_from_the_probe():
    examples = synthetic_examples(240)
    newest = max(e.at for e in examples)
    # A topic that appears only in the last days (say, a new service): outside the probe's 85 %.
    new_topic = [Example(text=f"Sähköpotkulaudat ovat kaatuneet jalkakäytävälle {n}. kerran tällä viikolla",
                         labels=("scooters",), at=newest + dt.timedelta(minutes=n)) for n in range(8)]
    another = [Example(text=f"Uimarannan vedessä on sinilevää {n}. päivänä", labels=("beaches",),
                       at=newest + dt.timedelta(minutes=20 + n)) for n in range(8)]
    model = classifier_fit([*examples, *new_topic, *another], target="group", multi_label=False)
    estimator = model.pipeline.named_steps["model"]
    assert set(model.classes) == {"streets", "parks", "social", "scooters", "beaches"}
    assert estimator.n_iter_ == WARM_START_PASSES < PROBE_PASSES, "the final model continued, not started again"
    assert model.temperature is not None
    assert model.predict(["Sähköpotkulauta kaatunut jalkakäytävälle"])[0].label == "scooters"
    assert model.predict(["Sinilevää uimarannalla"])[0].label == "beaches"
    assert model.predict(["Kadulla on syvä kuoppa ja asfaltti rikki"])[0].label == "streets"
    # One new label alone is a binary problem of its own.
    single = classifier_fit([*examples, *new_topic], target="group", multi_label=False)
    assert "scooters" in single.classes
    assert single.predict(["Sähköpotkulauta kaatunut jalkakäytävälle"])[0].label == "scooters"


def test_fewer_passes_over_many_cases_as_many_updates_and_never_below_the_minimum():
    assert passes_for(0) == passes_for(900) == passes_for(25_000) == PROBE_PASSES
    assert passes_for(42_500) == 6
    assert passes_for(50_000) == passes_for(1_000_000) == PROBE_PASSES_MIN


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 5), (3, 3), (4, 6), (5, 9)])
def test_one_words_character_ngrams_are_scikit_learns_for_every_length(ngram_range):
    from civicdesk.routing.classifier import _char_wb_word_ngrams

    analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, lowercase=False).build_analyzer()
    for length in range(1, 12):
        word = "abcdefghijk"[:length]
        assert _char_wb_word_ngrams(word, *ngram_range) == analyse(word), word
