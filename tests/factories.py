"""factory-boy factories shared by every test."""

import factory
from django.utils import timezone

from accounts.models import User
from communes.models import Commune, CommuneType, Membership, MembershipStatus, Neighbourhood, Role


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["phone"]

    phone = factory.Sequence(lambda n: f"+336{10000000 + n:08d}")
    display_name = factory.Faker("name", locale="fr_FR")


class CommuneFactory(factory.django.DjangoModelFactory[Commune]):
    class Meta:
        model = Commune
        django_get_or_create = ["insee", "type"]

    insee = factory.Sequence(lambda n: f"99{n:03d}")
    type = CommuneType.COMMUNE
    name = factory.Sequence(lambda n: f"Commune-Test-{n}")
    departement = "99"
    population = 1000
    latitude = 43.7
    longitude = 7.12
    bbox_south = 43.6
    bbox_west = 7.0
    bbox_north = 43.8
    bbox_east = 7.2
    postal_codes = "99000"
    enrolled = True
    enrolled_at = factory.LazyFunction(timezone.now)


class NeighbourhoodFactory(factory.django.DjangoModelFactory[Neighbourhood]):
    class Meta:
        model = Neighbourhood

    commune = factory.SubFactory(CommuneFactory)
    name = factory.Sequence(lambda n: f"Quartier {n}")


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    commune = factory.SubFactory(CommuneFactory)
    address = "1 rue de la Mairie"
    role = Role.RESIDENT
    status = MembershipStatus.APPROVED
