"""CAP 1.2 out: every document valid against the official XSD and CAP's own rules, read back by the parser, and
by third-party validators (xmllint, xmlschema); the Atom feeds and their public endpoints."""

import os
import shutil
import subprocess
from datetime import timedelta

import pytest
import xmlschema
from django.test import override_settings
from django.utils import timezone
from lxml import etree

from communes.models import Neighbourhood
from risks.cap import bbox_polygon, warning_cap
from risks.cap_parse import parse_alert, parse_atom
from risks.cap_validate import SCHEMA_PATH, cap_problems
from risks.models import AreaKind, Hazard, Level
from tests.factories import CommuneFactory

from .conftest import info_of, make_warning, thread_of

pytestmark = pytest.mark.django_db


def _every_kind(saint_paul):
    alert, update, cancel = thread_of(saint_paul)
    circle = make_warning(saint_paul, area_kind=AreaKind.CIRCLE, latitude=43.6969, longitude=7.1221, radius_m=750,
                          hazard=Hazard.FOREST_FIRE, level=Level.YELLOW)  # fmt: skip
    quartier = Neighbourhood.objects.create(commune=saint_paul.commune, name="Les Fumerates", latitude=43.70,
                                            longitude=7.12, radius_m=400)  # fmt: skip
    by_quartier = make_warning(saint_paul, area_kind=AreaKind.NEIGHBOURHOODS, hazard=Hazard.STORM)
    by_quartier.neighbourhoods.add(quartier)
    return [alert, update, cancel, circle, by_quartier]


def test_every_kind_of_message_is_valid_cap_1_2(saint_paul):
    for warning in _every_kind(saint_paul):
        document = warning_cap(warning)
        assert cap_problems(document) == [], (warning.msg_type, warning.area_kind)


@override_settings(CAP_SENDER="vigilants.example.fr")
def test_the_alert_carries_the_warning(saint_paul):
    alert, _, _ = thread_of(saint_paul)
    parsed = parse_alert(warning_cap(alert))
    info = info_of(parsed, "fr")
    assert parsed.identifier == f"urn:uuid:{alert.identifier}" and parsed.sender == "vigilants.example.fr"
    assert (parsed.status, parsed.msg_type, parsed.scope, parsed.references) == ("Actual", "Alert", "Public", ())
    # Whole seconds, in Paris time with its offset (CAP 1.2's pattern has no fraction and no Z).
    assert parsed.sent == alert.sent_at.replace(microsecond=0) and info.expires == alert.expires_at.replace(microsecond=0)
    assert f"<sent>{timezone.localtime(alert.sent_at).isoformat(timespec='seconds')}</sent>".encode() in warning_cap(alert)
    assert (info.language, info.categories, info.event) == ("fr-FR", ("Met",), "inondation")
    assert (info.severity, info.urgency, info.certainty) == ("Severe", "Expected", "Likely")
    assert info.headline == "Crue de la Cagne" and info.instruction == "Ne traversez pas les zones inondées."
    assert info.sender_name == "Mairie de Saint-Paul-de-Vence"
    assert info.web.endswith(f"/api/v1/warnings/{alert.identifier}.cap")
    assert (info.hazard, info.level) == (Hazard.FLOOD, Level.ORANGE)  # MeteoAlarm's profile, read back
    area = info.areas[0]
    assert area.geocodes == (("INSEE", "06128"),) and area.polygons == (bbox_polygon(saint_paul.commune),)
    corners = area.polygons[0].split()
    assert corners[0] == corners[-1] == "43.67332,7.09568" and len(corners) == 5


def test_update_and_cancel_reference_the_earlier_messages(saint_paul):
    alert, update, cancel = thread_of(saint_paul)
    sent = parse_alert(warning_cap(alert)).sent.isoformat()
    assert parse_alert(warning_cap(update)).references == ((_sender(), f"urn:uuid:{alert.identifier}", sent),)
    cancelled = parse_alert(warning_cap(cancel))
    assert [identifier for _, identifier, _ in cancelled.references] == [
        f"urn:uuid:{alert.identifier}", f"urn:uuid:{update.identifier}"]
    assert cancelled.msg_type == "Cancel" and info_of(cancelled).parameters == ()
    assert b"<responseType>AllClear</responseType>" in warning_cap(cancel)


def _sender():
    from django.conf import settings

    return settings.CAP_SENDER


def test_circle_and_quartiers_areas(saint_paul):
    _, _, _, circle, by_quartier = _every_kind(saint_paul)
    assert info_of(parse_alert(warning_cap(circle))).areas[0].circles == ("43.69690,7.12210 0.75",)
    area = info_of(parse_alert(warning_cap(by_quartier))).areas[0]
    assert area.circles == ("43.70000,7.12000 0.4",) and area.polygons == ()
    assert "Les Fumerates" in area.description


def test_the_validator_fails_what_cap_forbids(saint_paul):
    """The checks above can fail: a schema error, an open polygon, an Update that names nothing."""
    good = warning_cap(make_warning(saint_paul)).decode()
    assert cap_problems(good.replace("<status>Actual</status>", "<status>Real</status>").encode())
    polygon = bbox_polygon(saint_paul.commune)
    assert polygon is not None
    opened = good.replace(polygon, polygon.rsplit(" ", 1)[0])
    assert any("not closed" in problem for problem in cap_problems(opened.encode()))
    assert any("references" in p for p in cap_problems(good.replace("<msgType>Alert", "<msgType>Update").encode()))
    assert cap_problems(good.replace("T", " ", 1).encode()) or cap_problems(b"<alert/>")


def test_an_independent_xsd_validator_agrees(saint_paul):
    """xmlschema (pure Python, not libxml2) against the same official XSD."""
    schema = xmlschema.XMLSchema(str(SCHEMA_PATH))
    for warning in _every_kind(saint_paul):
        schema.validate(warning_cap(warning).decode())
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(warning_cap(warning).decode().replace("<scope>Public", "<scope>Everyone"))


def test_xmllint_validates_the_documents(saint_paul, tmp_path):
    """libxml2's command-line validator, as a partner would run it (Debian's libxml2-utils)."""
    if shutil.which("xmllint") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xmllint missing (apt-get install libxml2-utils)")
        pytest.skip("xmllint missing (apt-get install libxml2-utils)")
    paths = []
    for number, warning in enumerate(_every_kind(saint_paul)):
        path = tmp_path / f"warning-{number}.xml"
        path.write_bytes(warning_cap(warning))
        paths.append(str(path))
    result = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(SCHEMA_PATH), *paths],  # noqa: S603, S607
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(".xml validates") == len(paths)
    broken = tmp_path / "broken.xml"
    broken.write_text(warning_cap(warning).decode().replace("<msgType>", "<msgKind>").replace("</msgType>", "</msgKind>"))
    result = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(SCHEMA_PATH), str(broken)],  # noqa: S603, S607
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode != 0


def test_the_commune_feed_lists_its_current_messages(saint_paul, charleville, anon):
    alert, update, cancel = thread_of(saint_paul)
    old = make_warning(saint_paul, title="Ancien avis", expires_at=timezone.now() - timedelta(days=1))
    old.__class__.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=3))
    elsewhere = make_warning(charleville)
    response = anon.get("/api/v1/communes/06128/warnings.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    feed = parse_atom(response.content)
    ids = [entry.id for entry in feed.entries]
    assert ids == [f"urn:uuid:{w.identifier}" for w in (cancel, update, alert)]
    assert f"urn:uuid:{elsewhere.identifier}" not in ids and f"urn:uuid:{old.identifier}" not in ids
    entry = feed.entries[-1]
    assert entry.cap_links == (f"http://127.0.0.1:8000/api/v1/warnings/{alert.identifier}.cap",)
    assert entry.geocodes == (("INSEE", "06128"),) and entry.identifier == f"urn:uuid:{alert.identifier}"
    root = etree.fromstring(response.content)
    link = root.find("{http://www.w3.org/2005/Atom}link")
    assert link is not None and link.get("rel") == "self"


def test_the_departement_feed_covers_its_communes(saint_paul, charleville, anon):
    neighbour = CommuneFactory.create(insee="06123", name="Saint-Laurent-du-Var", departement="06")
    from conftest import Town

    here = make_warning(saint_paul)
    there = make_warning(Town(neighbour, saint_paul.mayor, *[saint_paul.mayor] * 4))
    elsewhere = make_warning(charleville)
    feed = parse_atom(anon.get("/api/v1/departements/06/warnings.atom").content)
    ids = {entry.id for entry in feed.entries}
    assert ids == {f"urn:uuid:{here.identifier}", f"urn:uuid:{there.identifier}"}
    assert f"urn:uuid:{elsewhere.identifier}" not in ids
    assert anon.get("/api/v1/departements/99x/warnings.atom").status_code == 404
    assert anon.get("/api/v1/departements/2A/warnings.atom").status_code == 404  # no commune of it loaded here


def test_one_warning_document_is_public_and_cached(saint_paul, anon):
    alert = make_warning(saint_paul)
    response = anon.get(f"/api/v1/warnings/{alert.identifier}.cap")
    assert response.status_code == 200 and response["Content-Type"] == "application/cap+xml; charset=utf-8"
    assert cap_problems(response.content) == []
    again = anon.get(f"/api/v1/warnings/{alert.identifier}.cap", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert anon.get("/api/v1/warnings/not-a-uuid.cap").status_code == 404
    assert anon.get("/api/v1/warnings/00000000-0000-0000-0000-000000000000.cap").status_code == 404
    assert anon.post(f"/api/v1/warnings/{alert.identifier}.cap").status_code == 405
    assert anon.get("/api/v1/communes/99999/warnings.atom").status_code == 404
