"""The documents the fake State serves, rendered in Vigicrues' and MeteoAlarm's wire formats from the samples in
samples/ (their provenance: samples/README.md), with the levels the fake's state holds and today's dates."""

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lxml import etree

SAMPLES = Path(__file__).resolve().parent / "samples"
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
PARIS = timezone(timedelta(hours=1))  # Vigicrues writes local time with its offset

# Sections, their names and their stations (code, name, commune) as the fake's referential: the sample's AP1 and
# the neighbouring sections of the same synthesis. A section set through /_vigicrues is added here if unknown.
REFERENTIAL: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "AP1": ("Sambre", [("D019223001", "Marpent", "59385"), ("D016221001", "Berlaimont", "59068"),
                       ("D019801101", "Maubeuge [aval écluse]", "59392")]),
    "AP2": ("Helpe mineure", []),
    "AP13": ("Lys amont - Laquette", [("E351122001", "Delettes", "62265")]),
    "AP14": ("Lys plaine", []),
    "MP10": ("Garonne marmandaise", []),
}  # fmt: skip

COLOURS = {2: "yellow", 3: "orange", 4: "red"}
SEVERITIES = {2: "Moderate", 3: "Severe", 4: "Extreme"}
COULEURS = {2: "jaune", 3: "orange", 4: "rouge"}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample_json(name: str) -> Any:
    return json.loads(sample(name))


# --- Vigicrues -------------------------------------------------------------------------------


def vigicrues_synthesis(levels: dict[str, int], now: datetime) -> bytes:
    """InfoVigiCru.jsonld/?TypEntVigiCru=2&mode=detail: the sample, each section at the state's level."""
    document = sample_json("vigicrues/InfoVigiCru-TypEntVigiCru2-detail.json")
    info = document["vic:InfoVigiCru"]
    info["vic:DtHrInfoVigiCru"] = now.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S%z")
    info["vic:DtHrSuivInfoVigiCru"] = (now + timedelta(hours=6)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M:%S%z")
    seen = set()
    for territory in info["vic:estLaSyntheseDe"]:
        for section in territory["vic:estLaSyntheseDe"]:
            code = section["vic:porteSurLEntite"]["vic:CdEntVigiCru"]
            section["vic:NivInfoVigiCru"] = str(levels.get(code, 1))
            seen.add(code)
    first = info["vic:estLaSyntheseDe"][0]["vic:estLaSyntheseDe"]
    for code in sorted(set(levels) - seen):  # sections the state added
        entry = copy.deepcopy(first[0])
        entry["vic:NivInfoVigiCru"] = str(levels[code])
        entry["vic:porteSurLEntite"].update({"@id": f"http://id.eaufrance.fr/TronEntVigiCru/{code}",
                                             "vic:CdEntVigiCru": code, "vic:LbEntVigiCru": REFERENTIAL[code][0]})
        first.append(entry)
    return _json(document)


def vigicrues_sections() -> bytes:
    document = sample_json("vigicrues/TronEntVigiCru.json")
    items = document["vic:TronEntVigiCru"]
    known = {item["vic:CdEntVigiCru"] for item in items}
    for code in sorted(set(REFERENTIAL) - known):
        entry = copy.deepcopy(items[0])
        entry.update({"@id": f"http://id.eaufrance.fr/TronEntVigiCru/{code}", "vic:CdEntVigiCru": code,
                      "vic:LbEntVigiCru": REFERENTIAL[code][0]})
        items.append(entry)
    document["count_TronEntVigiCru"] = str(len(items))
    return _json(document)


def vigicrues_section(code: str) -> bytes | None:
    if code not in REFERENTIAL:
        return None
    name, stations = REFERENTIAL[code]
    document = sample_json("vigicrues/TronEntVigiCru-AP1.json")
    entity = document["vic:TronEntVigiCru"]
    template = entity["vic:aNMoinsUn"][0]
    entity.update({"@id": f"http://id.eaufrance.fr/TronEntVigiCru/{code}", "vic:CdEntVigiCru": code,
                   "vic:LbEntVigiCru": name, "count_aNMoinsUn": str(len(stations))})
    entity["vic:aNMoinsUn"] = [dict(template, **{"@id": f"http://id.eaufrance.fr/StaEntVigiCru/{station}",
                                                 "vic:CdEntVigiCru": station, "vic:LbEntVigiCru": label})
                               for station, label, _ in stations]  # fmt: skip
    return _json(document)


def vigicrues_station(code: str) -> bytes | None:
    found = [(section, label, insee) for section, (_, stations) in REFERENTIAL.items()
             for station, label, insee in stations if station == code]  # fmt: skip
    if not found:
        return None
    section, label, insee = found[0]
    document = sample_json("vigicrues/StaEntVigiCru-D019223001.json")
    entity = document["vic:StaEntVigiCru"]
    entity.update({"@id": f"http://id.eaufrance.fr/StaEntVigiCru/{code}", "vic:CdEntVigiCru": code,
                   "vic:LbEntVigiCru": label})
    entity["vic:correspondA"].update({"hyd:CdStationHydro": code, "hyd:LbStationHydro": label,
                                      "hyd:estSitueeSur": {"@id": f"http://id.eaufrance.fr/com/{insee}",
                                                           "com:CdCommune": insee}})  # fmt: skip
    entity["vic:aNPlusUn"].update({"vic:CdEntVigiCru": section, "vic:LbEntVigiCru": REFERENTIAL[section][0]})
    return _json(document)


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=4).encode()


# --- MeteoAlarm ------------------------------------------------------------------------------


@dataclass
class Warning:
    """One warning in force over one MeteoAlarm area, as the fake's state holds it."""

    emma_id: str
    area: str
    awareness_type: str  # MeteoAlarm's "N; name"
    level: int  # 2 yellow, 3 orange, 4 red
    event_fr: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identifier: str = field(default_factory=lambda: f"2.49.0.0.250.0.FR.{uuid.uuid4().int % 10**14:014d}")


def initial_warnings() -> list[Warning]:
    """The sample feed's warnings, each read from its sample CAP message."""
    feed = etree.fromstring(sample("meteoalarm/meteoalarm-legacy-atom-france.xml"))
    warnings = []
    for entry in feed.iter(f"{{{ATOM}}}entry"):
        href = next(str(link.get("href")) for link in entry.iter(f"{{{ATOM}}}link")
                    if link.get("type") == "application/cap+xml")  # fmt: skip
        warning_id = href.rsplit("/", 1)[-1]
        alert = etree.fromstring(sample(f"meteoalarm/cap-{warning_id}.xml"))
        info = _el(alert, "info")
        parameters = {_text(each, "valueName"): _text(each, "value") for each in info.iter(f"{{{CAP}}}parameter")}
        area = _el(info, "area")
        warnings.append(Warning(
            emma_id=_text(_el(area, "geocode"), "value"), area=_text(area, "areaDesc"),
            awareness_type=parameters["awareness_type"], level=int(parameters["awareness_level"].split(";")[0]),
            event_fr=_text(info, "event").split(" ", 2)[-1], id=warning_id, identifier=_text(alert, "identifier"),
        ))  # fmt: skip
    return warnings


def meteoalarm_feed(warnings: list[Warning], base_url: str, now: datetime) -> bytes:
    """The legacy Atom feed: the sample's header and first entry as the template of every entry."""
    feed = etree.fromstring(sample("meteoalarm/meteoalarm-legacy-atom-france.xml"))
    template = _el(feed, "entry", ATOM)
    for entry in feed.findall(f"{{{ATOM}}}entry"):
        feed.remove(entry)
    _el(feed, "updated", ATOM).text = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    for warning in warnings:
        feed.append(_entry(copy.deepcopy(template), warning, base_url, now))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8")


def _entry(entry: etree._Element, warning: Warning, base_url: str, now: datetime) -> etree._Element:
    href = f"{base_url}/meteoalarm/api/v1/warnings/feeds-france/{warning.id}"
    values = {"areaDesc": warning.area, "severity": SEVERITIES[warning.level], "identifier": warning.identifier,
              "sent": _cap_time(now), "effective": _cap_time(now), "onset": _cap_time(now),
              "expires": _cap_time(now + timedelta(days=1)),
              "event": f"{SEVERITIES[warning.level]} {warning.awareness_type.split(';')[-1].strip()} warning"}
    for name, value in values.items():
        _el(entry, name).text = value
    _el(_el(entry, "geocode"), "value", ATOM).text = warning.emma_id  # MeteoAlarm writes these two in Atom's namespace
    for link in entry.findall(f"{{{ATOM}}}link"):
        if link.get("type") == "application/cap+xml":
            link.set("href", href)
        else:
            link.set("title", warning.area)
            link.set("href", f"https://meteoalarm.org?geocode=EMMA_ID:{warning.emma_id}")
    _el(entry, "id", ATOM).text = f"{href}?index_info=0&index_area=0"
    _el(entry, "title", ATOM).text = f"{COLOURS[warning.level].capitalize()} Warning issued for France - {warning.area}"
    return entry


def meteoalarm_cap(warning: Warning, now: datetime) -> bytes:
    """The warning's CAP message: the sample's, with the state's area, type, colour and today's dates."""
    alert = etree.fromstring(sample("meteoalarm/cap-6f0a3b3e-9d9b-4a0e-8a7e-2f4d3c1b5a01.xml"))
    _el(alert, "identifier").text = warning.identifier
    _el(alert, "sent").text = _cap_time(now)
    for info in alert.findall(f"{{{CAP}}}info"):
        french = _text(info, "language") == "fr-FR"
        colour = COULEURS[warning.level] if french else COLOURS[warning.level]
        fields = {"severity": SEVERITIES[warning.level], "effective": _cap_time(now), "onset": _cap_time(now),
                  "expires": _cap_time(now + timedelta(days=1)),
                  "event": f"Vigilance {colour} {warning.event_fr}" if french else _text(info, "event"),
                  "headline": f"Vigilance {colour} {warning.event_fr} : {warning.area}" if french
                  else f"{colour.capitalize()} warning: {warning.area}"}  # fmt: skip
        for name, value in fields.items():
            _el(info, name).text = value
        for parameter in info.findall(f"{{{CAP}}}parameter"):
            level = f"{warning.level}; {COLOURS[warning.level]}; {SEVERITIES[warning.level]}"
            _el(parameter, "value").text = level if _text(parameter, "valueName") == "awareness_level" else warning.awareness_type
        area = _el(info, "area")
        _el(area, "areaDesc").text = warning.area
        _el(_el(area, "geocode"), "value").text = warning.emma_id
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8")


def _el(parent: etree._Element, name: str, namespace: str = CAP) -> etree._Element:
    """The sample's child element (the samples are ours: a missing one is a broken sample, said loudly)."""
    found = parent.find(f"{{{namespace}}}{name}")
    if found is None:
        raise LookupError(f"sample without <{name}>")
    return found


def _text(parent: etree._Element, name: str, namespace: str = CAP) -> str:
    return _el(parent, name, namespace).text or ""


def _cap_time(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat(timespec="seconds")
