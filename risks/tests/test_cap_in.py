"""CAP 1.2 in: the shipped samples (MeteoAlarm's feed and CAP messages, Vigicrues' synthesis) read as they are;
malformed or hostile documents refused with a CapError, never another exception."""

import json
from datetime import datetime, timedelta

import pytest

from fakeprovider.state.documents import sample
from risks.cap_parse import AtomFeed, CapAlert, CapError, parse_alert, parse_atom, parse_document
from risks.models import Hazard, Level
from risks.vigilance.base import SourceError
from risks.vigilance.vigicrues import parse_synthesis

from .conftest import info_of

FEED = "meteoalarm/meteoalarm-legacy-atom-france.xml"
THUNDER = "meteoalarm/cap-6f0a3b3e-9d9b-4a0e-8a7e-2f4d3c1b5a01.xml"
FLOOD = "meteoalarm/cap-0b7c5e2a-1c44-4f0e-9f6a-7d8e9a0b1c02.xml"


def test_meteoalarm_feed_sample():
    feed = parse_atom(sample(FEED))
    assert feed.updated == datetime.fromisoformat("2023-10-19T06:05:17.763770+00:00")
    assert [entry.geocodes for entry in feed.entries] == [(("EMMA_ID", "FR029"),), (("EMMA_ID", "FR092"),)]
    first = feed.entries[0]
    assert first.cap_links == ("https://feeds.meteoalarm.org/api/v1/warnings/feeds-france/6f0a3b3e-9d9b-4a0e-8a7e-2f4d3c1b5a01",)
    assert first.area_desc == "Alpes Maritimes" and first.identifier == "2.49.0.0.250.0.FR.20231019060000.029.3"
    assert first.expires == datetime.fromisoformat("2023-10-20T00:00:00+02:00") and first.alert is None


def test_meteoalarm_cap_samples():
    thunder = parse_alert(sample(THUNDER))
    info = info_of(thunder, "fr")
    assert (thunder.status, thunder.msg_type, [i.language for i in thunder.infos]) == ("Actual", "Alert", ["fr-FR", "en-GB"])
    assert (info.hazard, info.level, info.event) == (Hazard.STORM, Level.YELLOW, "Vigilance jaune orages")
    assert info.areas[0].geocodes == (("EMMA_ID", "FR029"),) and info_of(thunder, "en").language == "en-GB"
    flood = parse_alert(sample(FLOOD))
    assert (info_of(flood).hazard, info_of(flood).level, flood.msg_type) == (Hazard.FLOOD, Level.ORANGE, "Update")
    assert flood.references == (("vigilance@meteo.fr", "2.49.0.0.250.0.FR.20231018160000.049.4", "2023-10-18T16:00:00+02:00"),)


def test_vigicrues_synthesis_sample():
    synthesis = parse_synthesis(sample("vigicrues/InfoVigiCru-TypEntVigiCru2-detail.json"),
                                datetime.fromisoformat("2021-01-24T09:00:00+01:00"))  # fmt: skip
    assert synthesis.produced == datetime.fromisoformat("2021-01-24T08:16:03+01:00")
    assert synthesis.levels == {"AP1": "", "AP2": "", "AP13": "", "AP14": Level.YELLOW, "MP10": ""}
    assert synthesis.names["AP14"] == "Lys plaine"


def test_vigicrues_stale_or_broken_synthesis_is_refused():
    data = sample("vigicrues/InfoVigiCru-TypEntVigiCru2-detail.json")
    produced = datetime.fromisoformat("2021-01-24T08:16:03+01:00")
    with pytest.raises(SourceError, match="périmé"):
        parse_synthesis(data, produced + timedelta(days=2))
    with pytest.raises(SourceError, match="jamais publiée"):  # 16:00's update announced, still absent at 05:00
        parse_synthesis(data, datetime.fromisoformat("2021-01-25T05:00:00+01:00"))
    for broken in (b"", b"<html>503</html>", b"[]", b'{"vic:InfoVigiCru": []}', data[: len(data) // 2],
                   data.replace(b'"vic:DtHrInfoVigiCru": "2021', b'"vic:DtHrInfoVigiCru": "hier')):  # fmt: skip
        with pytest.raises(SourceError):
            parse_synthesis(broken, produced)


def test_a_section_with_an_unreadable_level_is_left_out():
    document = json.loads(sample("vigicrues/InfoVigiCru-TypEntVigiCru2-detail.json"))
    sections = document["vic:InfoVigiCru"]["vic:estLaSyntheseDe"][0]["vic:estLaSyntheseDe"]
    assert sections[3]["vic:porteSurLEntite"]["vic:CdEntVigiCru"] == "AP14"
    sections[3]["vic:NivInfoVigiCru"] = "9"
    synthesis = parse_synthesis(json.dumps(document).encode(), datetime.fromisoformat("2021-01-24T09:00:00+01:00"))
    assert "AP14" not in synthesis.levels and "AP1" in synthesis.levels  # unknown, not green


@pytest.mark.parametrize("data, reason", [
    (b"", "well-formed"),
    (b"not xml", "well-formed"),
    (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.1'/>", "neither"),
    (b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]>"
     b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>&x;</alert>", "DOCTYPE"),
    (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>a</identifier><sender>b</sender></alert>", "sent"),
    (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>a</identifier><sender>b</sender>"
     b"<sent>2023-10-19T06:00:00</sent></alert>", "sent"),  # no offset: no date
    (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>a</identifier><sender>b</sender>"
     b"<sent>2023-10-19T06:00:00+02:00</sent><references>nonsense</references></alert>", "references"),
    (b"<a>" * 10 + b"x" * (6 * 1024 * 1024), "too large"),
])  # fmt: skip
def test_malformed_documents_are_a_cap_error(data, reason):
    with pytest.raises(CapError, match=reason):
        parse_document(data)


def test_a_billion_laughs_is_refused_without_expanding():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
    <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>"""
    with pytest.raises(CapError):
        parse_document(bomb)


def test_documents_are_told_apart():
    assert isinstance(parse_document(sample(FEED)), AtomFeed)
    assert isinstance(parse_document(sample(THUNDER)), CapAlert)
    with pytest.raises(CapError):
        parse_alert(sample(FEED))
    with pytest.raises(CapError):
        parse_atom(sample(THUNDER))
