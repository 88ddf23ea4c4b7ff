"""The device token's lookup with its user: the one query every signed-in API request makes, its SQL composed
once (vigilants/prepared.py says why). Equal to `select_related("user")`: accounts/tests/test_token_lookup.py."""

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

from vigilants.prepared import ModelColumns, column, fetch_one, model_columns, plan_for, read_alias

from .models import AuthToken, User


@dataclass(frozen=True)
class _Plan:
    sql: str
    token: ModelColumns[AuthToken]
    user: ModelColumns[User]


def _plan(connection: BaseDatabaseWrapper) -> _Plan:
    quote = connection.ops.quote_name
    token, user = model_columns(AuthToken, "t", connection), model_columns(User, "u", connection)
    sql = "SELECT {} FROM {} t INNER JOIN {} u ON u.{} = t.{} WHERE t.{} = %s".format(  # noqa: S608 - names from the models
        ", ".join(token.selected + user.selected), quote(AuthToken._meta.db_table), quote(User._meta.db_table),
        quote(column(User)), quote(column(AuthToken, "user")), quote(column(AuthToken, "key_hash")),
    )  # fmt: skip
    return _Plan(sql, token, user)


def token_with_user(key_hash: str) -> AuthToken | None:
    """The token of that hash with its user loaded (one query), or None."""
    connection, plan = plan_for(__name__, read_alias(AuthToken), _plan)
    row = fetch_one(connection, plan.sql, [key_hash])
    if row is None:
        return None
    split = len(plan.token.attnames)
    token = plan.token.build(connection, row[:split])
    token.user = plan.user.build(connection, row[split:])
    return token
