"""Duplicates, "me too": the same thing reported twice, close in space and time, is one alert."""

from datetime import datetime, timedelta
from typing import Any

from communes.models import Commune

from .geo import degree_box, distance_m
from .models import Alert, AlertKind, AlertStatus

RADIUS_M = 300
WINDOW = timedelta(minutes=30)


def find_duplicate(*, commune: Commune, category: str, occurred_at: datetime, **fields: Any) -> Alert | None:
    """A pending or approved report of the same category within ~300 m and 30 minutes, if any.

    Without a position on either side, the same quartier stands in for nearness.
    """
    candidates = Alert.objects.filter(
        commune=commune, kind=AlertKind.REPORT, category=category, closed_at__isnull=True,
        status__in=[AlertStatus.PENDING, AlertStatus.APPROVED],
        occurred_at__gte=occurred_at - WINDOW, occurred_at__lte=occurred_at + WINDOW,
    )  # fmt: skip
    latitude, longitude = fields.get("latitude"), fields.get("longitude")
    if latitude is not None and longitude is not None:
        dlat, dlon = degree_box(latitude, RADIUS_M)
        nearby = candidates.filter(latitude__range=(latitude - dlat, latitude + dlat),
                                   longitude__range=(longitude - dlon, longitude + dlon))  # fmt: skip
        for alert in nearby.order_by("-created_at"):
            # The box filter above leaves no alert without a position.
            if alert.latitude is None or alert.longitude is None:
                continue
            if distance_m(latitude, longitude, alert.latitude, alert.longitude) <= RADIUS_M:
                return alert
        return None
    neighbourhood = fields.get("neighbourhood")
    if neighbourhood is None:
        return None
    return candidates.filter(neighbourhood=neighbourhood, latitude__isnull=True).order_by("-created_at").first()
