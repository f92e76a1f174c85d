"""Train and evaluate the classifier on exported contacts (JSON lines); prints one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.routing.benchmark import describe, examples_from_jsonl, time_ordered_cv, train_and_evaluate
from civicdesk.routing.classifier import FeatureOptions, NotEnoughDataError, lemmatiser_available


class Command(BaseCommand):
    help = (
        "Train the classifier exactly as production does on --train and evaluate it on --test, or with "
        "--folds N on time-ordered cross-validation of --train. Prints accuracy, macro-F1, top-3 accuracy, "
        "calibration (ECE) and the share routed automatically at 90 % precision, as one JSON object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, help="JSON-lines file to train on")
        parser.add_argument("--test", help="JSON-lines file to test on (else --folds on --train)")
        parser.add_argument("--label", default="service_code",
                            help="the field to predict: service_code, service_group, agency_responsible")
        parser.add_argument("--folds", type=int, default=4, help="time-ordered folds when --test is not given")
        parser.add_argument("--baseline", action="store_true", help="plain TF-IDF + logistic regression instead")
        parser.add_argument("--lemmas", action="store_true", help="add Finnish base forms from Voikko")
        parser.add_argument("--reliability", action="store_true", help="include the reliability table")

    def handle(self, *args: Any, **options: Any) -> None:
        features = FeatureOptions(lemmas=options["lemmas"], baseline=options["baseline"])
        if features.lemmas and not lemmatiser_available():
            raise CommandError("--lemmas needs libvoikko and the Finnish dictionary (apt-get install voikko-fi).")
        try:
            train = examples_from_jsonl(options["train"], label=options["label"])
            if options["test"]:
                test = examples_from_jsonl(options["test"], label=options["label"])
                result = train_and_evaluate(train, test, label=options["label"], options=features)
                if not options["reliability"]:
                    result.pop("reliability", None)
            else:
                result = time_ordered_cv(train, label=options["label"], options=features, folds=options["folds"])
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"Cannot read the data: {exc}") from exc
        except NotEnoughDataError as exc:
            raise CommandError(f"Not enough data to train: {exc}") from exc
        result = {"label": options["label"], "model": describe(features), **result}
        self.stdout.write(json.dumps(result, ensure_ascii=False))
