"""Exports: the PDF report (offline, one section per indicator, the figures of the screen),
map PNG, and the CSV tables behind charts and maps."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from dashboard import maps, report
from dashboard.board import Board, View
from dashboard.store import Store
from dashboard.tables import format_number

from .conftest import make_env, run_app

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing "
                                    "(apt-get install chromium)")


def _outline(reader: PdfReader) -> list[tuple[int, str]]:
    out = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title))
    walk(reader.outline, 0)
    return out


@pytest.fixture(scope="module")
def sp5_pdf(built_official):
    with Store(built_official.db_path, read_only=True) as store:
        data = report.build_pdf(Board(store, built_official), View(lang="nl"), [5])
        inds = store.indicators(5)
    return PdfReader(io.BytesIO(data)), inds


@needs_chromium
def test_spearhead_report_has_a_section_per_indicator(sp5_pdf):
    reader, inds = sp5_pdf
    headings = _outline(reader)
    assert headings[0] == (0, "Speerpunt 5: Zuurstofrijke stad")
    sections = [title for depth, title in headings if depth == 1][1:]  # after the summary
    assert sections == list(inds["name"])
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Stand van de cijfers" in text
    assert text.count("Bron: Inspiratienota Kortrijk 2040") >= len(inds)
    assert "Illustratieve wijkcijfers" in text  # the district maps say so


@needs_chromium
def test_report_contains_the_figures_on_screen(sp5_pdf, built_copy, clean_env, monkeypatch):
    """What the spearhead page's status table shows is in the PDF's text."""
    reader, inds = sp5_pdf
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = run_app("speerpunt-5", {"deel": "indicatoren"})
    at.session_state["sp5_all_columns"] = True  # every column, as a table (on request)
    at.run()
    table = [d.value for d in at.dataframe if "Laatste waarde" in d.value.columns][0]
    shown = [(n, v.replace(" (ill.)", "")) for n, v in zip(table["Indicator"],
                                                            table["Laatste waarde"])]
    assert len(shown) == len(inds)
    for name, value in shown:
        assert name in text
        if value != "—":
            assert value in text, (name, value)


@needs_chromium
def test_map_png_is_drawn_offline(built_official):
    import geopandas as gpd

    wijken = gpd.read_parquet(built_official.geo_dir / "wijk.parquet")
    m = maps.choropleth(wijken, dict.fromkeys(wijken["code"], 1.0) | {wijken["code"].iloc[0]: 5.0},
                        title="Test", unit="u", fmt=format_number, scheme="natural_breaks",
                        static_url=built_official.static_url, attribution="A",
                        quality="official", illustrative=False)
    png = report.map_png(m, built_official, width=400, height=300)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == 800  # device scale factor 2


@needs_chromium
def test_map_png_draws_served_geometry_offline(built_official):
    """The app's maps load their polygons from the static script of their level
    (maps.serve): the offline PNG draws them too, from the file on disk."""
    import io

    import geopandas as gpd
    from PIL import Image

    wijken = gpd.read_parquet(built_official.geo_dir / "wijk.parquet")
    served = maps.serve(wijken, "wijk", built_official.static_dir, built_official.static_url,
                        maps._geometry)
    values = dict.fromkeys(wijken["code"], 1.0) | {wijken["code"].iloc[0]: 5.0}

    def class_pixels(served) -> int:
        m = maps.choropleth(wijken, values, title="Test", unit="u", fmt=format_number,
                            scheme="natural_breaks", static_url=built_official.static_url,
                            attribution="A", quality="official", illustrative=False,
                            served=served)
        image = Image.open(io.BytesIO(report.map_png(m, built_official, width=400,
                                                     height=300))).convert("RGB")
        # the two classes (#2c7fb8, #253494) at fill opacity 0.75 over Leaflet's grey
        classes = [tuple(round(0.75 * int(c[i:i + 2], 16) + 0.25 * 221) for i in (1, 3, 5))
                   for c in ("#2c7fb8", "#253494")]
        return sum(1 for px in image.get_flattened_data()
                   if any(max(abs(a - b) for a, b in zip(px, c)) <= 3 for c in classes))

    embedded, from_script = class_pixels(None), class_pixels(served)
    assert embedded > 20_000, embedded  # the city fills the map
    assert abs(from_script - embedded) < 0.02 * embedded, (from_script, embedded)


def test_chart_and_map_tables_round_trip(built_official):
    with Store(built_official.db_path, read_only=True) as store:
        ind = store.indicator("laadpunten")
        city = store.city_measurements()
        goals = store.goals("laadpunten")
    series = city[city["indicator_id"] == "laadpunten"]
    table = report.chart_table(ind, series, goals)
    back = pd.read_csv(io.BytesIO(report.to_csv(table)), encoding="utf-8-sig")
    measured = back[back["reeks"] == "gemeten"]
    assert list(measured["waarde"]) == list(series["value"])
    assert set(back["reeks"]) == {"gemeten", "doelpad"}
    values = {"A": 1.5, "B": 2.25}
    mt = report.map_table(ind, values, {"A": "Aa"}, 2024, True)
    back = pd.read_csv(io.BytesIO(report.to_csv(mt)), encoding="utf-8-sig")
    assert list(back["waarde"]) == [1.5, 2.25] and list(back["gebied"]) == ["Aa", "B"]
