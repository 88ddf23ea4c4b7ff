"""Fixtures shared by every test: personas in two communes, API clients, in-process tasks."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import rest_framework.test
from django.core.cache import cache
from django.db.backends.signals import connection_created
from django.test import client as django_client
from rest_framework.test import APIClient

from accounts.models import AuthToken, User
from communes.models import Commune, GendarmeArea, Role, TerritoryKind, TerritoryOperator
from providers import ratelimit
from tests.factories import CommuneFactory, MembershipFactory, UserFactory
from vigilants.celery import app as celery_app
from vigilants.handlers import ChainChoice

if TYPE_CHECKING:
    from tests.throwaway_redis import ThrowawayRedis

# The fake provider and the settings pointing the SDKs at it, for any test that needs them.
pytest_plugins = ["tests.provider_fixtures"]


def _allow_emptying_the_audit_log(sender: object, connection: Any, **kwargs: Any) -> None:
    """Tests that commit empty every table with TRUNCATE between tests, which the audit log refuses
    (audit/migrations/0003) outside a maintenance session: each test connection is one."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET vigilants.audit_maintenance = 'on'")


connection_created.connect(_allow_emptying_the_audit_log)


class _ServiceClientHandler(django_client.ClientHandler, ChainChoice):
    pass


class _ServiceForceAuthClientHandler(rest_framework.test.ForceAuthClientHandler, ChainChoice):  # type: ignore[misc]
    pass


# The test clients choose the middleware chain as gunicorn does (vigilants/handlers.py): an API request without
# a session goes through the API's, so that every API test exercises what production serves.
django_client.ClientHandler = _ServiceClientHandler  # type: ignore[misc]
rest_framework.test.ForceAuthClientHandler = _ServiceForceAuthClientHandler  # type: ignore[misc]


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest, settings: Any) -> None:
    """Each test starts with an empty cache (throttles) and, unless integration, in-process tasks."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast staff fixtures
    cache.clear()
    # A window filled under a test's travelled clock would hold later tests' SMS back for minutes.
    ratelimit.reset()
    celery_app.conf.task_always_eager = request.node.get_closest_marker("integration") is None


@pytest.fixture
def redis_cache(settings: Any) -> Iterator["ThrowawayRedis"]:
    """The service's cache (vigilants.cache.FallbackRedisCache) on a Redis of the test's own (needs_redis_server)."""
    from tests.throwaway_redis import throwaway_redis
    from vigilants.cache import breaker_for

    with throwaway_redis() as server:
        settings.CACHES = {"default": {"BACKEND": "vigilants.cache.FallbackRedisCache", "LOCATION": server.url}}
        breaker_for(server.url).reset()
        yield server
        breaker_for(server.url).reset()


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        _, key = AuthToken.objects.issue(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@dataclass
class Town:
    """One commune and its people: a mayor, a referent, two residents, one pending applicant."""

    commune: Commune
    mayor: User
    referent: User
    resident: User
    resident2: User
    applicant: User


def make_town(insee: str, name: str, departement: str, **geo: float) -> Town:
    commune = CommuneFactory.create(insee=insee, name=name, departement=departement, **geo)
    people = {}
    for role_name, role in [("mayor", Role.MAYOR), ("referent", Role.REFERENT), ("resident", Role.RESIDENT),
                            ("resident2", Role.RESIDENT)]:  # fmt: skip
        people[role_name] = MembershipFactory.create(commune=commune, role=role, user=UserFactory.create()).user
    applicant = MembershipFactory.create(commune=commune, status="pending", user=UserFactory.create()).user
    return Town(commune=commune, applicant=applicant, **people)


@pytest.fixture
def saint_paul(db: None) -> Town:
    return make_town("06128", "Saint-Paul-de-Vence", "06", latitude=43.69687, longitude=7.12212,
                     bbox_south=43.67332, bbox_west=7.09568, bbox_north=43.71234, bbox_east=7.14361)  # fmt: skip


@pytest.fixture
def charleville(db: None) -> Town:
    return make_town("08105", "Charleville-Mézières", "08", latitude=49.77304, longitude=4.71933,
                     bbox_south=49.73297, bbox_west=4.67581, bbox_north=49.82760, bbox_east=4.78489)  # fmt: skip


@pytest.fixture
def vence(db: None) -> Town:
    """Saint-Paul-de-Vence's neighbour, in the same intercommunality (operator_nca's)."""
    return make_town("06157", "Vence", "06", latitude=43.7225, longitude=7.1119, bbox_south=43.70,
                     bbox_west=7.05, bbox_north=43.78, bbox_east=7.15)  # fmt: skip


@pytest.fixture
def cagnes(db: None) -> Town:
    return make_town("06027", "Cagnes-sur-Mer", "06", latitude=43.6641, longitude=7.1489, bbox_south=43.64,
                     bbox_west=7.12, bbox_north=43.70, bbox_east=7.18)  # fmt: skip


@pytest.fixture
def gendarme_06(db: None) -> User:
    user = UserFactory.create(display_name="Gendarme 06")
    GendarmeArea.objects.create(user=user, departement="06")
    return user


@pytest.fixture
def gendarme_08(db: None) -> User:
    user = UserFactory.create(display_name="Gendarme 08")
    GendarmeArea.objects.create(user=user, departement="08")
    return user


@pytest.fixture
def operator_06(db: None) -> User:
    """The operator of the département of the Alpes-Maritimes (saint_paul's)."""
    user = UserFactory.create(display_name="Département 06")
    TerritoryOperator.objects.create(user=user, kind=TerritoryKind.DEPARTEMENT, code="06")
    return user


NICE_METROPOLE = "200030195"


@pytest.fixture
def operator_nca(saint_paul: Town) -> User:
    """The operator of saint_paul's intercommunality (Métropole Nice Côte d'Azur, by its SIREN)."""
    Commune.objects.filter(pk=saint_paul.commune.pk).update(epci_siren=NICE_METROPOLE, epci_name="Métropole Nice Côte d'Azur")
    saint_paul.commune.refresh_from_db()
    user = UserFactory.create(display_name="Métropole")
    TerritoryOperator.objects.create(user=user, kind=TerritoryKind.EPCI, code=NICE_METROPOLE)
    return user


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_superuser("+33699999999", "staff-password-123", display_name="Staff")


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
