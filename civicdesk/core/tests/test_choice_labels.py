"""`get_FOO_display()` from the kept table (core.models.ChoiceLabels) says what Django's own says, in
every language, for every choice, an empty value and a value that is not a choice."""

from __future__ import annotations

import pytest
from django.db import models
from django.utils import translation

from civicdesk.cases.models import Case, CommentRequest, TimelineEntry
from civicdesk.core.models import ChoiceLabels


@pytest.mark.parametrize("model", [Case, TimelineEntry, CommentRequest])
@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_labels_are_djangos_for_every_choice_and_language(model: type[models.Model], language: str) -> None:
    assert issubclass(model, ChoiceLabels)
    fields = [field for field in model._meta.concrete_fields if field.choices]
    assert fields
    instance = model()
    with translation.override(language):
        for field in fields:
            for value in [*(key for key, _label in field.flatchoices), "", "not-a-choice", None]:
                setattr(instance, field.attname, value)
                ours = getattr(instance, f"get_{field.name}_display")()
                djangos = models.Model._get_FIELD_display(instance, field)  # type: ignore[attr-defined]
                assert ours == djangos, (field.name, value)
                assert type(ours) is type(djangos)
