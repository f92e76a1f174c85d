"""Base models shared by every domain app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
