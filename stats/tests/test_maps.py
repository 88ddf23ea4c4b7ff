"""The shared commune map (communes/maps.py, templates/maps/_map.html) and its tile settings."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string

from communes.maps import CommuneMap, MapPoint
from communes.models import Commune
from conftest import Town
from vigilants.settings import tile_origin

ROOT = Path(__file__).resolve().parents[2]


def rendered(commune_map: CommuneMap) -> str:
    return render_to_string("maps/_map.html", {"map": commune_map})


def data_of(html: str) -> dict[str, Any]:
    return json.loads(html.split('<script type="application/json">')[1].split("</script>")[0])


@pytest.fixture
def commune(saint_paul: Town) -> Commune:
    return saint_paul.commune


@pytest.mark.django_db
def test_the_map_and_its_table_show_the_same_points(commune: Commune) -> None:
    points = [MapPoint(43.697, 7.122, "2 signalements", count=2), MapPoint(43.705, 7.11, "Vol", url="/desk/alerts/7/")]
    html = rendered(CommuneMap(commune, points, caption="Cellules", label_heading="Signalements", note="Arrondi."))
    data = data_of(html)
    assert data["points"] == [
        {"latitude": 43.697, "longitude": 7.122, "label": "2 signalements", "url": "", "count": 2},
        {"latitude": 43.705, "longitude": 7.11, "label": "Vol", "url": "/desk/alerts/7/", "count": 1},
    ]
    assert data["outlines"] == [[43.67332, 7.09568, 43.71234, 7.14361]]
    assert '<th scope="row">2 signalements</th><td>43.697</td><td>7.122</td>' in html
    assert '<th scope="row"><a href="/desk/alerts/7/">Vol</a></th><td>43.705</td><td>7.11</td>' in html
    assert "<caption>Cellules</caption>" in html and '<th scope="col">Signalements</th>' in html and "Arrondi." in html


@pytest.mark.django_db
def test_without_javascript_the_map_box_is_hidden_and_named_for_when_it_shows(commune: Commune) -> None:
    html = rendered(CommuneMap(commune))
    canvas = html.split('data-testid="commune-map-canvas"')[1].split(">")[0]
    assert " hidden" in canvas and 'role="region"' in canvas
    assert 'aria-label="Carte de Saint-Paul-de-Vence ; les positions sont reprises dans le tableau qui suit."' in canvas
    assert "Aucune position à montrer." in html
    # Every file the map needs is served here.
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", "/static/maps/map.js"):
        assert f'"{path}"' in html
        assert (ROOT / "stats" / "static" / path.removeprefix("/static/")).is_file(), path


@pytest.mark.django_db
def test_labels_are_text_in_the_table_and_the_data(commune: Commune) -> None:
    html = rendered(CommuneMap(commune, [MapPoint(43.7, 7.12, '<img src=x onerror="alert(1)">')]))
    assert "<img src=x" not in html and "&lt;img src=x" in html  # the table
    assert data_of(html)["points"][0]["label"] == '<img src=x onerror="alert(1)">'  # JSON, read as text by map.js


@pytest.mark.django_db
def test_tiles_only_when_a_tile_server_is_configured(commune: Commune, settings: Any) -> None:
    settings.MAP_TILE_URL = ""
    assert data_of(rendered(CommuneMap(commune)))["tiles"] is None
    settings.MAP_TILE_URL = "https://tiles.example.fr/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    tiles = data_of(rendered(CommuneMap(commune)))["tiles"]
    assert tiles == {"url": "https://tiles.example.fr/{z}/{x}/{y}.png", "attribution": "© OpenStreetMap contributors"}


@pytest.mark.django_db
def test_a_commune_without_territory_gets_a_box_around_its_centre(commune: Commune) -> None:
    commune.bbox_south = None
    assert CommuneMap(commune).bbox == pytest.approx((43.67687, 7.09212, 43.71687, 7.15212))


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("", ""),
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("https://{s}.tile.example.fr/osm/{z}/{x}/{y}.png", "https://*.tile.example.fr"),
        ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ],
)
def test_the_tile_servers_origin_is_what_the_policy_allows(url: str, origin: str) -> None:
    assert tile_origin(url) == origin


@pytest.mark.parametrize("url", ["tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tiles.example.fr/{z}/{x}.png",
                                 "javascript:alert(1)//{z}/{x}/{y}", "https://tiles.example.fr"])  # fmt: skip
def test_a_tile_url_that_is_no_template_stops_the_start(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="MAP_TILE_URL"):
        tile_origin(url)


def test_the_content_security_policy_allows_the_tile_server_and_nothing_more() -> None:
    def img_src(tile_url: str) -> list[str]:
        env = {**os.environ, "DEBUG": "true", "SECRET_KEY": "x", "MAP_TILE_URL": tile_url, "MAP_TILE_ORIGINS": ""}
        code = "from vigilants import settings; print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603
        return out.stdout.split()

    assert img_src("") == ["'self'", "data:"]
    assert img_src("https://{s}.tile.example.fr/{z}/{x}/{y}.png") == ["'self'", "data:", "https://*.tile.example.fr"]


@pytest.mark.django_db
def test_a_long_list_of_positions_folds_under_the_map(saint_paul: Town) -> None:
    few = CommuneMap(saint_paul.commune, [MapPoint(43.69, 7.12, f"n° {n}") for n in range(12)])
    many = CommuneMap(saint_paul.commune, [MapPoint(43.69, 7.12, f"n° {n}") for n in range(13)])
    assert "<details" not in render_to_string("maps/_map.html", {"map": few})
    folded = render_to_string("maps/_map.html", {"map": many})
    assert "<summary>La liste des 13 positions de la carte</summary>" in folded
    assert folded.index("<details") < folded.index('data-testid="commune-map-table"') < folded.index("</details>")
