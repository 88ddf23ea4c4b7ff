"""`id__any=[...]`: membership in a list of ids sent as one array parameter.

`id__in` with 500 ids is 500 placeholders that Django resolves and psycopg re-parses one by one: at
fan-out volume, a measurable part of a worker's CPU (bench/fanout). On PostgreSQL this is
`id = ANY(%s::bigint[])`, one parameter, given as the array's text ('{1,2,3}': psycopg dumps a Python
list element by element in Python, a third of the lookup's client CPU at 500 ids); elsewhere the plain
IN list.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import Lookup


@models.BigAutoField.register_lookup
@models.ForeignKey.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        values: Iterable[Any] = self.rhs
        return [int(value) for value in values]

    # Django 5.2 gathers a lookup's params in lists; the stubs follow Django 6, whose params are tuples.
    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        if not self.rhs:
            raise EmptyResultSet  # as id__in=[]: the query is not even sent
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = among(lhs, self.rhs, connection.vendor)
        return sql, [*lhs_params, *params]


def among(column: str, ids: Sequence[int], vendor: str) -> tuple[str, list[Any]]:
    """`column = ANY(array)` on PostgreSQL, `column IN (…)` elsewhere, for ids that are ints (also raw SQL)."""
    if vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [int_array(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def int_array(values: Iterable[int]) -> str:
    """PostgreSQL's text form of an integer array; the values must be ints (never text from outside)."""
    return "{" + ",".join(map(str, values)) + "}"
