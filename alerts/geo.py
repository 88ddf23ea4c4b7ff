from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_000
# What anyone but the commune's moderators sees of a position, and what an anonymised report keeps: ~100 m.
PUBLIC_DECIMALS = 3


def public_coordinate(value: float) -> float:
    """A latitude or longitude as anyone but the commune's moderators reads it (the API, the gendarmerie's pages)."""
    return round(value, PUBLIC_DECIMALS)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): exact enough at a few hundred metres."""
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(sqrt(a))


def degree_box(latitude: float, radius_m: float) -> tuple[float, float]:
    """Half-sizes in degrees (lat, lon) of a square around a point: a cheap pre-filter for the database."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(cos(radians(latitude)), 0.01))
    return dlat, dlon
