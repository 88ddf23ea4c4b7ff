"""A device token with its person, kept in Redis for a minute, read with the request's throttle count in one
round trip to Redis instead of a statement to PostgreSQL.

After a warning, every resident's phone reads the alerts within a minute; each request found its token in
PostgreSQL (a statement, its round trip and the rows turned into instances: the largest share of a cached read,
bench/herd/README.md). Kept here as a Redis hash `signin:<token's hash>`: `auth`, the token and its user
(pickled); and the answers the views asked with the token (token_lookup.Also: whether a resident shares the
residents' copy of the list, whether a mayor moderates the commune), each under `a:<question>`.

Forgotten, as soon as it is written and again once the transaction commits, whenever what it holds may change:
the token deleted (sign-out, revocation, erasure), the person saved or deleted, their memberships, reports and
delegations (the signals of each app call `forget_users`). Forgetting leaves a tombstone for TOMBSTONE_SECONDS:
a request that read PostgreSQL before the change cannot store what it read (the store checks for it in Redis,
atomically). What no signal reports (an UPDATE in bulk) is seen within KEEP_SECONDS.

Only Redis keeps them, never a process's memory: a forgetting reaches every process at once. Without Redis
(the embedded default, an outage: the cache's breaker is open), each request reads PostgreSQL as before.
"""

import logging
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import translation
from redis.exceptions import RedisError
from rest_framework.request import Request

from vigilants.cache import FallbackRedisCache
from vigilants.riders import unread
from vigilants.throttling import COUNTED_ATTRIBUTE, Counted, read_window

from .models import AuthToken

log = logging.getLogger(__name__)

KEEP_SECONDS = 60  # also how often the token's last use is written (on the read that keeps it again)
TOMBSTONE_SECONDS = 10
AUTH, GONE = b"auth", b"gone"

# Atomic in Redis: nothing is stored over a tombstone, and a store replaces every earlier answer.
_STORE = """
if redis.call('HEXISTS', KEYS[1], 'gone') == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'auth', ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], ARGV[3], ARGV[4]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
# An answer joins only a token still kept (not a tombstone, not expired meanwhile).
_ANSWER = """
if redis.call('HEXISTS', KEYS[1], 'auth') == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


@dataclass
class Kept:
    """What Redis held for a token: the token with its user, the answer to the question asked and the body the
    view keeps with the token, each if kept."""

    token: AuthToken | None = None
    answered: bool = False
    value: Any = None
    body: bytes | None = None


def answer_field(name: str, params: tuple[Any, ...]) -> bytes:
    return f"a:{name}:{params!r}".encode()


def body_field(name: str) -> bytes:
    """A view's answer kept with the token (`GET /me`): in the language it was written in."""
    return f"v:{name}:{translation.get_language()}".encode()


def read(request: Request, key_hash: str, question: bytes | None, body: bytes | None = None) -> Kept:
    """The kept token, the answer to `question` and the kept `body`, read with this request's throttle count when
    it is a read (vigilants.throttling.Counted, which the throttle then uses instead of counting again) and the
    cache keys the view asked to read with the token (vigilants.riders): one round trip."""
    backend = _redis()
    if backend is None:
        return Kept()
    window, riders = read_window(request, key_hash), unread(request)
    fields = [AUTH, *([question] if question else []), *([body] if body else [])]
    trip = backend.round_trip(
        count=(f"{window.ident}:{window.start}", window.duration) if window else None,
        read=riders.keys if riders else None,
        extra=lambda full_name: [("HMGET", full_name(_name(key_hash)), *fields)],
    )
    if trip is None:
        return Kept()
    if window is not None and trip.count is not None:
        setattr(request, COUNTED_ATTRIBUTE, Counted(window.ident, window.start, window.duration, trip.count))
    if riders is not None:
        riders.found = trip.found
    values = trip.extra[0]
    return _kept(values[0], values[1] if question else None, values[-1] if body else None)


def _kept(auth: bytes | None, answer: bytes | None, body: bytes | None) -> Kept:
    if auth is None:
        return Kept()
    try:  # written only by this module, in the service's own Redis (as Django's cache pickles its values)
        token = pickle.loads(auth)  # noqa: S301
        answered = None if answer is None else (pickle.loads(answer),)  # noqa: S301
        kept_body = None if body is None else pickle.loads(body)  # noqa: S301
    except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError, EOFError):
        return Kept()  # kept by another release of the code (a deploy's minute): read from PostgreSQL
    body_bytes = kept_body if isinstance(kept_body, bytes) else None
    return Kept(token, True, answered[0], body_bytes) if answered else Kept(token, body=body_bytes)


# Where a view's request names the body it keeps with the token, and where authentication hands it over.
BODY_ASKED, BODY_KEPT = "body_asked_with_token", "body_kept_with_token"


def ask_body(request: Any, name: str) -> None:
    """Before authentication: the view's answer kept under `name` with the token is read with it."""
    setattr(request, BODY_ASKED, body_field(name))


def asked_body(request: Any) -> bytes | None:
    field = getattr(request, BODY_ASKED, None)
    return field if isinstance(field, bytes) else None


def kept_body(request: Any) -> bytes | None:
    """The body read with the token, if the view asked for one and it was kept."""
    body = getattr(request, BODY_KEPT, None)
    return body if isinstance(body, bytes) else None


def keep_body(request: Any, body: bytes) -> None:
    """Keep the view's answer with the device token, if the request named one and its token is kept: forgotten
    with it whenever anything it holds changes (the signals above), or within KEEP_SECONDS."""
    field, key_hash = asked_body(request), getattr(request.auth, "key_hash", None)
    if field is not None and isinstance(key_hash, str):
        store_answer(key_hash, field, body)


def store(key_hash: str, token: AuthToken, question: bytes | None = None, value: Any = None) -> None:
    """Keep the token (its user loaded) read from PostgreSQL, with the answer to `question`; nothing over a
    tombstone."""
    arguments = [pickle.dumps(token, pickle.HIGHEST_PROTOCOL), KEEP_SECONDS, question or b"",
                 pickle.dumps(value, pickle.HIGHEST_PROTOCOL) if question else b""]  # fmt: skip
    _script(_STORE, key_hash, arguments)


def store_answer(key_hash: str, question: bytes, value: Any) -> None:
    _script(_ANSWER, key_hash, [question, pickle.dumps(value, pickle.HIGHEST_PROTOCOL)])


def _script(source: str, key_hash: str, arguments: list[Any]) -> None:
    backend = _redis()
    if backend is not None:
        backend.run_script(source, _name(key_hash), arguments)


def forget_tokens(key_hashes: Iterable[str]) -> None:
    """Those tokens are read from PostgreSQL again, now and once the current transaction commits."""
    hashes = sorted(set(key_hashes))
    if hashes:
        _forget(hashes)
        transaction.on_commit(lambda: _forget(hashes))


def forget_users(user_ids: Iterable[int | None]) -> None:
    """Every token of those people is read from PostgreSQL again (their person, rights or answers changed)."""
    ids = {pk for pk in user_ids if pk is not None}
    if ids and isinstance(caches["default"], FallbackRedisCache):
        forget_tokens(AuthToken.objects.filter(user_id__in=ids).values_list("key_hash", flat=True))


def _forget(key_hashes: list[str]) -> None:
    backend = caches["default"]
    if not isinstance(backend, FallbackRedisCache):
        return
    # Tried even while the breaker is open: a forgetting that fails is logged, and the entry ends with its
    # KEEP_SECONDS.
    try:
        keys = [_key(backend, key_hash) for key_hash in key_hashes]
        pipeline = backend._cache.get_client(keys[0], write=True).pipeline(transaction=True)
        for key in keys:
            pipeline.delete(key)
            pipeline.hset(key, GONE, 1)
            pipeline.expire(key, TOMBSTONE_SECONDS)
        pipeline.execute()
    except RedisError as error:
        backend.breaker.failed(error)
        log.warning("Sign-ins not forgotten in Redis (%s): kept at most %d s more", type(error).__name__, KEEP_SECONDS)


def in_use() -> bool:
    """Whether tokens are kept now (the cache is Redis and answers)."""
    backend = caches["default"]
    return isinstance(backend, FallbackRedisCache) and not backend.breaker.is_open


def _redis() -> FallbackRedisCache | None:
    """The cache when it is Redis (its breaker decides, call by call, whether Redis is tried)."""
    backend = caches["default"]
    return backend if isinstance(backend, FallbackRedisCache) else None


def _name(key_hash: str) -> str:
    return f"signin:{key_hash}"


def _key(backend: FallbackRedisCache, key_hash: str) -> str:
    return backend.make_and_validate_key(_name(key_hash))


People = Callable[[Any], Iterable[int | None]]


def forget_on_change(model: type[models.Model], people: People, *, created_only: bool = False,
                     unused: frozenset[str] = frozenset()) -> None:  # fmt: skip
    """Saving or deleting a `model` forgets the kept tokens of `people(instance)` (`created_only`: saves that
    create one, the others cannot change what is kept; `unused`: fields no kept answer reads, a save of only
    those forgets nothing)."""

    def saved(sender: type, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
        if update_fields is not None and unused and set(update_fields) <= unused:
            return
        if created or not created_only:
            forget_users(people(instance))

    def deleted(sender: type, instance: Any, **kwargs: Any) -> None:
        forget_users(people(instance))

    name = f"{model._meta.label}-signin"
    post_save.connect(saved, sender=model, weak=False, dispatch_uid=f"{name}-save")
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=f"{name}-delete")


def connect() -> None:
    """The token itself and its person (the apps above connect what their answers depend on)."""
    from .models import User

    def token_deleted(sender: type, instance: AuthToken, **kwargs: Any) -> None:
        forget_tokens([instance.key_hash])

    post_delete.connect(token_deleted, sender=AuthToken, weak=False, dispatch_uid="accounts-signin-token-delete")
    # Each sign-in to the dashboards or the admin writes `last_login` alone (Django's update_last_login): no API
    # answer reads it, and forgetting would cost that sign-in a query and a round trip for nothing.
    forget_on_change(User, lambda user: [user.pk], unused=frozenset({"last_login"}))
