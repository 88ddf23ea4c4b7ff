"""What a GET reads before its view runs, said once by each view: `ReadsFirst.read_first`.

Every API request makes one round trip to Redis before its view (accounts/signin_cache.py for a device token,
vigilants/throttling.py for an anonymous one), and a device token's first request in a minute one statement to
PostgreSQL. A view that knows from its URL alone which cache keys it will read (a kept page, a version:
vigilants.riders), which one value about the person it will ask (token_lookup.Also: whether a resident shares
the residents' page) and whether it keeps its answer with the token (`GET /me`: signin_cache.keep_body) names
them in `read_first`; they are read in that round trip or that statement.

Parts of a view add up: a mixin's keys and the view's own (`super().read_first(...) + ReadFirst(...)`). One
question a request: two different ones are a mistake, refused when they are added.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from vigilants.riders import ride

from . import signin_cache
from .token_lookup import Also, ask_with_token

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView as _View  # the views the mixin goes into
else:
    _View = object


@dataclass(frozen=True)
class ReadFirst:
    """Cache keys read in the request's first round trip to Redis, and a question answered with the token."""

    keys: tuple[str, ...] = ()
    question: Also | None = None
    body: str | None = None  # the view's answer kept with the token under this name (signin_cache.keep_body)

    def __add__(self, other: "ReadFirst") -> "ReadFirst":
        if self.question is not None and other.question is not None and self.question != other.question:
            raise ImproperlyConfigured(f"Two questions with the token: {self.question.name!r}, {other.question.name!r}")
        if self.body is not None and other.body is not None and self.body != other.body:
            raise ImproperlyConfigured(f"Two bodies kept with the token: {self.body!r}, {other.body!r}")
        keys = self.keys + tuple(key for key in other.keys if key not in self.keys)
        return ReadFirst(keys, self.question or other.question, self.body or other.body)


NOTHING = ReadFirst()


class ReadsFirst(_View):
    """A view whose GET names what it reads before authentication (the module says why)."""

    def read_first(self, request: "Request", **kwargs: Any) -> ReadFirst:
        """For a GET, from the URL alone (the request is not authenticated yet): what to read first."""
        return NOTHING

    def initial(self, request: "Request", *args: Any, **kwargs: Any) -> None:
        if request.method == "GET":
            first = self.read_first(request, **kwargs)
            if first.question is not None:
                ask_with_token(request, first.question)
            if first.keys:
                ride(request, list(first.keys))
            if first.body is not None:
                signin_cache.ask_body(request, first.body)
        super().initial(request, *args, **kwargs)
