"""What a GET reads before its view runs (accounts/read_first.py, vigilants/riders.py): the parts of a view add
up, and nothing one part asked is silently replaced by another's."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIRequestFactory

from accounts.read_first import NOTHING, ReadFirst
from accounts.token_lookup import ASKED_ATTRIBUTE, Also, ask_with_token
from vigilants.riders import Riders, ridden, ride, unread

RESIDENT = Also("resident", "EXISTS (SELECT 1 WHERE %s = u.id)", (1,))
MAYOR = Also("mayor", "EXISTS (SELECT 2 WHERE %s = u.id)", (1,))


def test_a_mixins_keys_and_a_views_add_up_in_order_without_repeats() -> None:
    mixin, view = ReadFirst(("version", "page")), ReadFirst(("page", "alert"), RESIDENT)
    assert mixin + view == ReadFirst(("version", "page", "alert"), RESIDENT)
    assert NOTHING + view == view and view + NOTHING == view


def test_two_different_questions_are_refused_the_same_one_twice_is_one() -> None:
    assert ReadFirst(question=RESIDENT) + ReadFirst(question=RESIDENT) == ReadFirst(question=RESIDENT)
    with pytest.raises(ImproperlyConfigured, match=r"resident.*mayor"):
        ReadFirst(question=RESIDENT) + ReadFirst(question=MAYOR)


def test_a_second_question_on_a_request_is_refused_rather_than_replacing_the_first() -> None:
    request = APIRequestFactory().get("/")
    ask_with_token(request, RESIDENT)
    ask_with_token(request, RESIDENT)  # the same question: still one
    with pytest.raises(ImproperlyConfigured):
        ask_with_token(request, MAYOR)
    assert getattr(request, ASKED_ATTRIBUTE).also == RESIDENT


def test_keys_ridden_by_two_parts_of_a_view_are_read_together() -> None:
    request = APIRequestFactory().get("/")
    ride(request, ["version"])
    ride(request, ["page", "version"])
    riders = unread(request)
    assert isinstance(riders, Riders) and riders.keys == ["version", "page"]
    riders.found = {"version": 3}  # as the first round trip reads them: the page was not in Redis
    assert ridden(request, ["version"]) == {"version": 3}
    assert ridden(request, ["page", "version"]) == {"version": 3}
    assert ridden(request, ["version", "other"]) is None  # not read with the first round trip: the view reads it
    assert unread(request) is None


def test_values_come_from_the_first_round_trip_when_it_read_them_else_from_the_cache() -> None:
    from django.core.cache import cache

    from vigilants.riders import values

    cache.set("page", "from the cache")
    request = APIRequestFactory().get("/")
    assert values(request, ["page"]) == {"page": "from the cache"}  # nothing ridden: a round trip of its own
    ride(request, ["page"])
    riders = unread(request)
    assert riders is not None
    riders.found = {"page": "read with the token"}
    assert values(request, ["page"]) == {"page": "read with the token"}
    assert values(request, ["page", "other"]) == {"page": "from the cache"}  # "other" not ridden: the cache
