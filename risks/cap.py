"""CAP 1.2 out: each public warning (a RiskWarning row) as an OASIS CAP 1.2 alert, and Atom feeds of them per
commune and per département, as MeteoAlarm and Google's CAP feeds publish theirs (docs/cap.md).

The documents are in French (`fr-FR`) whatever the request's language: a prefecture, FR-Alert's operators or a
media partner take in the commune's own words. Every output is checked against the official XSD by the tests.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from communes.models import Commune

from .cap_parse import ATOM_NS, CAP_NS
from .models import CAP_CATEGORY, AreaKind, Hazard, Level, MessageType, RiskWarning

CAP_CONTENT_TYPE = "application/cap+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"

# MeteoAlarm's CAP profile, so that European aggregators read our colours as they read Météo-France's.
AWARENESS_LEVEL = {Level.YELLOW: "2; yellow; Moderate", Level.ORANGE: "3; orange; Severe", Level.RED: "4; red; Extreme"}
AWARENESS_TYPE = {Hazard.FLOOD: "12; flooding", Hazard.FOREST_FIRE: "8; forest-fire", Hazard.STORM: "1; Wind",
                  Hazard.HEATWAVE: "5; high-temperature", Hazard.SNOW_ICE: "2; snow-ice"}  # fmt: skip


def cap_identifier(warning: RiskWarning) -> str:
    """Stable and unique: the row's UUID as a URN (no space, comma, < or &, as CAP 1.2 requires)."""
    return f"urn:uuid:{warning.identifier}"


def cap_time(moment: datetime) -> str:
    """CAP's date-time: local (Paris) time with its offset, seconds, never "Z" (CAP 1.2, 3.3.2)."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def cap_url(warning: RiskWarning) -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/warnings/{warning.identifier}.cap"


def public_url(warning: RiskWarning) -> str:
    """The warning's address for <web>: its CAP document, until the warnings have a public page of their own."""
    return cap_url(warning)


def warning_cap(warning: RiskWarning) -> bytes:
    """The CAP 1.2 alert of one warning, UTF-8 XML."""
    with translation.override("fr"):
        alert = _alert(warning)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _alert(warning: RiskWarning) -> etree._Element:
    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    for name, value in (("identifier", cap_identifier(warning)), ("sender", settings.CAP_SENDER),
                        ("sent", cap_time(warning.sent_at)), ("status", "Actual"), ("msgType", warning.msg_type),
                        ("scope", "Public")):  # fmt: skip
        _add(alert, name, value)
    if warning.msg_type != MessageType.ALERT:
        _add(alert, "references", " ".join(_reference(earlier) for earlier in earlier_messages(warning)))
    alert.append(_info(warning))
    return alert


def earlier_messages(warning: RiskWarning) -> list[RiskWarning]:
    """Every earlier message of the thread, oldest first: a consumer that missed an update still finds the
    original alert among the references (the previous row is the last of them)."""
    thread_id = warning.thread_id or warning.pk
    rows = RiskWarning.objects.filter(pk__lt=warning.pk)  # a thread's rows are written in its order
    return list((rows.filter(pk=thread_id) | rows.filter(thread_id=thread_id)).order_by("pk"))


def _reference(warning: RiskWarning) -> str:
    return f"{settings.CAP_SENDER},{cap_identifier(warning)},{cap_time(warning.sent_at)}"


def _info(warning: RiskWarning) -> etree._Element:
    info = etree.Element(f"{{{CAP_NS}}}info")
    _add(info, "language", "fr-FR")
    _add(info, "category", CAP_CATEGORY.get(Hazard(warning.hazard), "Other"))
    _add(info, "event", str(Hazard(warning.hazard).label))
    _add(info, "responseType", _response_type(warning))
    for name in ("urgency", "severity", "certainty"):
        _add(info, name, getattr(warning, name))
    _add(info, "expires", cap_time(warning.expires_at))
    _add(info, "senderName", _("Mairie de %(commune)s") % {"commune": warning.commune.name})
    _add(info, "headline", warning.title)
    _add(info, "description", warning.description)
    if warning.instruction:
        _add(info, "instruction", warning.instruction)
    _add(info, "web", public_url(warning))
    for name, value in _parameters(warning):
        _pair(info, "parameter", name, value)
    info.append(_area(warning))
    return info


def _response_type(warning: RiskWarning) -> str:
    if warning.msg_type == MessageType.CANCEL:
        return "AllClear"
    return "Prepare" if warning.level in (Level.ORANGE, Level.RED) else "Monitor"


def _parameters(warning: RiskWarning) -> list[tuple[str, str]]:
    if warning.msg_type == MessageType.CANCEL:
        return []
    level, kind = AWARENESS_LEVEL.get(Level(warning.level)), AWARENESS_TYPE.get(Hazard(warning.hazard))
    return [(name, value) for name, value in (("awareness_level", level), ("awareness_type", kind)) if value]


def _area(warning: RiskWarning) -> etree._Element:
    """The commune's INSEE geocode always (it names the commune the warning is in); the shape narrows it: the
    commune's bounding box, the quartiers' circles, or the mayor's circle."""
    commune = warning.commune
    area = etree.Element(f"{{{CAP_NS}}}area")
    description, circles = _area_shape(warning)
    _add(area, "areaDesc", description)
    polygon = bbox_polygon(commune) if not circles else None
    if polygon:
        _add(area, "polygon", polygon)
    for circle in circles:
        _add(area, "circle", circle)
    _pair(area, "geocode", "INSEE", commune.insee)
    return area


def _area_shape(warning: RiskWarning) -> tuple[str, list[str]]:
    commune = warning.commune
    if warning.area_kind == AreaKind.CIRCLE and None not in (warning.latitude, warning.longitude, warning.radius_m):
        description = _("%(commune)s : cercle de %(radius)s m") % {"commune": commune.name, "radius": warning.radius_m}
        return description, [circle(warning.latitude, warning.longitude, warning.radius_m)]  # type: ignore[arg-type]
    if warning.area_kind == AreaKind.NEIGHBOURHOODS and warning.pk:
        quartiers = list(warning.neighbourhoods.order_by("name"))
        if quartiers:
            names = ", ".join(each.name for each in quartiers)
            circles = [circle(each.latitude, each.longitude, each.radius_m) for each in quartiers
                       if each.latitude is not None and each.longitude is not None and each.radius_m]  # fmt: skip
            return _("%(commune)s, quartiers : %(names)s") % {"commune": commune.name, "names": names}, circles
    return commune.name, []


def circle(latitude: float, longitude: float, radius_m: int) -> str:
    """CAP's circle: "lat,lon radius" with the radius in kilometres."""
    return f"{latitude:.5f},{longitude:.5f} {radius_m / 1000:g}"


def bbox_polygon(commune: Commune) -> str | None:
    """The commune's bounding box as a closed CAP polygon (five "lat,lon" points), when it is known."""
    south, west, north, east = commune.bbox_south, commune.bbox_west, commune.bbox_north, commune.bbox_east
    if south is None or west is None or north is None or east is None:
        return None
    corners = [(south, west), (south, east), (north, east), (north, west), (south, west)]
    return " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in corners)


def _add(parent: etree._Element, name: str, text: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    child.text = text
    return child


def _pair(parent: etree._Element, name: str, value_name: str, value: str) -> None:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    _add(element, "valueName", value_name)
    _add(element, "value", value)


# --- Atom feeds ----------------------------------------------------------------------------------


def atom_feed(*, title: str, self_url: str, warnings: Iterable[RiskWarning]) -> bytes:
    """An Atom feed whose entries each link their CAP document (rel alternate, application/cap+xml) and repeat its
    main fields as cap: elements, as MeteoAlarm's feeds do, so that a reader may choose which documents to fetch."""
    rows = list(warnings)
    with translation.override("fr"):
        feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS, "cap": CAP_NS})
        feed.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
        _atom(feed, "id", self_url)
        _atom(feed, "title", title)
        _atom(feed, "updated", _atom_time(max((row.sent_at for row in rows), default=None)))
        author = etree.SubElement(feed, f"{{{ATOM_NS}}}author")
        _atom(author, "name", settings.BRAND_NAME)
        etree.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=self_url, type="application/atom+xml")
        for row in rows:
            feed.append(_entry(row))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _entry(warning: RiskWarning) -> etree._Element:
    entry = etree.Element(f"{{{ATOM_NS}}}entry")
    _atom(entry, "id", cap_identifier(warning))
    _atom(entry, "title", warning.title)
    _atom(entry, "updated", _atom_time(warning.sent_at))
    _atom(entry, "published", _atom_time(warning.sent_at))
    author = etree.SubElement(entry, f"{{{ATOM_NS}}}author")
    _atom(author, "name", _("Mairie de %(commune)s") % {"commune": warning.commune.name})
    etree.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=cap_url(warning), type="application/cap+xml")
    _atom(entry, "summary", warning.description[:500])
    for name, value in (("identifier", cap_identifier(warning)), ("sender", settings.CAP_SENDER),
                        ("sent", cap_time(warning.sent_at)), ("msgType", warning.msg_type),
                        ("event", str(Hazard(warning.hazard).label)), ("severity", warning.severity),
                        ("expires", cap_time(warning.expires_at)), ("areaDesc", warning.commune.name)):  # fmt: skip
        _add(entry, name, value)
    _pair(entry, "geocode", "INSEE", warning.commune.insee)
    return entry


def _atom(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{ATOM_NS}}}{name}").text = text


def _atom_time(moment: datetime | None) -> str:
    """RFC 3339 for Atom; a feed with no entry is dated once and for all, so that its ETag stays the same."""
    return cap_time(moment) if moment is not None else "2000-01-01T00:00:00+00:00"
