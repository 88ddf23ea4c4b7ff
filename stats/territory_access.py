"""Who reads a territory's figures (GET /stats/territories/…, its desk page, an export by `epci=` or `departement=`).

Its operators, staff, and the gendarmes or operators whose area covers every commune of it (a département's
gendarmes and operator read the département and each intercommunality inside it). Mayors and referents read
their own communes, not a territory's.
"""

from accounts.models import User
from communes.access import gendarme_area_q, operated_q, operates_territory, operator_territories
from communes.models import Commune, CommuneType, GendarmeArea, TerritoryKind
from communes.territories import Territory, find_territory, territory_q


def reads_territory(user: User, kind: str, code: str) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or operates_territory(user, kind, code) or covers(user, kind, code)


def covers(user: User, kind: str, code: str) -> bool:
    """Every commune of the territory is in the user's gendarmerie area or in a territory they operate (an
    intercommunality inside the département one operates)."""
    reach = operated_q(user)
    area = gendarme_area_q(user)
    if area is not None:
        reach |= area
    communes = Commune.objects.filter(territory_q(kind, code), type=CommuneType.COMMUNE)
    return communes.exists() and not communes.exclude(reach).exists()


def dashboard_territories(user: User) -> list[Territory]:
    """The territories whose dashboard the menu offers: those the user operates, and a gendarme's département."""
    if not user.is_authenticated:
        return []
    found = operator_territories(user)
    departement = GendarmeArea.objects.filter(user=user).values_list("departement", flat=True).first()
    if departement and not any(t.kind == TerritoryKind.DEPARTEMENT and t.code == departement for t in found):
        territory = find_territory(TerritoryKind.DEPARTEMENT, departement)
        found += [territory] if territory is not None else []
    return found
