"""The desk's sections, in the order of its menu. A section whose page is not (yet) routed is left out.

A commune's desk has SECTIONS; a territory's (an intercommunality or a département, for its operators) has
TERRITORY_SECTIONS, routed with the territory's kind and code."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    url_name: str
    label: Promise
    mayor_only: bool = False
    reports: bool = False  # open to a territory's operators where the mayor delegated the reports' moderation


SECTIONS = [
    Section("desk:inbox", _("À traiter")),
    Section("desk:queue", _("Signalements"), reports=True),
    Section("desk:warnings", _("Messages aux habitants")),
    Section("desk:risks", _("Risques")),
    Section("desk:members", _("Membres")),
    Section("desk:neighbourhoods", _("Quartiers")),
    Section("desk:policy", _("Règles de la commune"), mayor_only=True),
    Section("desk:audit", _("Journal"), mayor_only=True),
    Section("desk:exports", _("Exports")),
]


@dataclass(frozen=True)
class Link:
    url: str
    label: Promise
    current: bool


def _is_current(section: Section, url: str, path: str) -> bool:
    # The inbox is the commune's desk root: every other section's path starts with it.
    return path == url or (section.url_name != "desk:inbox" and path.startswith(url))


def desk_links(insee: str, path: str, *, mayor: bool, delegated: bool = False) -> list[Link]:
    """`delegated`: the reader moderates the commune's reports by delegation only, and sees only those pages."""
    links = []
    for section in SECTIONS:
        if (section.mayor_only and not mayor) or (delegated and not section.reports):
            continue
        try:
            url = reverse(section.url_name, args=[insee])
        except NoReverseMatch:
            continue
        links.append(Link(url, section.label, current=_is_current(section, url, path)))
    return links


TERRITORY_SECTIONS = [
    Section("desk:territory", _("Communes du territoire")),
    Section("desk:territory-dashboard", _("Tableau du territoire")),
]


def territory_links(kind: str, code: str, path: str) -> list[Link]:
    links = []
    for section in TERRITORY_SECTIONS:
        try:
            url = reverse(section.url_name, args=[kind, code])
        except NoReverseMatch:
            continue
        links.append(Link(url, section.label, current=path.startswith(url)))
    return links
