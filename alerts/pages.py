"""A commune's alert list as its residents see it, kept rendered for a few seconds and shared among them.

After a warning, thousands of residents open the app and ask for the same list within a minute: every approved
resident of a commune who reported none of its alerts reads exactly the same page (no moderator's fields, no
report of their own). That page is rendered once, kept in the cache under its URL, and served to the others in
one cache read, until an alert or a follow-up of the commune changes (signals, at commit: the commune's version
changes) or PAGE_SECONDS pass (the bound on anything changed without a signal, e.g. an UPDATE in bulk; and the
bound while Redis is down, when each process keeps its own copies). Moderators, staff and reporters are never
served a shared page: their pages differ.
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import translation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.token_lookup import USER_ALIAS, Also, asked
from communes.models import Commune, Membership, MembershipStatus, ModerationDelegation, Role, TerritoryOperator
from vigilants import riders
from vigilants.api import rendered_json
from vigilants.prepared import fetch_one
from vigilants.routes import is_insee

from .models import Alert, AlertStatus

PAGE_SECONDS = 5
VERSION_SECONDS = 24 * 3600
# An alert's commune never changes: each process remembers it for the alerts read, up to a bound.
_COMMUNE_OF: dict[int, int] = {}
_COMMUNE_OF_MAX = 100_000
# The commune whose residents' page a code's list last was: the page's keys are read with the token.
_COMMUNE_FOR_INSEE: dict[str, int] = {}
_PAGE_KEYS_ATTRIBUTE = "alert_page_keys"


def shared_key(user: User, request: Request) -> tuple[str, str] | None:
    """(the commune's version key, the page's key) if this request reads the page every resident reads."""
    insee = asked_commune(request)
    if not insee or not _may_share(user, request):
        return None
    commune_id = _resident_in(request, resident_by_insee(insee), lambda: _resident_without_reports(user, insee))
    if commune_id is None:
        return None
    _remember_insee(insee, commune_id)
    return _page_keys(request, commune_id)


def guessed_page_keys(request: Request, insee: str) -> tuple[str, ...]:
    """Before authentication: the page's keys to read in the token's round trip to Redis, for the commune this
    process last found the code's residents in (an INSEE code names one commune, rarely two: a guess checked
    against the answer, cached() reads the keys itself when it was wrong)."""
    commune_id = _COMMUNE_FOR_INSEE.get(insee)
    return () if commune_id is None else _page_keys(request, commune_id)


def _page_keys(request: Request, commune_id: int) -> tuple[str, str]:
    known = getattr(request, _PAGE_KEYS_ATTRIBUTE, None)  # named before authentication, needed again after it
    if known is not None and known[0] == commune_id:
        return known[1]  # type: ignore[no-any-return]
    url = f"{request.build_absolute_uri()}|{translation.get_language()}"
    keys = _version_key(commune_id), f"alerts:page:{commune_id}:{hashlib.sha256(url.encode()).hexdigest()}"
    setattr(request, _PAGE_KEYS_ATTRIBUTE, (commune_id, keys))
    return keys


def shared_alert(user: User, request: Request, pk: int) -> Response | None:
    """One alert as every resident of its commune reads it, if kept, current, and the user is such a resident.
    The commune's version is read with it, in one round trip, once this process knows the alert's commune."""
    if not _may_share(user, request):
        return None
    commune_id, keys = _COMMUNE_OF.get(pk), alert_keys(pk)
    found = riders.values(request, keys)
    kept = found.get(keys[0])
    if kept is None or _resident_of_alert(user, request, pk, kept[0]) is None:
        return None
    _remember(pk, kept[0])
    version = found.get(keys[1]) if commune_id == kept[0] else cache.get(_version_key(kept[0]))
    if version != kept[1]:
        return None
    return _response(kept[2], kept[3])


def alert_keys(pk: int) -> list[str]:
    """The alert's kept copy, and its commune's version once this process knows the alert's commune: read with
    the token (views.AlertDetail.initial) or by shared_alert."""
    commune_id = _COMMUNE_OF.get(pk)
    return [_alert_key(pk)] + ([] if commune_id is None else [_version_key(commune_id)])


def keep_alert(user: User, request: Request, row: dict[str, Any], data: dict[str, Any]) -> Response | None:
    """Keep an approved alert as its residents read it, when the user is one of them (so `data` is that view).
    The version is read after the database here (the commune is known only then): a change committed between
    the two is seen within PAGE_SECONDS."""
    if row["status"] != AlertStatus.APPROVED or _resident_of_alert(user, request, row["id"], row["commune_id"]) is None:
        return None
    _remember(row["id"], row["commune_id"])
    body, etag = _rendered(data)
    version = current_version(_version_key(row["commune_id"]))
    cache.set(_alert_key(row["id"]), (row["commune_id"], version, body, etag), PAGE_SECONDS)
    return _response(body, etag)


def cached(keys: tuple[str, str], request: Request) -> Response | None:
    """The page kept for this version of the commune's alerts, if any: read with the token, or in one round trip
    to the cache."""
    version_key, page_key = keys
    found = riders.values(request, [version_key, page_key])
    page = found.get(page_key)
    if page is None or found.get(version_key) is None or page[0] != found[version_key]:
        return None
    return _response(page[1], page[2])


def keep(keys: tuple[str, str], version: str, data: Any) -> Response:
    """Render the page, keep it under the version read before the database was, and answer it."""
    body, etag = _rendered(data)
    cache.set(keys[1], (version, body, etag), PAGE_SECONDS)
    return _response(body, etag)


def current_version(version_key: str) -> str:
    """Read before the database: a change committed meanwhile leaves the page under an outdated version."""
    version = cache.get(version_key)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(version_key, version, VERSION_SECONDS):
            version = cache.get(version_key) or version
    return str(version)


def commune_changed(commune_id: int) -> None:
    """Pages kept for the commune are outdated, once the change is committed (at once outside a transaction)."""
    transaction.on_commit(lambda: cache.set(_version_key(commune_id), uuid.uuid4().hex, VERSION_SECONDS))


def _remember(pk: int, commune_id: int) -> None:
    if len(_COMMUNE_OF) >= _COMMUNE_OF_MAX:
        _COMMUNE_OF.clear()
    _COMMUNE_OF[pk] = commune_id


def _remember_insee(insee: str, commune_id: int) -> None:
    if len(_COMMUNE_FOR_INSEE) >= _COMMUNE_OF_MAX:
        _COMMUNE_FOR_INSEE.clear()
    _COMMUNE_FOR_INSEE[insee] = commune_id


def _may_share(user: User, request: Request) -> bool:
    """Staff read everything as moderators; a browsable or indented answer is rendered for that request."""
    return not user.is_staff and getattr(request.accepted_renderer, "format", None) == "json"


def _rendered(data: Any) -> tuple[bytes, str]:
    body = JSONRenderer().render(data)
    return body, f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'


def _response(body: bytes, etag: str) -> Response:
    """The kept bytes as a DRF Response, with their ETag (a 304 to a client that has them)."""
    response = rendered_json(body)
    response["ETag"] = etag
    return response


def _version_key(commune_id: int) -> str:
    return f"alerts:version:{commune_id}"


def _alert_key(pk: int) -> str:
    return f"alerts:alert:{pk}:{translation.get_language()}"


def asked_commune(request: Request) -> str | None:
    """The list's `?commune=` when shaped as an INSEE code: anything else is the filter's to refuse or to match
    nothing (a NUL byte, which PostgreSQL refuses in a parameter, is a 400 there, not a 500 here)."""
    insee = request.query_params.get("commune")
    return insee if insee and is_insee(insee) else None


def resident_by_insee(insee: str) -> Also:
    """Read with the token (accounts.token_lookup): the list's commune, if its reader shares its page."""
    return Also("alerts.resident_by_insee", f"({_resident_sql(f'{USER_ALIAS}.id', 'c.insee = %s')})",
                (insee, MembershipStatus.APPROVED.value, Role.RESIDENT.value))  # fmt: skip


def resident_by_alert(pk: int) -> Also:
    """Read with the token: the alert's commune, if its reader shares its residents' copy."""
    commune = f"m.commune_id = (SELECT s.commune_id FROM {Alert._meta.db_table} s WHERE s.id = %s)"  # noqa: S608 - the model's table
    return Also("alerts.resident_by_alert", f"({_resident_sql(f'{USER_ALIAS}.id', commune)})",
                (pk, MembershipStatus.APPROVED.value, Role.RESIDENT.value))  # fmt: skip


def _resident_in(request: Request, also: Also, ask: Callable[[], int | None]) -> int | None:
    """`also`'s value if the token's statement read it for this request (the same question), else asked now."""
    found = asked(request, also)
    return found.value if found is not None else ask()


def _resident_of_alert(user: User, request: Request, pk: int, commune_id: int) -> int | None:
    """The alert's commune (`commune_id`: an alert's commune never changes) if the user shares its copy."""
    found = _resident_in(request, resident_by_alert(pk), lambda: _resident_without_reports(user, commune_id=commune_id))
    return found if found == commune_id else None


def _resident_without_reports(user: User, insee: str = "", commune_id: int | None = None) -> int | None:
    """The commune's id (named by its INSEE code or its id) if the user is an approved resident of it who
    reported none of its alerts and does not moderate them by delegation (as a territory's operator). Written in
    SQL: every list request asks it, and building it through the ORM cost more than the rest of a cached answer
    (test_shared_pages checks it against the ORM's rule). A device token's request reads it with the token
    (resident_by_insee, resident_by_alert): the same SQL, the user named by the token's statement."""
    by_id = commune_id is not None
    sql = _resident_sql("%s", "m.commune_id = %s" if by_id else "c.insee = %s")
    named = commune_id if by_id else insee
    row = fetch_one(connection, sql, [user.pk, named, MembershipStatus.APPROVED.value, Role.RESIDENT.value, user.pk, user.pk])
    return None if row is None else int(row[0])


def _resident_sql(user: str, commune: str) -> str:
    """`user`: the person (`%s`, or a column of an outer query); `commune`: the condition naming the commune
    (one `%s`). Parameters in order: user, commune, status, role, user, user (the users only when `%s`)."""
    return f"""
    SELECT m.commune_id FROM {Membership._meta.db_table} m JOIN {Commune._meta.db_table} c ON c.id = m.commune_id
    WHERE m.user_id = {user} AND {commune} AND m.status = %s AND m.role = %s
      AND NOT EXISTS (SELECT 1 FROM {Alert._meta.db_table} a WHERE a.reporter_id = {user} AND a.commune_id = m.commune_id)
      AND NOT EXISTS (SELECT 1 FROM {ModerationDelegation._meta.db_table} d JOIN {TerritoryOperator._meta.db_table} t
                      ON t.kind = d.kind AND t.code = d.code WHERE d.commune_id = m.commune_id AND t.user_id = {user})
    LIMIT 1"""  # noqa: S608 - table names from the models, values as parameters
