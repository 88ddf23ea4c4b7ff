"""Rows of the hottest lookups read with SQL composed once, turned into the same instances the ORM builds.

Every signed-in request finds its token, and every commune-scoped one its commune and the reader's right to
it. Composing those few fixed statements through the ORM cost more than the database took to answer them
(profiled in-process: 0.5 ms for the token of a 2.2 ms request; 1.7 ms for a commune and its access rule in
a statistics request answered from its cache). Their SQL never changes but for its parameters, so it is
composed once per database connection (the ORM's own compiler, where a queryset says it) and each column's
value goes through the field's own database converters, in the order the ORM applies them: the instances
equal what the queryset returns (each lookup's test compares them field by field).
"""

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

import psycopg
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

M = TypeVar("M", bound=models.Model)
P = TypeVar("P")
Converter = Callable[[Any, Any, Any], Any]

# Plans per connection: a converter may be bound to its connection's operations, and each thread has its own.
_plans: "WeakKeyDictionary[BaseDatabaseWrapper, dict[Hashable, Any]]" = WeakKeyDictionary()


def plan_for(key: Hashable, alias: str, build: Callable[[BaseDatabaseWrapper], P]) -> tuple[BaseDatabaseWrapper, P]:
    """The plan `build` makes for this thread's connection to `alias`, made once."""
    connection = connections[alias]
    plans = _plans.setdefault(connection, {})
    if key not in plans:
        plans[key] = build(connection)
    return connection, plans[key]


def read_alias(model: type[models.Model]) -> str:
    return router.db_for_read(model) or "default"


def column(model: type[models.Model], name: str | None = None) -> str:
    """The database column of a field (the primary key's when no name)."""
    field = model._meta.get_field(name) if name else model._meta.pk
    value = getattr(field, "column", None)
    if not isinstance(value, str):
        raise TypeError(f"{model.__name__}.{name} has no column")
    return value


@dataclass(frozen=True)
class ModelColumns(Generic[M]):
    """A model's concrete columns as selected, and how to turn their values into an instance."""

    model: type[M]
    attnames: list[str]
    selected: list[str]
    # Per column: the expression and the converters applied to its raw value, the backend's first.
    converters: list[tuple[Any, list[Converter]]]

    def build(self, connection: BaseDatabaseWrapper, raw: Sequence[Any]) -> M:
        values = []
        for value, (expression, converters) in zip(raw, self.converters, strict=True):
            for convert in converters:
                value = convert(value, expression, connection)
            values.append(value)
        return self.model.from_db(connection.alias, self.attnames, values)


def model_columns(model: type[M], table_alias: str, connection: BaseDatabaseWrapper) -> ModelColumns[M]:
    """Every concrete column of `model` under `table_alias`, in the model's order."""
    quote = connection.ops.quote_name
    fields = list(model._meta.concrete_fields)
    converters = []
    for field in fields:
        expression = field.get_col(table_alias)
        converters.append((expression, connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)))
    selected = [f"{table_alias}.{quote(column(model, field.name))}" for field in fields]
    return ModelColumns(model, [field.attname for field in fields], selected, converters)


def fetch_one(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of a statement run on every request: on PostgreSQL, a prepared statement of this
    connection, so that the server parses and plans it once, not each time (planning these joins cost the
    database more than running them)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
        return _prepared_row(connection, sql, params)


def _prepared_row(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    # Django's cursor (above) did the health check and holds the connection; its client-side binding cannot
    # prepare, so a server-side one runs the statement, inside Django's error translation.
    started = time.monotonic()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as server_side:
        server_side.execute(sql, params, prepare=True)  # a migration's change is replanned by PostgreSQL (tested)
        row: tuple[Any, ...] | None = server_side.fetchone()
    if connection.queries_logged:  # DEBUG, or a test counting queries
        connection.queries_log.append({"sql": f"{sql} -- prepared, {list(params)!r}",
                                       "time": f"{time.monotonic() - started:.3f}"})  # fmt: skip
    return row


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: list[Any]
    slots: list[int]  # where each argument goes among the parameters

    def bind(self, arguments: Sequence[Any]) -> list[Any]:
        params = list(self.params)
        for slot, value in zip(self.slots, arguments, strict=True):
            params[slot] = value
        return params


def _compose(query: Any, connection: BaseDatabaseWrapper, markers: list[Any]) -> tuple[Any, _Statement]:
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if any(list(params).count(marker) != 1 for marker in markers):
        raise ValueError("each argument must be one parameter of the query")
    return compiler, _Statement(sql, list(params), [list(params).index(marker) for marker in markers])


class _Prepared(Generic[M]):
    """A queryset that differs only by its arguments: composed by the ORM once per connection.

    Each argument must be used exactly once as a parameter of the query; the first call checks it.
    """

    def __init__(self, model: type[M], queryset: Callable[..., QuerySet[M]], *kinds: type[str] | type[int]) -> None:
        self.model, self.queryset, self.kinds = model, queryset, kinds

    def _marked(self) -> tuple[QuerySet[M], list[Any]]:
        # Values no caller passes, of the type each field's lookup accepts, found among the composed parameters.
        markers: list[Any] = [f"\x00argument {n}\x00" if kind is str else -(2**31) + 7 + n for n, kind in enumerate(self.kinds)]
        return self.queryset(*markers), markers


@dataclass(frozen=True)
class _FirstPlan(Generic[M]):
    statement: _Statement
    columns: ModelColumns[M]


class PreparedFirst(_Prepared[M]):
    """`queryset(*arguments).first()`. The queryset selects its model's own columns (no select_related, values
    or annotations selected)."""

    def __call__(self, *arguments: Any) -> M | None:
        connection, plan = plan_for(self, read_alias(self.model), self._plan)
        row = fetch_one(connection, plan.statement.sql, plan.statement.bind(arguments))
        return None if row is None else plan.columns.build(connection, row)

    def _plan(self, connection: BaseDatabaseWrapper) -> _FirstPlan[M]:
        queryset, markers = self._marked()
        compiler, statement = _compose(queryset[:1].query, connection, markers)
        columns = model_columns(self.model, connection.ops.quote_name(self.model._meta.db_table), connection)
        selected = [expression.target.attname for expression, _, _ in compiler.select]
        if selected != columns.attnames:
            raise ValueError(f"the query must select {self.model.__name__}'s own columns, not {selected}")
        return _FirstPlan(statement, columns)


class PreparedExists(_Prepared[M]):
    """`queryset(*arguments).exists()`."""

    def __call__(self, *arguments: Any) -> bool:
        connection, statement = plan_for(self, read_alias(self.model), self._plan)
        return fetch_one(connection, statement.sql, statement.bind(arguments)) is not None

    def _plan(self, connection: BaseDatabaseWrapper) -> _Statement:
        queryset, markers = self._marked()
        return _compose(queryset.query.exists(limit=True), connection, markers)[1]
