from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import date_format, number_format

from desk.territory_dashboard import territory_label
from stats.territory_access import dashboard_territories

register = template.Library()


@register.filter
def territory_dashboards(user: Any) -> list[dict[str, str]]:
    """For the menus: the dashboards of the territories the user operates (and a gendarme's département)."""
    return [{"url": reverse("desk:territory-dashboard", args=[t.kind, t.code]), "name": territory_label(t)}
            for t in dashboard_territories(user)]  # fmt: skip


@register.filter
def percent(share: float | None) -> str:
    """A share (0.5714) as French reads it: « 57,1 % »; none: a dash."""
    return "—" if share is None else f"{number_format(share * 100, 1)}\u00a0%"


@register.filter
def iso_date(value: str | None) -> str:
    """An ISO 8601 time of the API's answers as a French short date (its own offset: Paris); none: a dash."""
    return "—" if not value else date_format(datetime.fromisoformat(value), "SHORT_DATE_FORMAT")
