"""ORM reads whose SQL is compiled once per process and run again with each request's values (ADR 0026).

Django builds and compiles a queryset's SQL every time it is evaluated. For the staff pages' reads that
costs more of the web worker's CPU than PostgreSQL spends running them (docs/benchmarks.md, issue 3).
A `KeptQuery` builds its queryset once per key, with stand-in values for the parts that change from
one request to the next (the *slots*: a reference, an id, a coordinate, a date), compiles it, and from
then on runs the kept SQL with the request's values in the stand-ins' places. It turns the rows into
what Django would have given: model instances (with `select_related` and annotations) or tuples.

What decides the SQL's text must be in the key, or in the `owner`:
- `owner` is an object the SQL was built for, compared by identity: the user's `UserAccess`, from
  which the visibility filter is built. The process keeps one per user under the configuration
  generation (accounts.permissions.access_for) and builds a new one when it changes, so a statement
  kept for an owner is never used after a change of configuration;
- `key` holds the rest: which optional filters are present, LIMIT and OFFSET (Django writes them into
  the SQL), the language where translated columns are read.
A statement kept without an owner is forgotten when the configuration generation changes
(core.config_generation), as the other kept values are.

A slot takes only what Django passes to the database as one parameter unchanged (int, str, float, an
aware datetime). When a stand-in does not come back from the compiler as parameters equal to it
(Django rewrote the value, say `%value%` for `contains`, or wrote it into the SQL text), or the
queryset is of a kind this module does not reproduce (values(), prefetching, a custom iterable such
as modeltranslation's), nothing is kept for that key: the queryset runs as usual, every time, and
gives the same rows. The tests run each kept query both ways and compare.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

from civicdesk.core.config_generation import config_generation

# Stand-ins: values no real row or request has, one per slot. Integers stay inside a 32-bit column's
# range (Django answers "no rows" for an out-of-range lookup without asking the database).
_INT_BASE = -2_000_000_000
_FLOAT_BASE = -1.0e300


def _stand_in(index: int, value: Any) -> Any:
    kind = type(value)
    if kind is int:
        return _INT_BASE - index
    if kind is str:
        return f"\uffffkept-slot-{index}\uffff"
    if kind is float:
        return _FLOAT_BASE * (1 + index / 1024)
    if kind is dt.datetime and value.tzinfo is not None:
        return dt.datetime(1, 1, 1, 0, 0, 0, index + 1, tzinfo=dt.UTC)
    raise TypeError(f"a kept query's slot takes an int, str, float or aware datetime, not {kind.__name__}")


@dataclass(frozen=True)
class _Compiled:
    """One key's SQL, and what turns its rows into the queryset's results."""

    owner: Any
    generation: int
    alias: str
    sql: str
    params: tuple[Any, ...]
    slots: dict[str, tuple[int, ...]]  # name → its positions in params (the slots' types are in the key)
    col_count: int | None  # rows carry extra columns to cut (an ORDER BY on a column not selected)
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    # Model instances (None for tuples):
    model: type[Model] | None = None
    init_list: tuple[str, ...] = ()
    model_slice: tuple[int, int] = (0, 0)
    related_populators: tuple[Any, ...] = ()
    annotation_col_map: tuple[tuple[str, int], ...] = ()


_UNKEPT = object()  # a key whose queryset cannot be kept: it runs as usual


class KeptQuery:
    """One read, kept compiled per key (see the module's docstring).

        CASE_READ = KeptQuery("cases.case_read")
        found = CASE_READ.instances(build, owner=access, key=(for_page,), reference="2024-000123")

    `build(**slots)` returns the queryset, using its keyword arguments where the request's values go.
    It is called with stand-ins the first time a key is met, and with the real values whenever the
    query cannot be kept.
    """

    def __init__(self, name: str, *, max_entries: int = 2000, reads_configuration: bool = True) -> None:
        """`reads_configuration=False`: the SQL does not depend on configuration (no owner is needed, and
        the generation is not read)."""
        self.name = name
        self.reads_configuration = reads_configuration
        self._max_entries = max_entries
        self._entries: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def instances(self, build: Callable[..., QuerySet[Any]], *, owner: Any = None, key: Hashable = (),
                  **slots: Any) -> list[Any]:
        """The queryset's model instances, as `list(build(**slots))` gives them."""
        return self._run(build, owner, key, slots, ModelIterable)

    def rows(self, build: Callable[..., QuerySet[Any]], *, owner: Any = None, key: Hashable = (),
             **slots: Any) -> list[tuple[Any, ...]]:
        """The rows of a `values_list()` queryset (not flat, not named), as `list(build(**slots))` gives them."""
        return self._run(build, owner, key, slots, ValuesListIterable)

    def count(self, build: Callable[..., QuerySet[Any]], *, limit: int | None = None, owner: Any = None,
              key: Hashable = (), **slots: Any) -> int:
        """How many rows the queryset has, at most `limit`: what `build(**slots)[:limit].count()` says, in the
        SQL Django writes for it (`SELECT COUNT(*) FROM (SELECT id … LIMIT n) subquery`)."""
        def ids(**values: Any) -> QuerySet[Any]:
            return build(**values).order_by().values_list("pk")[:limit]

        return cast(int, self._run(ids, owner, ("count", limit, key), slots, ValuesListIterable, count=True))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def is_kept(self, *, owner: Any = None, key: Hashable = (), **slots: Any) -> bool:
        """Whether a compiled statement is kept for this owner, key and slot types (the tests ask)."""
        entry = self._entries.get(self._full_key(owner, key, slots))
        return isinstance(entry, _Compiled) and entry.owner is owner

    # --- internals ---------------------------------------------------------------------------------

    @staticmethod
    def _full_key(owner: Any, key: Hashable, slots: dict[str, Any]) -> Hashable:
        return (id(owner), key, tuple((name, type(value)) for name, value in slots.items()))

    def _run(self, build: Callable[..., QuerySet[Any]], owner: Any, key: Hashable, slots: dict[str, Any],
             iterable: type, *, count: bool = False) -> Any:
        def unkept() -> Any:
            queryset = build(**slots)
            return queryset.count() if count else list(queryset)

        if settings.CONFIG_CACHE_SECONDS <= 0:
            return unkept()
        # An owner the process keeps under the configuration generation (a user's access) is replaced
        # when the generation changes: its identity says enough. Without one, the generation is read.
        generation = config_generation() if owner is None and self.reads_configuration else 0
        full_key = self._full_key(owner, key, slots)
        entry = self._entries.get(full_key)
        if entry is _UNKEPT:
            return unkept()
        if entry is None or entry.owner is not owner or entry.generation != generation:
            entry = _compile(build, owner, generation, slots, iterable, count=count)
            with self._lock:
                if len(self._entries) >= self._max_entries:
                    self._entries.clear()
                self._entries[full_key] = entry if entry is not None else _UNKEPT
            if entry is None:
                return unkept()
        rows = _execute(entry, slots)
        return rows[0][0] if count else rows


def _compile(build: Callable[..., QuerySet[Any]], owner: Any, generation: int, slots: dict[str, Any],
             iterable: type, *, count: bool = False) -> _Compiled | None:
    stand_ins = {name: _stand_in(index, value) for index, (name, value) in enumerate(slots.items())}
    queryset: Any = build(**stand_ins)  # its private attributes are read below
    if (queryset._iterable_class is not iterable or queryset._prefetch_related_lookups
            or queryset._known_related_objects or queryset._result_cache is not None):
        return None
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):  # a condition that needs no SQL: the ORM answers it every time
        return None
    params = tuple(params)
    positions: dict[str, tuple[int, ...]] = {}
    for name, stand_in in stand_ins.items():
        # isinstance: the PostgreSQL backend hands integers to psycopg typed by their column (Int4, Int8).
        found = tuple(i for i, param in enumerate(params) if isinstance(param, type(stand_in)) and param == stand_in)
        if not found:
            return None
        positions[name] = found
    if count:
        # Django's own form for counting a sliced queryset (Query.get_aggregation).
        return _Compiled(owner=owner, generation=generation, alias=queryset.db,
                         sql=f"SELECT COUNT(*) FROM ({sql}) subquery", params=params, slots=positions,  # noqa: S608
                         col_count=None, converters=())
    if iterable is ValuesListIterable:
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = [*queryset._fields, *(f for f in query.annotation_select if f not in queryset._fields)]
        if queryset._fields and fields != names:
            return None
    select_fields = [s[0] for s in compiler.select[0:compiler.col_count]]
    if compiler.has_composite_fields(select_fields):
        return None
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(select_fields).items()
    )
    compiled = _Compiled(
        owner=owner, generation=generation, alias=queryset.db, sql=sql, params=params, slots=positions,
        col_count=compiler.col_count if compiler.has_extra_select else None, converters=converters,
    )
    if iterable is ModelIterable:
        klass_info, select = compiler.klass_info, compiler.select
        select_field_positions = klass_info["select_fields"]
        start, end = select_field_positions[0], select_field_positions[-1] + 1
        return replace(
            compiled,
            model=klass_info["model"],
            init_list=tuple(f[0].target.attname for f in select[start:end]),
            model_slice=(start, end),
            # Django 5.2's signature (the type stubs follow 6.0, which adds `fetch_mode`).
            related_populators=tuple(get_related_populators(  # type: ignore[call-arg]
                klass_info, select, queryset.db)),
            annotation_col_map=tuple((compiler.annotation_col_map or {}).items()),
        )
    return compiled


def _execute(entry: _Compiled, slots: dict[str, Any]) -> list[Any]:
    params = list(entry.params)
    for name, positions in entry.slots.items():
        value = slots[name]
        for position in positions:
            typed = type(params[position])
            # The stand-in's own type where the backend typed it (psycopg's Int8 for a bigint column,
            # say), so that the statement keeps one set of parameter types and stays prepared.
            params[position] = value if typed is type(value) else typed(value)
    connection = connections[entry.alias]
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        rows: list[Any] = cursor.fetchall()
    if entry.col_count is not None:
        rows = [row[: entry.col_count] for row in rows]
    if entry.converters:
        # SQLCompiler.apply_converters, given this thread's connection (the compiler kept the one it
        # compiled on, and a kept statement serves every thread of the process).
        converted = []
        for row in rows:
            values = list(row)
            for position, functions, expression in entry.converters:
                value = values[position]
                for function in functions:
                    value = function(value, expression, connection)
                values[position] = value
            converted.append(values)
        rows = converted
    if entry.model is None:
        return [tuple(row) for row in rows]
    model, alias, init_list = entry.model, entry.alias, list(entry.init_list)
    start, end = entry.model_slice
    found = []
    for row in rows:
        instance = model.from_db(alias, init_list, row[start:end])
        for populator in entry.related_populators:
            populator.populate(row, instance)
        for attribute, position in entry.annotation_col_map:
            setattr(instance, attribute, row[position])
        found.append(instance)
    return found
