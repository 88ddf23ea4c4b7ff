"""Territories above the commune: an intercommunality (EPCI, named by its SIREN) or a département.

Both are read off the communes' reference data (`Commune.epci_siren`, `Commune.departement`): a territory is the
communes (of type COM) that carry its code. Who operates one is `TerritoryOperator` (communes/access.py).
"""

from dataclasses import dataclass

from django.db.models import Q

from .models import Commune, CommuneQuerySet, CommuneType, TerritoryKind


@dataclass(frozen=True)
class Territory:
    kind: str  # TerritoryKind
    code: str
    name: str

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.code}"

    def communes(self) -> CommuneQuerySet:
        return Commune.objects.filter(territory_q(self.kind, self.code), type=CommuneType.COMMUNE)

    def contains(self, commune: Commune) -> bool:
        code = commune.epci_siren if self.kind == TerritoryKind.EPCI else commune.departement
        return commune.type == CommuneType.COMMUNE and code == self.code


def territory_q(kind: str, code: str, prefix: str = "") -> Q:
    """Communes (`prefix` = path to the commune, e.g. "commune__") of a territory, whatever their type."""
    field = "epci_siren" if kind == TerritoryKind.EPCI else "departement"
    return Q(**{f"{prefix}{field}": code})


def find_territory(kind: str, code: str) -> Territory | None:
    """The territory of that kind and code, named from its communes' data; None if no commune carries it."""
    if kind not in TerritoryKind.values or not code:
        return None
    name_field = "epci_name" if kind == TerritoryKind.EPCI else "departement_name"
    commune = (Commune.objects.filter(territory_q(kind, code), type=CommuneType.COMMUNE)
               .order_by("insee").values(name_field).first())  # fmt: skip
    if commune is None:
        return None
    return Territory(kind=kind, code=code, name=commune[name_field] or code)


def territories_of(commune: Commune) -> list[Territory]:
    """The territories a commune belongs to (its EPCI if known, its département)."""
    found = [Territory(TerritoryKind.DEPARTEMENT, commune.departement, commune.departement_name or commune.departement)]
    if commune.epci_siren:
        found.insert(0, Territory(TerritoryKind.EPCI, commune.epci_siren, commune.epci_name or commune.epci_siren))
    return found
