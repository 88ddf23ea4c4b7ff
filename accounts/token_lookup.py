"""The device token's lookup: the one query every signed-in API request makes, its SQL composed once.

Composing `SELECT … FROM token JOIN user … WHERE key_hash = %s` through the ORM cost more than the database
took to answer it (profiled in-process: about 0.5 ms of a 2.2 ms request that does nothing else). The
statement never changes, so it is built once per database alias; its rows become instances through each
field's own database converters, in the order the ORM itself applies them, so they equal what
`select_related("user")` returns (tests/test_token_lookup.py compares both).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, models, router
from django.db.models.expressions import Col

from .models import AuthToken, User

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Columns:
    model: type[models.Model]
    attnames: list[str]
    # Per column: the expression and the converters applied to its raw value, backend's first.
    converters: list[tuple[Col, list[Converter]]]

    def build(self, alias: str, raw: Sequence[Any]) -> Any:
        connection = connections[alias]
        values = []
        for value, (column, converters) in zip(raw, self.converters, strict=True):
            for convert in converters:
                value = convert(value, column, connection)
            values.append(value)
        return self.model.from_db(alias, self.attnames, values)


@dataclass(frozen=True)
class _Plan:
    sql: str
    token: _Columns
    user: _Columns


def _column(model: type[models.Model], name: str | None = None) -> str:
    field = model._meta.get_field(name) if name else model._meta.pk
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{model.__name__}.{name} has no column")
    return column


def _columns(model: type[models.Model], table_alias: str, alias: str) -> tuple[_Columns, list[str]]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = list(model._meta.concrete_fields)
    converters = []
    for field in fields:
        column = field.get_col(table_alias)
        converters.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
    selected = [f"{table_alias}.{quote(_column(model, field.name))}" for field in fields]
    return _Columns(model, [field.attname for field in fields], converters), selected


@cache
def _plan(alias: str) -> _Plan:
    quote = connections[alias].ops.quote_name
    token, token_columns = _columns(AuthToken, "t", alias)
    user, user_columns = _columns(User, "u", alias)
    # Names come from the models' metadata; the key is a parameter.
    sql = "SELECT {} FROM {} t INNER JOIN {} u ON u.{} = t.{} WHERE t.{} = %s".format(  # noqa: S608
        ", ".join(token_columns + user_columns), quote(AuthToken._meta.db_table), quote(User._meta.db_table),
        quote(_column(User)), quote(_column(AuthToken, "user")), quote(_column(AuthToken, "key_hash")),
    )  # fmt: skip
    return _Plan(sql, token, user)


def token_with_user(key_hash: str) -> AuthToken | None:
    """The token of that hash with its user loaded (one query), or None."""
    alias = router.db_for_read(AuthToken)
    plan = _plan(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(plan.sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(plan.token.attnames)
    token: AuthToken = plan.token.build(alias, row[:split])
    token.user = plan.user.build(alias, row[split:])
    return token
