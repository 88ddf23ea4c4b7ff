"""CAP 1.2 in: a CAP alert, or an Atom feed of them (MeteoAlarm's, Google's and the CAP feeds convention), read
from untrusted bytes into plain values. Nothing here touches the database or the network.

Parsing is defensive: no DTD, no entity expansion, no network, a size limit, and any surprise is a `CapError`
with a short reason, never another exception (the vigilance reader turns it into a failed read, not a crash).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from .models import Hazard, Level

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024  # MeteoAlarm's whole France feed is under 1 MB

# MeteoAlarm's CAP profile: <parameter> awareness_type "N; name" (its numbers) and awareness_level "N; colour; …".
AWARENESS_TYPE_HAZARD: dict[int, Hazard] = {
    1: Hazard.STORM,  # wind
    2: Hazard.SNOW_ICE,
    3: Hazard.STORM,  # thunderstorm (Météo-France's "orages")
    4: Hazard.OTHER,  # fog
    5: Hazard.HEATWAVE,  # high temperature (Météo-France's "canicule")
    6: Hazard.OTHER,  # low temperature ("grand froid")
    7: Hazard.FLOOD,  # coastal event ("vagues-submersion")
    8: Hazard.FOREST_FIRE,
    9: Hazard.OTHER,  # avalanches
    10: Hazard.FLOOD,  # rain ("pluie-inondation")
    12: Hazard.FLOOD,  # flooding ("crues")
    13: Hazard.FLOOD,  # rain-flood
}
AWARENESS_LEVEL: dict[int, str] = {1: "", 2: Level.YELLOW, 3: Level.ORANGE, 4: Level.RED}  # "" : green, no vigilance
# Without MeteoAlarm's parameter, CAP's own severity says the colour (the same scale, LEVEL_CAP).
SEVERITY_LEVEL: dict[str, str] = {"Extreme": Level.RED, "Severe": Level.ORANGE, "Moderate": Level.YELLOW, "Minor": ""}


class CapError(ValueError):
    """The document is not a readable CAP 1.2 alert or Atom feed; the message says why, briefly."""


@dataclass(frozen=True)
class CapArea:
    description: str
    geocodes: tuple[tuple[str, str], ...] = ()
    polygons: tuple[str, ...] = ()
    circles: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapInfo:
    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    onset: datetime | None = None
    effective: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    parameters: tuple[tuple[str, str], ...] = ()
    areas: tuple[CapArea, ...] = ()

    def parameter(self, name: str) -> str | None:
        return next((value for key, value in self.parameters if key == name), None)

    @property
    def hazard(self) -> Hazard | None:
        """From MeteoAlarm's awareness_type; None when the message does not say (its reader decides)."""
        number = _leading_int(self.parameter("awareness_type"))
        return AWARENESS_TYPE_HAZARD.get(number) if number is not None else None

    @property
    def level(self) -> str | None:
        """The vigilance colour ("" for green), from awareness_level, else from the severity; None if unknown."""
        number = _leading_int(self.parameter("awareness_level"))
        if number is not None:
            return AWARENESS_LEVEL.get(number)
        return SEVERITY_LEVEL.get(self.severity)


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    references: tuple[tuple[str, str, str], ...] = ()  # (sender, identifier, sent) of earlier messages
    infos: tuple[CapInfo, ...] = ()

    def info(self, language: str = "fr") -> CapInfo | None:
        """The info block in `language` (its first part, "fr" matches "fr-FR"), else the first one."""
        wanted = [each for each in self.infos if each.language.lower().split("-")[0] == language]
        candidates = wanted or list(self.infos)
        return candidates[0] if candidates else None


@dataclass(frozen=True)
class AtomEntry:
    id: str
    title: str
    updated: datetime | None
    cap_links: tuple[str, ...] = ()  # hrefs of <link type="application/cap+xml">
    alert: CapAlert | None = None  # a CAP alert carried inside the entry (<content>), if any
    # What MeteoAlarm's legacy feed copies from the CAP message into the entry (cap: elements).
    identifier: str = ""
    area_desc: str = ""
    geocodes: tuple[tuple[str, str], ...] = ()
    expires: datetime | None = None


@dataclass(frozen=True)
class AtomFeed:
    id: str
    title: str
    updated: datetime | None
    entries: tuple[AtomEntry, ...] = field(default_factory=tuple)


def parse_xml(data: bytes) -> etree._Element:
    """The document's root element, parsed with no DTD, no entities, no network; CapError otherwise."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CapError(f"document too large ({len(data)} bytes)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)  # fmt: skip
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise CapError(f"not well-formed XML: {str(error)[:120]}") from None
    if root is None:
        raise CapError("empty document")
    if root.getroottree().docinfo.doctype:
        raise CapError("a DOCTYPE is not accepted")  # CAP has none; a DTD is how entity attacks start
    return root


def parse_document(data: bytes) -> CapAlert | AtomFeed:
    """A CAP alert or an Atom feed, whichever the bytes are."""
    root = parse_xml(data)
    if root.tag == f"{{{CAP_NS}}}alert":
        return alert_from_element(root)
    if root.tag == f"{{{ATOM_NS}}}feed":
        return feed_from_element(root)
    raise CapError(f"neither a CAP 1.2 alert nor an Atom feed: <{_local(root.tag)}>")


def parse_alert(data: bytes) -> CapAlert:
    document = parse_document(data)
    if not isinstance(document, CapAlert):
        raise CapError("an Atom feed, not a CAP alert")
    return document


def parse_atom(data: bytes) -> AtomFeed:
    document = parse_document(data)
    if not isinstance(document, AtomFeed):
        raise CapError("a CAP alert, not an Atom feed")
    return document


def alert_from_element(root: etree._Element) -> CapAlert:
    sent = _datetime(_text(root, "sent"))
    if sent is None:
        raise CapError("<sent> missing or not a date-time")
    identifier, sender = _text(root, "identifier"), _text(root, "sender")
    if not identifier or not sender:
        raise CapError("<identifier> or <sender> missing")
    return CapAlert(
        identifier=identifier, sender=sender, sent=sent, status=_text(root, "status"),
        msg_type=_text(root, "msgType"), scope=_text(root, "scope"),
        references=_references(_text(root, "references")),
        infos=tuple(_info(each) for each in root.findall(f"{{{CAP_NS}}}info")),
    )  # fmt: skip


def feed_from_element(root: etree._Element) -> AtomFeed:
    return AtomFeed(
        id=_text(root, "id", ATOM_NS), title=_text(root, "title", ATOM_NS),
        updated=_datetime(_text(root, "updated", ATOM_NS)),
        entries=tuple(_entry(each) for each in root.findall(f"{{{ATOM_NS}}}entry")),
    )  # fmt: skip


def _entry(entry: etree._Element) -> AtomEntry:
    links = tuple(
        link.get("href", "").strip() for link in entry.findall(f"{{{ATOM_NS}}}link")
        if (link.get("type") or "").split(";")[0].strip() == "application/cap+xml" and link.get("href")
    )  # fmt: skip
    embedded = entry.find(f".//{{{CAP_NS}}}alert")
    return AtomEntry(
        id=_text(entry, "id", ATOM_NS), title=_text(entry, "title", ATOM_NS),
        updated=_datetime(_text(entry, "updated", ATOM_NS)), cap_links=links,
        alert=alert_from_element(embedded) if embedded is not None else None,
        identifier=_text(entry, "identifier"), area_desc=_text(entry, "areaDesc"),
        geocodes=_pairs(entry.findall(f"{{{CAP_NS}}}geocode")), expires=_datetime(_text(entry, "expires")),
    )  # fmt: skip


def _info(info: etree._Element) -> CapInfo:
    return CapInfo(
        language=_text(info, "language") or "en-US",  # CAP 1.2's default
        categories=tuple(_texts(info, "category")), event=_text(info, "event"),
        urgency=_text(info, "urgency"), severity=_text(info, "severity"), certainty=_text(info, "certainty"),
        onset=_datetime(_text(info, "onset")), effective=_datetime(_text(info, "effective")),
        expires=_datetime(_text(info, "expires")), sender_name=_text(info, "senderName"),
        headline=_text(info, "headline"), description=_text(info, "description"),
        instruction=_text(info, "instruction"), web=_text(info, "web"),
        parameters=_pairs(info.findall(f"{{{CAP_NS}}}parameter")),
        areas=tuple(_area(each) for each in info.findall(f"{{{CAP_NS}}}area")),
    )  # fmt: skip


def _area(area: etree._Element) -> CapArea:
    return CapArea(
        description=_text(area, "areaDesc"), geocodes=_pairs(area.findall(f"{{{CAP_NS}}}geocode")),
        polygons=tuple(_texts(area, "polygon")), circles=tuple(_texts(area, "circle")),
    )  # fmt: skip


def _pairs(elements: list[etree._Element]) -> tuple[tuple[str, str], ...]:
    """valueName/value pairs. MeteoAlarm's Atom entries write them without the cap: prefix (Atom's namespace), so
    the children are matched by local name."""
    pairs = []
    for element in elements:
        values = {_local(child.tag): (child.text or "").strip() for child in element if isinstance(child.tag, str)}
        if values.get("valueName"):
            pairs.append((values["valueName"], values.get("value", "")))
    return tuple(pairs)


def _references(text: str) -> tuple[tuple[str, str, str], ...]:
    triples = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3:
            raise CapError("<references> is not a list of sender,identifier,sent")
        triples.append((parts[0], parts[1], parts[2]))
    return tuple(triples)


def _text(element: etree._Element, name: str, namespace: str = CAP_NS) -> str:
    found = element.find(f"{{{namespace}}}{name}")
    return (found.text or "").strip() if found is not None else ""


def _texts(element: etree._Element, name: str) -> list[str]:
    return [(each.text or "").strip() for each in element.findall(f"{{{CAP_NS}}}{name}") if (each.text or "").strip()]


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _datetime(text: str) -> datetime | None:
    """An ISO 8601 date-time with its offset (CAP requires one); a naive or malformed one is no date."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _leading_int(text: str | None) -> int | None:
    match = re.match(r"\s*(\d+)", text or "")
    return int(match.group(1)) if match else None
