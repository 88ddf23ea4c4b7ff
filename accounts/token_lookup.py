"""The device token's lookup with its user: the one query every signed-in API request makes, its SQL composed
once (vigilants/prepared.py says why). Equal to `select_related("user")`: accounts/tests/test_token_lookup.py.

A view may ask one more value in the same statement (`Also`, through `ask_with_token`): what it would
otherwise ask the database in a round trip of its own right after, about the same person (whether a resident
reads the residents' shared page, alerts/pages.py)."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest

from vigilants.prepared import ModelColumns, column, fetch_one, model_columns, plan_for, read_alias

from .models import AuthToken, User

USER_ALIAS = "u"  # how an `Also` names the token's user: `u.id`


@dataclass(frozen=True)
class Also:
    """A scalar subquery read with the token: `sql` names the user `u`, its `%s` take `params`. One prepared
    statement per `name`, so `sql` must be the same for every request that gives that name."""

    name: str
    sql: str
    params: tuple[Any, ...] = ()


@dataclass
class Asked:
    """An `Also` a view asked before authentication, and its value once a token answered it."""

    also: Also
    answered: bool = False
    value: Any = field(default=None)


ASKED_ATTRIBUTE = "asked_with_token"


def ask_with_token(request: HttpRequest, also: Also) -> None:
    """Before authentication: the token's statement also reads `also` (answered only for a device token). One
    question a request: a second, different one is a mistake in the view, refused here rather than answered in
    place of the first."""
    earlier = getattr(request, ASKED_ATTRIBUTE, None)
    if isinstance(earlier, Asked) and earlier.also != also:
        raise ImproperlyConfigured(f"{also.name!r} asked with the token after {earlier.also.name!r}: one a request")
    setattr(request, ASKED_ATTRIBUTE, Asked(also))


def asked(request: Any, also: Also) -> Asked | None:
    """What a token answered for `also` (the same question: its name and parameters), if this request asked it
    and a device token answered it."""
    found = getattr(request, ASKED_ATTRIBUTE, None)
    return found if isinstance(found, Asked) and found.answered and found.also == also else None


@dataclass(frozen=True)
class _Plan:
    sql: str
    token: ModelColumns[AuthToken]
    user: ModelColumns[User]


def _plan(connection: BaseDatabaseWrapper, also_sql: str = "") -> _Plan:
    quote = connection.ops.quote_name
    token, user = model_columns(AuthToken, "t", connection), model_columns(User, USER_ALIAS, connection)
    selected = token.selected + user.selected + ([also_sql] if also_sql else [])
    sql = "SELECT {} FROM {} t INNER JOIN {} {} ON {}.{} = t.{} WHERE t.{} = %s".format(  # noqa: S608 - names from the models
        ", ".join(selected), quote(AuthToken._meta.db_table), quote(User._meta.db_table), USER_ALIAS, USER_ALIAS,
        quote(column(User)), quote(column(AuthToken, "user")), quote(column(AuthToken, "key_hash")),
    )  # fmt: skip
    return _Plan(sql, token, user)


def token_with_user(key_hash: str) -> AuthToken | None:
    """The token of that hash with its user loaded (one query), or None."""
    return token_with_user_and(key_hash, None)[0]


def token_with_user_and(key_hash: str, also: Also | None) -> tuple[AuthToken | None, Any]:
    """The token with its user and the value of `also` for that user, in one query; (None, None) if no token."""
    key = __name__ if also is None else (__name__, also.name)
    connection, plan = plan_for(key, read_alias(AuthToken), lambda c: _plan(c, also.sql if also else ""))
    row = fetch_one(connection, plan.sql, [*(also.params if also else ()), key_hash])
    if row is None:
        return None, None
    split, end = len(plan.token.attnames), len(plan.token.attnames) + len(plan.user.attnames)
    token = plan.token.build(connection, row[:split])
    token.user = plan.user.build(connection, row[split:end])
    return token, (row[end] if also else None)


def answer_for(also: Also, user_id: int) -> Any:
    """`also` for that user, alone (the token already known): what a kept token lacked (signin_cache)."""
    connection, sql = plan_for((__name__, "answer", also.name), read_alias(User), lambda c: _answer_sql(c, also.sql))
    row = fetch_one(connection, sql, [*also.params, user_id])
    return None if row is None else row[0]


def _answer_sql(connection: BaseDatabaseWrapper, also_sql: str) -> str:
    quote = connection.ops.quote_name
    table, pk = quote(User._meta.db_table), quote(column(User))
    return f"SELECT {also_sql} FROM {table} {USER_ALIAS} WHERE {USER_ALIAS}.{pk} = %s"  # noqa: S608 - the model's names
