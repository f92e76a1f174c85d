"""Base models shared by every domain app."""

from typing import Any

from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

# Per choices field: its values and their (lazy) labels, built once per process.
_CHOICE_LABELS: dict[Any, dict[Any, Any]] = {}


class ChoiceLabels(models.Model):
    """`get_FOO_display()` from a table kept per field.

    Django's own builds a dict of the field's choices on every call, hashing each lazy label, which
    translates every label of the field to show one: about 130 µs for a timeline entry's kind, a
    millisecond per case page (docs/benchmarks.md, issue 3). This keeps the values and their lazy
    labels per field and translates only the one shown. The answer is Django's: the label, or the
    value itself when it is not among the choices. Choices computed by a callable, and values that
    cannot be looked up in a dict, go to Django's own method.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: Any) -> Any:  # noqa: N802 (Django's name)
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            if isinstance(field.choices, CallableChoiceIterator):
                return super()._get_FIELD_display(field)  # type: ignore[misc]
            labels = _CHOICE_LABELS[field] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value (a list, say): Django's method makes it hashable
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class ConfigGeneration(models.Model):
    """One row whose `value` changes whenever configuration that hot paths keep changes (`config_generation`)."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("configuration generation")

    def __str__(self) -> str:
        return str(self.value)
