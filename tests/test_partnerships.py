"""City partnerships: the data file (sources, dates, indicator links), the world map
builder, and the page (with and without a partnerships file)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json

import folium
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard import overview, partnermap
from dashboard import partnerships as pt
from dashboard.errors import InputError
from dashboard.ui.navigation import page_specs
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.store import Store
from dashboard.tables import format_number

from .conftest import SEEDS, make_env, run_app

CITY = PROJECT_ROOT / "data" / "city.yaml"
INDICATOR_IDS = {r["id"] for r in csv.DictReader(
    (PROJECT_ROOT / "data" / "catalog" / "indicators.csv").open(encoding="utf-8"))}
PRESS = SEEDS / "000_10eec408256bec7e.txt"


@pytest.fixture(scope="module")
def path():
    found = pt.configured_path(load_settings({}))
    assert found is not None and found.name == "partnerships.yaml"
    return found


@pytest.fixture(scope="module")
def data(path) -> pt.Partnerships:
    return pt.load(path)


@pytest.fixture(scope="module")
def raw(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _walk(node, where=""):
    """Every mapping in the parsed file with its path."""
    if isinstance(node, dict):
        yield where, node
        for k, v in node.items():
            yield from _walk(v, f"{where}.{k}")
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _walk(v, f"{where}[{k}]")


# ------------------------------------------------------------------------------ data
def test_every_fact_has_a_source_in_the_raw_file(raw):
    facts = [(w, n) for w, n in _walk({k: raw[k] for k in ("home", "partnerships", "context")})
             if {"text", "date", "items", "lat"} & set(n)]
    assert len(facts) > 15
    for where, node in facts:
        src = node.get("source")
        assert isinstance(src, dict), f"{where}: no source"
        assert src.get("document") in raw["documents"], where
        assert src.get("paragraph") or src.get("section"), where


def test_documents_have_titles_and_their_seed_copies_exist(data):
    refs = {d.reference for d in data.documents.values() if d.reference}
    assert refs == {"000_10eec408256bec7e.txt", "001_4847dc664a39ce3b.txt",
                    "003_5552dda302ad4cb9.txt", "004_54c1940183bc9bf9.txt"}
    for ref in refs:
        assert (SEEDS / ref).exists(), ref
    press = data.documents["persbericht_chefchaouen"]
    # No year in the title: the archived release carries no date (issue 12, point 3).
    assert press.title == "Persbericht stad Kortrijk: stedenband met Chefchaouen"
    for what, source in data.sources():
        assert source.document.title and source.where(), what


def test_facts_quote_the_press_release(data):
    text = " ".join(PRESS.read_text(encoding="utf-8").split())
    chef = data.current[0]
    assert (chef.name, chef.country) == ("Chefchaouen", "Marokko")
    assert chef.themes == ("duurzaamheid", "klimaat", "natuur", "energie", "leefbaarheid")
    assert "duurzaamheid, klimaat, natuur, energie en leefbaarheid" in text
    for visit in ("IMOG", "Howest", "Talassemtanepark"):
        assert any(v.startswith(visit) for v in chef.visits) and visit in text
    assert [p.name for p in data.former] == ["Cebu"]
    assert "tienjarige stedenband met Cebu" in text
    assert "2010" in pt.localized(chef.fact("ville_ecologique").text)
    assert "In 2010 werd Chefchaouen als ‘Ville écologique’" in text


def test_dates(data):
    text = PRESS.read_text(encoding="utf-8")
    chef = data.current[0]
    signed, visit, until = (chef.fact(i) for i in ("signed", "delegation", "until"))
    assert signed.date == dt.date(2023, 11, 13) and signed.date.weekday() == 0  # a Monday
    assert "maandag 13 november" in text and signed.derived is None
    assert signed.stated == "maandag 13 november" and signed.inferred.part == "year"
    assert visit.date == dt.date(2023, 11, 16) and visit.date.weekday() == 3  # a Thursday
    assert "donderdag 16 november" in text and visit.stated == "donderdag 16 november"
    assert "drie jaar" in pt.localized(chef.fact("duration").text)
    # The end is derived (three years from signing), and labelled so.
    assert until.derived and "drie jaar" in pt.localized(until.derived)
    assert until.date == signed.date.replace(year=signed.date.year + 3)
    assert pt.fact_date(until).endswith(", afgeleid")
    assert pt.fact_date(signed).endswith("jaartal afgeleid")  # the year is inferred


def test_exchange_themes_map_to_real_indicators(data):
    chef = data.current[0]
    assert [e.id for e in chef.exchanges] == ["energie", "natuur", "afval", "mobiliteit"]
    ids = data.indicator_ids()
    assert ids and set(ids) <= INDICATOR_IDS, set(ids) - INDICATOR_IDS
    for e in chef.exchanges:
        assert e.indicators or e.no_indicator, e.id  # no figure: say why
    assert "warmtenet_aandeel_gebouwen" in chef.exchanges[0].indicators
    assert "laadpunten" in chef.exchanges[3].indicators


def test_coordinates_are_wgs84(data):
    assert data.home_lat == pytest.approx(50.83, abs=0.05)
    assert data.home_lon == pytest.approx(3.27, abs=0.05)
    chef = data.current[0]
    assert (chef.lat, chef.lon) == pytest.approx((35.17, -5.27), abs=0.05)


@pytest.mark.parametrize("breakage, field", [
    (lambda d: d["partnerships"][0]["facts"][0].pop("source"),
     "partnerships[0].facts[0].source"),
    (lambda d: d["context"][0]["source"].update(document="nergens"), "context[0].source"),
    (lambda d: d["partnerships"][0]["facts"][1].update(date="16 november"),
     "partnerships[0].facts[1].date"),
    (lambda d: d["partnerships"][0]["exchanges"][2].pop("no_indicator"),
     "partnerships[0].exchanges[2].indicators"),
    (lambda d: d["partnerships"][0]["coordinates"].update(lat=135.2),
     "partnerships[0].coordinates"),
])
def test_broken_files_are_refused_with_the_field(raw, breakage, field):
    broken = copy.deepcopy(raw)
    breakage(broken)
    with pytest.raises(InputError) as exc:
        pt.parse(broken)
    assert field in [p.field for p in exc.value.problems], exc.value.problems


# ------------------------------------------------------------------------ world map
EVIL = "<script>alert('x')</script>"


def _geojson_layers(m: folium.Map) -> list[folium.GeoJson]:
    return [c for c in m._children.values() if isinstance(c, folium.GeoJson)]


def test_world_map_has_both_markers_a_line_and_escaped_tooltips():
    home = {"name": EVIL, "lat": 50.8275, "lon": 3.2658}
    partner = {"name": "Chefchaouen", "lat": 35.1714, "lon": -5.2697,
               "lines": [("land", f"Marokko {EVIL}")]}
    m = partnermap.partner_map(home, [partner], static_url="/app/static")
    assert [u for _, u in m.default_js] == ["/app/static/leaflet-1.9.3/leaflet.js"]
    features = [f for layer in _geojson_layers(m) for f in layer.data["features"]]
    points = [f for f in features if f["geometry"]["type"] == "Point"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert sorted(f["properties"]["kind"] for f in points) == ["home", "partner"]
    by_kind = {f["properties"]["kind"]: f for f in points}
    assert by_kind["home"]["geometry"]["coordinates"] == [3.2658, 50.8275]
    assert by_kind["home"]["properties"]["tooltip"] == (
        "<strong>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</strong>")
    assert "Marokko &lt;script&gt;" in by_kind["partner"]["properties"]["tooltip"]
    assert len(lines) == 1
    path = lines[0]["geometry"]["coordinates"]
    assert path[0] == [3.2658, 50.8275] and path[-1] == [-5.2697, 35.1714]
    html = m.get_root().render()
    assert "<script>alert" not in html
    assert "leaflet.js" in html and "unpkg" not in html and "cdn.jsdelivr" not in html
    assert "tile.openstreetmap" not in html  # no tiles unless asked for
    # Labels are permanent: readable without hovering and without tiles.
    assert html.count('"permanent": true') == 2


def test_world_map_without_tiles_has_outlines_or_says_so():
    home = {"name": "A", "lat": 50.8, "lon": 3.3}
    partner = {"name": "B", "lat": 35.2, "lon": -5.3}
    with_outline = partnermap.partner_map(home, [partner], static_url="/s")
    names = [layer.layer_name for layer in _geojson_layers(with_outline)]
    if partnermap.natural_earth_file() is not None:
        assert "landsgrenzen" in names
        assert "Natural Earth" in with_outline.get_root().render()
    bare = partnermap.partner_map(home, [partner], static_url="/s", outline=False)
    assert "landsgrenzen" not in [layer.layer_name for layer in _geojson_layers(bare)]
    assert "Geen achtergrondkaart en geen landsgrenzen" in bare.get_root().render()
    assert "Geen achtergrondkaart" not in with_outline.get_root().render() or \
        partnermap.natural_earth_file() is None


def test_natural_earth_outline_is_clipped_and_small():
    if partnermap.natural_earth_file() is None:
        pytest.skip("no offline Natural Earth copy installed (pyogrio test data)")
    shapes = partnermap.world_outline(-30, 23, 28, 63)
    assert 20 < len(shapes["features"]) < 80
    assert len(json.dumps(shapes)) < 80_000
    for f in shapes["features"]:
        assert json.dumps(f["geometry"])  # serialisable
    assert partnermap.world_outline(-30, 23, 28, 63) == shapes  # deterministic


def test_great_circle_and_distance():
    km = partnermap.distance_km(50.8275, 3.2658, 35.1714, -5.2697)
    assert 1800 < km < 1950
    assert partnermap.distance_km(0, 0, 0, 180) == pytest.approx(20015, rel=1e-3)
    # Across the antimeridian the longitudes stay continuous (no jump across the map).
    path = partnermap.great_circle(35.7, 139.7, 37.8, -122.4)
    assert all(abs(b[0] - a[0]) < 10 for a, b in zip(path, path[1:]))
    assert path[-1][0] == pytest.approx(-122.4 + 360)


# ------------------------------------------------------------------------------ page
def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown,
                               *at.caption, *at.info, *at.warning, *at.error)]
    return "\n".join(str(p) for p in parts)


def test_partnerships_page(monkeypatch, built_copy, clean_env):
    with Store(built_copy.db_path, read_only=True) as store:  # what the page must show
        inds = store.indicators()   # share-in-areas goals are judged per named area
        expected = overview.indicator_statuses(
            inds, store.goals(), store.city_measurements(),
            overview.area_series(store, inds), store.areas()).set_index("id")
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = run_app("app_pages/partnerships.py")
    text = _texts(at)
    assert "Kortrijk – Chefchaouen (Marokko)" in text
    assert "13 november 2023" in text and "13 november 2026, afgeleid" in text
    assert "Afgeleid: Ondertekening op 13 november 2023" in text
    assert "Bron: Persbericht stad Kortrijk: stedenband met Chefchaouen" in text
    assert "Eurocities" in text and "36 maanden" in text and "Cebu" in text
    assert "km in vogelvlucht" in text
    assert not at.warning and not at.error  # every indicator id is in the catalog
    assert any("geen indicator over afval" in i.value for i in at.info)
    tables = [d.value for d in at.dataframe]
    assert len(tables) == 3  # energy, nature, mobility (waste: no indicator)
    chef = pt.load(pt.configured_path(load_settings({}))).current[0]
    themes = [e for e in chef.exchanges if e.indicators]
    shown_values = 0
    for exchange, table in zip(themes, tables):  # each theme's figures, from the store
        rows = expected.loc[list(exchange.indicators)]
        assert list(table["Indicator"]) == list(rows["name"])
        assert list(table["Status"]) == list(rows["status_label"])
        for value, unit, cell in zip(rows["value"], rows["unit"], table["Laatste stadscijfer"]):
            if value == value:  # not NaN
                assert cell == f"{format_number(value)} {unit}"
                shown_values += 1
            else:
                assert cell == "—"
    assert shown_values >= 3  # real figures, not only dashes
    assert "Laadpunten" in set(tables[-1]["Indicator"])
    urls = {f: u for entries in page_specs(load_settings()).values() for f, _, u in entries}
    links = {e.proto.page for e in at.get("page_link")}
    assert links == {urls["speerpunt_5"], urls["sdg.py"]}

    at.toggle(key="partner_former").set_value(True).run()  # Cebu joins the map
    assert not at.exception
    assert "Cebu" in " ".join(c.value for c in at.caption if "vogelvlucht" in c.value)


def test_page_without_partnerships_file_says_so(monkeypatch, tmp_path, clean_env):
    city = yaml.safe_load(CITY.read_text(encoding="utf-8"))
    city.pop("partnerships_file")
    city["catalog_dir"] = str(CITY.parent / city["catalog_dir"])
    city["areas_file"] = str(CITY.parent / city["areas_file"])
    config = tmp_path / "city.yaml"
    config.write_text(yaml.safe_dump(city, allow_unicode=True), encoding="utf-8")
    env = {**make_env(tmp_path), "DASHBOARD_CITY_CONFIG": str(config)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings(env)
    assert pt.configured_path(settings) is None
    files = [f for entries in page_specs(settings).values() for f, _, _ in entries]
    assert "partnerships.py" not in files and "sdg.py" in files
    # Not in the menu; a stale link to the page itself gets the notice, not an error.
    at = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / "partnerships.py"),
                           default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info] and "geen stedenbanden" in at.info[0].value
    assert not at.dataframe and len(at.title) == 1
