"""Issue 11, property-based: generated strings mixing Jinja, HTML, Markdown and spreadsheet
formula syntax go into every text field of every input path, and nothing is evaluated.

Two levels:

- Unit properties (hypothesis, many examples): the escapes of ``dashboard.safety`` and the
  map builders keep any such string literal (HTML and Jinja inert, Markdown inert,
  spreadsheet-safe) and never raise.
- One hostile board (module fixture, strings drawn from the same grammar with a fixed
  seed): the catalog (spearhead and indicator names, units, sources, notes), the areas
  table, the official geodata (wijk and deelgemeente names in a copy of ../shared/geo),
  a measurement load (source, note, file name) and every layer load (feature names and
  text properties) carry them. Every page runs in AppTest without an exception, every map
  the pages send and the report HTML carry the text in an inert form, a Jinja payload that
  would create a file never does, and every export is neutralised.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import random
import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import loads, maps, opendata, report
from dashboard.ui import navigation
from dashboard.auth import hash_password
from dashboard.board import Board, View
from dashboard.build import build
from dashboard.safety import FORMULA_START, csv_cell, html_text, markdown_text
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.store import Store

from ..conftest import SHARED_GEO, component_args, make_env, page_target, run_app

MARKER = Path(f"/tmp/kortrijk-hostile-{os.getpid()}")
# A template expression that would create MARKER if any Jinja pass evaluated it.
RCE = ("{{ cycler.__init__.__globals__.os.popen('touch " + str(MARKER) + "').read() }}")
FRAGMENTS = [
    "{{ 7*7 }}", "{{", "}}", "{% if 1 %}x{% endif %}", "{%", "%}", "{#", "#}", "{{ x }",
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</script>", "&amp;",
    "[Officieel bericht](https://evil.example)", "![x](https://evil.example/x.png)",
    "**vet**", "_schuin_", "`code`", "$x^2$", ":red[rood]", "# kop", "> citaat", "| a |",
    "=HYPERLINK(\"https://evil.example\")", "@SUM(1+1)", "+1", "-2+3", "=cmd|' /C calc'!A0",
    "\\", "\"", "'", "é", "ß", "Sint-Amandus", " ", "%", "%s", "{0}", "{name}",
]
fragment = st.sampled_from(FRAGMENTS) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6)
hostile = st.lists(fragment, min_size=1, max_size=6).map("".join).filter(
    lambda s: s.strip() != "")


def _draw(rng: random.Random, n: int = 3) -> str:
    """A hostile string from the same grammar, deterministic for the fixture."""
    return "".join(rng.choice(FRAGMENTS) for _ in range(n))


# ------------------------------------------------------------------ unit properties
def _unescape_md(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_property_escapes_keep_text_literal(s):
    h = html_text(s)
    assert html.unescape(h) == s
    assert not set("<>{}%#") & set(re.sub(r"&#?\w+;", "", h))
    m = markdown_text(s)
    one_line = re.sub(r"[\r\n\u2028\u2029\v\f]+", " ", s).lstrip()
    assert _unescape_md(m).replace("\u2060", "") == one_line
    # Every always-active Markdown character is escaped; no autolink literal survives.
    bare = re.sub(r"\\.", "", m)
    assert not re.search(r"[\[\]`*<>$|~@\\]", bare), m
    assert not re.search("://(?!\u2060)", m), m
    assert not re.search(r"(?i)www\.", m)
    c = csv_cell(s)
    assert not (isinstance(c, str) and c.startswith(FORMULA_START))


@pytest.fixture(scope="module")
def wijken():
    return gpd.read_file(SHARED_GEO / "kortrijk_wijken_2024.geojson").to_crs(4326).rename(
        columns={"wijk_code": "code", "wijk_naam": "name"})[["code", "name", "geometry"]]


def _features(page: str) -> list[dict]:
    """Every GeoJSON feature embedded in a rendered map page."""
    found = []
    for m in re.finditer(r'\{"features":\s*\[', page):  # folium sorts the keys
        try:
            obj, _ = json.JSONDecoder().raw_decode(page[m.start():])
        except ValueError:
            continue
        if obj.get("type") == "FeatureCollection":
            found += obj["features"]
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(name=hostile, title=hostile)
def test_property_maps_render_any_text_literally(wijken, name, title):
    areas = wijken.copy()
    areas.loc[0, "name"] = name + RCE
    m = maps.choropleth(areas, dict.fromkeys(areas["code"], 1.0), title=title, unit=title,
                        fmt=str, scheme="quantiles", static_url="/app/static",
                        attribution=title, quality="official", illustrative=True)
    page = m.get_root().render()
    assert not MARKER.exists()
    tips = [html.unescape(re.sub(r"<[^>]+>", "\n", f["properties"].get("tooltip", "")))
            for f in _features(page)]
    assert any((name + RCE) in tip for tip in tips), tips[:1]


# ------------------------------------------------------------------ the hostile board
HASH = hash_password("kortrijk-2040-test", salt="fixed-test-salt", iterations=1_000)


def _poison_catalog(folder: Path, rng: random.Random) -> dict[str, str]:
    """Hostile names, units, sources and notes in a copy of the catalog; returns them."""
    put = {}
    ind = pd.read_csv(folder / "catalog" / "indicators.csv", dtype=str, keep_default_na=False)
    for col in ("name", "unit", "source_document", "source_section", "definition",
                "assumption"):
        rows = ind.index[ind["spearhead_id"].isin(["1", "5"])][:6]
        for i in rows:
            value = f"{ind.at[i, col]} {_draw(rng)}"
            if col == "assumption":   # shown under the chart: always carry a live link
                value += " [Officieel bericht](https://evil.example)"
            ind.at[i, col] = value
            put[f"indicator.{ind.at[i, 'id']}.{col}"] = value
    ind.to_csv(folder / "catalog" / "indicators.csv", index=False)
    sp = pd.read_csv(folder / "catalog" / "spearheads.csv", dtype=str, keep_default_na=False)
    sp.loc[sp["id"] == "5", "name"] = sp.loc[sp["id"] == "5", "name"] + " " + _draw(rng)
    put["spearhead.5.name"] = sp.loc[sp["id"] == "5", "name"].iloc[0]
    sp.to_csv(folder / "catalog" / "spearheads.csv", index=False)
    for name in ("goals.csv", "measurements.csv"):
        frame = pd.read_csv(folder / "catalog" / name, dtype=str, keep_default_na=False)
        frame["note"] = [f"{n} {_draw(rng)}" for n in frame["note"]]
        frame.to_csv(folder / "catalog" / name, index=False)
    return put


def _poison_geodata(target: Path, rng: random.Random) -> dict[str, str]:
    """A copy of ../shared/geo whose Kortrijk wijk and deelgemeente names are hostile."""
    target.mkdir()
    for f in SHARED_GEO.iterdir():
        if f.is_file() and f.name != "vlaanderen_wijken_2024.geojson":
            shutil.copy2(f, target / f.name)
    names = {}
    for file, field, code in (("kortrijk_wijken_2024.geojson", "wijk_naam", "wijk_code"),
                              ("kortrijk_deelgemeenten_2024.geojson", "deelgemeente_naam",
                               "deelgemeente_code")):
        data = json.loads((target / file).read_text(encoding="utf-8"))
        for feat in data["features"][:4]:
            value = f"{feat['properties'][field]} {_draw(rng)} {RCE}"
            feat["properties"][field] = value
            names[feat["properties"][code]] = value
        (target / file).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return names


LAYER_FILES = {
    "laadpunten": ("Point", [[3.2649, 50.8278], [3.2640, 50.8240]], {"aantal": 4,
                                                                      "vermogen_kw": 22}),
    "warmtenet_leiding": ("LineString", [[[3.2600, 50.8250], [3.2700, 50.8280]]],
                          {"type": "{{ 7*7 }} =1+1"}),
    "ontharding_project": ("Point", [[3.2660, 50.8300]], {"m2": 500, "jaar": 2025}),
}


def _layer_file(layer: str, rng: random.Random) -> bytes:
    kind, coords, props = LAYER_FILES[layer]
    feats = [{"type": "Feature", "properties": {"id": f"{layer}-{k}",
                                                "naam": f"{_draw(rng)} {RCE}", **props},
              "geometry": {"type": kind, "coordinates": c}} for k, c in enumerate(coords)]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode("utf-8")


@pytest.fixture(scope="module")
def hostile_board(tmp_path_factory):
    rng = random.Random(2040)
    root = tmp_path_factory.mktemp("hostile")
    cfg = root / "city"
    shutil.copytree(PROJECT_ROOT / "data", cfg, ignore=shutil.ignore_patterns(
        "*.duckdb*", "cities"))
    put = _poison_catalog(cfg, rng)
    areas = pd.read_csv(cfg / "areas_kortrijk.csv", dtype=str, keep_default_na=False)
    sectors = areas.index[areas["level"] == "sector"][:5]
    areas.loc[sectors, "name"] = [f"{n} {_draw(rng)}" for n in areas.loc[sectors, "name"]]
    areas.to_csv(cfg / "areas_kortrijk.csv", index=False)
    put["geodata"] = _poison_geodata(root / "geo_src", rng)
    env = {**make_env(root, root / "geo_src"), "DASHBOARD_CITY_CONFIG": str(cfg / "city.yaml"),
           "DASHBOARD_EDITOR_PASSWORD_HASH": HASH}
    s = load_settings(env)
    build(s)
    from dashboard import geodata

    with Store(s.db_path) as store:
        source, note = _draw(rng) + " =HYPERLINK(1)", "@SUM(1) " + _draw(rng)
        text = ("indicator;gebied;jaar;waarde;bron;opmerking\n"
                f"laadpunten;34022;2025;720;{source};{note}\n"
                f"kinderopvang_per_100;34022;2025;58,1;;{note}\n")
        file = "=1+1 {{ 7*7 }} [x](https://evil.example).csv"
        validated = loads.validate_file(text.encode("utf-8"), file, store)
        assert validated.ok, validated.errors.to_dict("records")
        loads.commit(store, validated, who=f"{_draw(rng)}@example.org", confirm_warnings=True)
        put["load"] = {"source": source, "note": note, "file": file}
        municipality = geodata.load_level(s.geo_dir, "gemeente")
        sector_layer = geodata.load_level(s.geo_dir, "sector")
        for layer in LAYER_FILES:
            v = loads.validate_layer_file(_layer_file(layer, rng), f"{_draw(rng)}.geojson",
                                          layer, municipality, sector_layer)
            assert v.ok, (layer, v.errors.to_dict("records"))
            loads.commit(store, v, who="redacteur", confirm_warnings=True)
    return {"env": env, "settings": s, "put": put}


@pytest.fixture
def hostile_env(hostile_board, clean_env):
    for key, value in hostile_board["env"].items():
        clean_env.setenv(key, value)
    return hostile_board


def _pages(settings_) -> list[str]:
    specs = navigation.page_specs(settings_)
    return [page_target(f, u) for section in specs.values() for f, _t, u in section]


def test_hostile_board_every_page_runs_and_nothing_is_evaluated(hostile_env):
    """Every page (public and editor) runs on the hostile board in AppTest."""
    pages = _pages(load_settings())
    assert len(pages) >= 15
    for page in pages:
        at = run_app(page)
        if page.endswith(("load.py", "history.py")):
            at.text_input[0].set_value("kortrijk-2040-test")
            at.button[0].click().run()
            assert not at.exception, (page, [e.value for e in at.exception])
        for md in [*at.markdown, *at.caption]:
            body = md.value
            # No link or image from data: every '](' of ours is in the app's own texts.
            assert "](https://evil.example" not in body, (page, body[:300])
        assert not MARKER.exists(), page
    for params in ({"presentatie": "1", "sp": "5"}, {"presentatie": "1", "sp": "1"}):
        run_app("app_pages/presentation.py", params)
        assert not MARKER.exists()


def test_hostile_board_maps_and_report_carry_the_text_inert(hostile_env):
    """The spearhead-5 maps as sent to the browser, and the report HTML: the hostile
    names are there, encoded, and no template was evaluated."""
    at = run_app("speerpunt-5")
    sent = "\n".join(component_args(at))
    assert sent, "no map component on the spearhead-5 page"
    assert "{{" not in sent.replace("\\u007b\\u007b", "")  # no raw Jinja opener survives
    assert not MARKER.exists()
    s = hostile_env["settings"]
    with Store(s.db_path) as store:  # AppTest's cached Store holds it read-write
        rep = report.collect(Board(store, s), View(), [1, 5])
        page = report.report_html(rep, {})
    assert not MARKER.exists()
    # Every poisoned spearhead-5 indicator name is in the report, escaped, as written.
    names = [v for k, v in hostile_env["put"].items()
             if k.startswith("indicator.") and k.endswith(".name")]
    shown = [n for n in names if html_text(n) in page or html.escape(n) in page]
    assert shown, names
    assert "<img src=x" not in page and "<script>alert" not in page


def test_hostile_board_exports_are_neutralised(hostile_env):
    s = hostile_env["settings"]
    with Store(s.db_path) as store:  # AppTest's cached Store holds it read-write
        board = opendata.collect(store, s)
    files = opendata.export_files(board)
    for name, data in files.items():
        if not name.endswith(".csv"):
            continue
        for row in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]:
            for cell in row:
                assert not (cell.startswith(FORMULA_START)
                            and not re.fullmatch(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", cell)), \
                    (name, cell)
    load = hostile_env["put"]["load"]
    everything = b"".join(files.values()).decode("utf-8", "replace")
    assert "'" + load["file"] in everything or csv_cell(load["file"]) in everything
