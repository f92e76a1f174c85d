"""Configuration that hot paths keep per process, dropped the moment anyone changes it.

Every new case reads the same configuration: routing settings and rules, service levels, the case
type's workflow, mail templates. Reading it anew costs several ORM queries per case; keeping it
for a fixed time (as `ProcessCache` alone does) would make an administrator's edit apply only
after a while, which is confusing when they test the change right away. Instead:

- one row holds the *configuration generation*, a random number;
- saving or deleting any watched model (`watch`), or changing its many-to-many relations, gives the
  row a new random number in the same transaction, so the change and the new number commit
  together (and a rolled-back change leaves the old number, which is still right);
- `ConfigCache` keeps a value with the generation it was read under, and reads the generation
  (one small query by primary key) before using it: a change made anywhere, by any process, is
  seen by the next read. `CONFIG_CACHE_SECONDS` still bounds the age of a value, for changes
  made outside the ORM (SQL, `QuerySet.update()`), which send no signal.

The generation is read before the value is loaded, so a value loaded while a change commits is
kept under the older number and read again next time. Random numbers, not a counter: a rolled
back change can never leave a number that a later change reuses.

A worker task reads the generation once (`config_generation_scope`, opened around every task by
config/celery.py): a task that reads five kept values pays one query, not five, and sees one
configuration throughout. The number kept in a scope is read again after
`CONFIG_GENERATION_SCOPE_SECONDS` (1 s), so a long task (an IMAP poll) still sees an edit within a
second; a change the task makes itself is seen at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import random
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection, models
from django.db.models.signals import m2m_changed, post_delete, post_save

from civicdesk.core.models import ConfigGeneration
from civicdesk.core.process_cache import ProcessCache

V = TypeVar("V")

ROW_ID = 1
_TABLE = ConfigGeneration._meta.db_table


# How long a scope keeps the number it read: long enough for one task's reads, short enough that a
# long-running task sees an administrator's edit about as soon as a new task would.
CONFIG_GENERATION_SCOPE_SECONDS = 1.0


@dataclasses.dataclass
class _Scope:
    value: int = 0
    read_at: float | None = None  # monotonic time of the read; None: not read yet
    changed: bool = False  # the unit of work changed configuration itself: read every time from then on


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("config_generation_scope", default=None)


@contextlib.contextmanager
def config_generation_scope() -> Iterator[None]:
    """Inside: the generation is read at most once a second (one unit of work, e.g. a worker task)."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


def config_generation_scope_open() -> Callable[[], None]:
    """Open a scope without a `with` block (Celery's prerun signal); returns the function that closes it."""
    token = _scope.set(_Scope())
    return lambda: _scope.reset(token)


def config_generation() -> int:
    """The current generation (0 before any change was recorded); inside a scope, its kept number."""
    scope = _scope.get()
    if (scope is not None and scope.read_at is not None and not scope.changed
            and time.monotonic() - scope.read_at < CONFIG_GENERATION_SCOPE_SECONDS):
        return scope.value
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {_TABLE} WHERE id = %s", [ROW_ID])  # noqa: S608 (a constant)
        row = cursor.fetchone()
    value = int(row[0]) if row else 0
    if scope is not None:
        scope.value, scope.read_at = value, time.monotonic()
    return value


def config_changed() -> None:
    """Record that configuration changed: a new generation, in the current transaction."""
    value = random.getrandbits(62) + 1  # uniqueness, not secrecy
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (id, value) VALUES (%s, %s) "  # noqa: S608 (a constant)
            "ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value", [ROW_ID, value])
    scope = _scope.get()
    if scope is not None:
        # Whether the change commits or rolls back, only the database knows: ask it from now on.
        scope.changed = True


class ConfigCache(Generic[V]):
    """Values read from watched configuration, kept per process until it changes (None is kept too)."""

    def __init__(self, *, max_entries: int = 500) -> None:
        self._cache: ProcessCache[tuple[V]] = ProcessCache(max_entries=max_entries)

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """`load()`'s value for `key`, kept until the configuration changes, and for at most
        CONFIG_CACHE_SECONDS (0 reads every time). Values are shared between callers: only read them."""
        seconds = settings.CONFIG_CACHE_SECONDS
        if seconds <= 0:
            return load()
        return self._cache.get(key, seconds=seconds, load=lambda: (load(),), generation=config_generation())[0]

    def clear(self) -> None:
        self._cache.clear()


def _changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    config_changed()


def _m2m_changed(sender: Any, *, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        config_changed()


def watch(*watched: type[models.Model]) -> None:
    """Treat saving or deleting these models, and changing their many-to-many fields, as a configuration change."""
    for model in watched:
        uid = f"config_generation.{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}.{field.name}")


M = TypeVar("M", bound=models.Model)


class KeptRows(Generic[M]):
    """Every row of a small watched model (groups, organisations, case types), kept per process under the
    generation. `snapshot()` gives one reading; its `get(pk)` builds a fresh instance from the kept
    values each time, so a request that changes an instance changes nothing kept.

    Fields in `defer` (a large geometry, say) are not kept: the instances load them on access.
    """

    def __init__(self, model: type[M], *, defer: tuple[str, ...] = ()) -> None:
        self.model = model
        self.defer = defer
        self._cache: ConfigCache[KeptSnapshot[M]] = ConfigCache(max_entries=1)

    def snapshot(self) -> KeptSnapshot[M]:
        """The kept rows (1 query when not kept; the generation is read as for any kept value)."""
        return self._cache.get("rows", self._load)

    def get(self, pk: Any) -> M | None:
        return self.snapshot().get(pk)

    def clear(self) -> None:
        self._cache.clear()

    def _load(self) -> KeptSnapshot[M]:
        fields = [f for f in self.model._meta.concrete_fields if f.name not in self.defer]
        names = [f.attname for f in fields]
        # The values as loaded (`__dict__`): modeltranslation's descriptors would give the current
        # language's value for a translated field's own name.
        rows = {
            instance.pk: tuple(instance.__dict__[name] for name in names)
            for instance in self.model._base_manager.defer(*self.defer)
        }
        return KeptSnapshot(self.model, names, rows)


class KeptSnapshot(Generic[M]):
    def __init__(self, model: type[M], names: list[str], rows: dict[Any, tuple[Any, ...]]) -> None:
        self.model, self.names, self.rows = model, names, rows

    def get(self, pk: Any) -> M | None:
        row = self.rows.get(pk)
        return self.model.from_db("default", self.names, row) if row is not None else None
