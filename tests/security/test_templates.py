"""Finding 1 of issue 11: template injection in maps (code on the server).

branca renders each element's script as a Jinja template and wraps the output in
``Element(text)``, which the figure compiles and renders *again*: text from data that held
``{{ … }}`` was evaluated (a feature name ran ``os.system``), and ``{#`` or ``{%`` broke
the page. Every test builds real maps from real inputs (the official Kortrijk geodata,
the real catalog in a real DuckDB, a real layer file through the layer-load validation),
renders them the way the board does (the page for PNG and PDF, ``mapview.show_map`` and
``st_folium`` for the app) and reads the text back *decoded* (the GeoJSON and the JSON
literals of the map script parsed, tooltips HTML-unescaped, and once in chromium): it must
be the original string, nothing may raise, and the marker file of the payload that runs a
shell command must not appear.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import streamlit_folium as sf
from shapely.geometry import mapping

from dashboard import benchmark, geodata, loads, maps, partnermap, report
from dashboard.ui import mapview
from dashboard.board import Board, View
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store
from dashboard.tables import format_number

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOAD_CASES = PROJECT_ROOT / "tests" / "load_cases"
PEER_CITY = "34022"


def shell_payload(marker: Path) -> str:
    """A Jinja expression that creates ``marker`` when evaluated. Quote-free on purpose:
    HTML and JSON escaping turn quotes into ``&#x27;`` / ``\\u0027``, which would only
    make the template fail to compile; this one ran on the unfixed code."""
    g = "cycler.__init__.__globals__"
    code = list(f"touch {marker}".encode())
    return "{{ " + f"{g}.os.system({g}.__builtins__.bytes({code}).decode())" + " }}"


def hostile(marker: Path) -> list[str]:
    """Area / feature names that are template syntax (and HTML, Markdown, a formula)."""
    return [
        "{{ 7*7 }}",
        "{% if 1 %}x{% endif %}",
        "{# c",
        "{%",
        "a }} b {{",
        "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}",
        shell_payload(marker),
        "{{ 7*7 }} <img src=x onerror=alert(1)> [link](https://evil.example) =1+1",
    ]


# ------------------------------------------------------------------------ decoding
_ADD = re.compile(r"_add\((\{.*\})\);\s*$", re.M)


def collections(text: str) -> list[dict]:
    """Every GeoJSON FeatureCollection passed to a layer's ``_add(...)`` in a map script."""
    return [json.loads(m) for m in _ADD.findall(text)]


def properties(text: str) -> list[dict]:
    return [f["properties"] for c in collections(text) for f in c["features"]]


def tooltips(text: str) -> list[list[str]]:
    """Each tooltip as the lines the browser shows (innerHTML: tags split lines,
    character references decoded)."""
    return [[html.unescape(part) for part in re.split(r"<[^>]+>", p["tooltip"]) if part]
            for p in properties(text) if "tooltip" in p]


def tooltip_lines(text: str) -> list[str]:
    return [line for tip in tooltips(text) for line in tip]


def json_literal(pattern: str, text: str) -> list:
    """The JSON literals our map templates write (``… = <json>;``), decoded."""
    return [json.loads(m) for m in re.findall(pattern, text, re.M)]


def attributions(text: str) -> list[str]:
    return json_literal(r"addAttribution\((.+?)\);$", text)


def notices(text: str) -> list[str]:
    return json_literal(r"div\.textContent = (.+?);$", text)


def legend_titles(text: str) -> list[str]:
    return json_literal(r"div\.setAttribute\('aria-label', (.+?)\);$", text)


def legend_rows(text: str) -> list[list]:
    return json_literal(r"^\s*(\[\[.*\]\])\.forEach", text)


def legend_notes(text: str) -> list[str]:
    return json_literal(r"n\.textContent = (.+?);$", text)


# ------------------------------------------------------------------------ rendering
@pytest.fixture
def component_calls(monkeypatch):
    """What the app sends to streamlit-folium's frontend (``show_map`` and ``st_folium``
    both end in its component function, replaced here by a recorder)."""
    calls: list[dict] = []
    monkeypatch.setattr(sf, "_component_func", lambda **kw: calls.append(kw) or {})
    return calls


def sent(call: dict) -> str:
    return "\n".join((call["header"], call["html"], call["script"]))


_KEYS = iter(range(10 ** 9))


def app_texts(m, component_calls) -> list[str]:
    """The map as the app shows it: through ``mapview.show_map`` (cached maps) and through
    ``st_folium`` (the editor's layer preview), each on its own copy."""
    import copy

    from streamlit_folium import st_folium

    before = len(component_calls)
    mapview.show_map(m, ("security-templates", next(_KEYS)), key="k", height=300)
    st_folium(copy.deepcopy(m), key="preview", height=300, returned_objects=[])
    assert len(component_calls) == before + 2
    return [sent(c) for c in component_calls[before:]]


def page(m) -> str:
    """The whole page (PNG export and the PDF report render exactly this)."""
    return m.get_root().render()


@pytest.fixture(scope="module")
def geo(built_official):
    return {level: geodata.load_level(built_official.geo_dir, level)
            for level in ("wijk", "gemeente", "peer")}


# ------------------------------------------------------------------------ tests
def test_finding_01_jinja_in_area_name_renders_literally(geo, tmp_path, component_calls):
    """Official area names holding Jinja: area map and choropleth (with point and line
    layers, as on the spearhead-5 page) render without error, every output shows the name
    as written, and nothing is evaluated."""
    marker = tmp_path / "PWNED_area"
    wijken = geo["wijk"]
    assert len(wijken) == 14
    for evil in hostile(marker):
        areas = wijken.copy()
        areas.loc[0, "name"] = evil
        code0 = areas.loc[0, "code"]
        home = maps.area_map(areas, static_url="/s", attribution="bron", quality="official",
                             tooltips={code0: [("label " + evil, "waarde " + evil)]})
        for text in [page(home)] + app_texts(home, component_calls):
            assert [evil, f"label {evil}: waarde {evil}"] in tooltips(text)
            assert evil in [p.get("name") for p in properties(text)]
        centre = areas.geometry.iloc[3].representative_point()
        line = mapping(areas.geometry.iloc[2].boundary)
        for encoding in maps.GEOMETRY_ENCODINGS:
            m = maps.choropleth(
                areas, {c: float(i) for i, c in enumerate(areas["code"])}, title="Titel",
                unit="u", fmt=format_number, scheme="quantiles", static_url="/s",
                attribution="bron", quality="official", illustrative=False,
                lines=[(evil, line)], points_label=evil,
                points=[{"lat": centre.y, "lon": centre.x, "radius": 6, "name": evil,
                         "lines": [("aantal " + evil, "4")]}],
                outlines=areas.iloc[[1]], geometry_encoding=encoding)
            for text in [page(m)] + app_texts(m, component_calls):
                tips = tooltips(text)
                firsts = [tip[0] for tip in tips]
                assert firsts.count(evil) == 3, (evil, tips[:3])  # area, line, point
                assert [evil, f"aantal {evil}: 4"] in tips
    assert not marker.exists()


def test_finding_01_layer_preview_of_a_feature_name_with_jinja(geo, tmp_path,
                                                                component_calls):
    """The editor's preview of a charging-point load whose feature names hold Jinja (the
    path that ran Python on the server): real file, real validation, st_folium."""
    marker = tmp_path / "PWNED_layer"
    base = json.loads((LOAD_CASES / "layer_good_laadpunten.geojson").read_text())
    template = base["features"][0]
    # First the payload alone (on the unfixed code it ran: the marker appeared), then every
    # hostile name at once (on the unfixed code ``{#`` made the render raise).
    for names in ([shell_payload(marker)], hostile(marker)):
        base["features"] = [
            {**template, "properties": {**template["properties"], "id": f"lp-{i}", "naam": n}}
            for i, n in enumerate(names)]
        validated = loads.validate_layer_file(json.dumps(base).encode(), "laadpunten.geojson",
                                              "laadpunten", geo["gemeente"])
        assert validated.ok, validated.errors
        assert list(validated.features["name"]) == names
        m = maps.layer_preview(validated.features, static_url="/s", attribution="bron",
                               outline=geo["gemeente"])
        texts = [page(m)] + app_texts(m, component_calls)
        assert not marker.exists(), "the feature name was evaluated as a template"
        for text in texts:
            tips = tooltips(text)
            for i, name in enumerate(names):
                assert [name, f"id: lp-{i}"] in tips


def test_finding_01_legend_notice_and_attribution_texts_render_literally(geo, tmp_path,
                                                                         component_calls):
    """Indicator title and unit (legend), a source (attribution), a notice and legend
    rows and note: each shown as written."""
    marker = tmp_path / "PWNED_legend"
    evil = hostile(marker)
    title, unit, source = evil[0] + " titel", evil[2], evil[6] + " bron"
    m = maps.choropleth(geo["wijk"], {c: 1.0 for c in geo["wijk"]["code"]}, title=title,
                        unit=unit, fmt=format_number, scheme="natural_breaks",
                        static_url="/s", attribution=source, quality="approximate",
                        illustrative=True)
    other = maps.base_map("/s", [[50.8, 3.2], [50.9, 3.3]])
    maps.Legend(evil[1], [["#ffffcc", evil[3]], ["#d9d9d9", evil[5]]], evil[4]).add_to(other)
    maps.MapText(evil[7], evil[6]).add_to(other)
    for text in [page(m)] + app_texts(m, component_calls):
        assert legend_titles(text) == [f"{title} ({unit})"]
        assert attributions(text) == [source]
        assert any(line.startswith(f"{title} (illustratief): ") and line.endswith(f" {unit}")
                   for line in tooltip_lines(text))
    for text in [page(other)] + app_texts(other, component_calls):
        assert legend_titles(text) == [evil[1]]
        assert legend_rows(text) == [[["#ffffcc", evil[3]], ["#d9d9d9", evil[5]]]]
        assert legend_notes(text) == [evil[4]]
        assert attributions(text) == [evil[7]]
        assert notices(text) == [evil[6]]
    assert not marker.exists()


def test_finding_01_partnership_world_map_renders_names_literally(tmp_path, component_calls):
    marker = tmp_path / "PWNED_partners"
    evil = hostile(marker)
    home = {"name": evil[0], "lat": 50.8275, "lon": 3.2658, "lines": [("land", evil[2])]}
    partners = [{"name": evil[6], "lat": 35.1714, "lon": -5.2697, "kind": "partner",
                 "lines": [("land", evil[1])]},
                {"name": evil[3], "lat": 52.52, "lon": 13.40, "kind": "former"}]
    m = partnermap.partner_map(home, partners, static_url="/s", attribution=evil[7])
    for text in [page(m)] + app_texts(m, component_calls):
        tips = tooltips(text)
        assert [evil[0], f"land: {evil[2]}"] in tips
        assert [evil[6], f"land: {evil[1]}"] in tips
        assert [evil[3]] in tips
        assert f"{evil[0]} – {evil[6]}" in [tip[0] for tip in tips]
        assert {evil[0], evil[6], evil[3]} <= {p.get("name") for p in properties(text)}
        assert attributions(text)[0].startswith(evil[7])
    assert not marker.exists()


def test_finding_01_benchmark_map_renders_names_literally(geo, built_official, tmp_path,
                                                          component_calls):
    """The group map: municipality names (geodata), the indicator's name and unit
    (catalog) in tooltips and legend, the city's name in the legend note."""
    marker = tmp_path / "PWNED_benchmark"
    evil = hostile(marker)
    with Store(built_official.db_path, read_only=True) as s:
        data = s.indicators(), s.city_measurements(), s.peer_measurements()
    context = built_official.city.benchmark.context_indicators
    table = benchmark.comparison_table(*data, context).set_index("indicator_id")
    cars = "personenwagens_per_1000"
    row = table.loc[cars].to_dict() | {"indicator_id": cars, "name": evil[0],
                                       "unit": evil[2], "average_label": evil[1]}
    values = benchmark.map_values(row, row["city_value"], row["city_year"], PEER_CITY,
                                  "Kortrijk", data[2])
    areas = geo["peer"].copy()
    areas.loc[areas["code"] == PEER_CITY, "name"] = evil[6]
    other = areas.index[areas["code"] != PEER_CITY][0]
    areas.loc[other, "name"] = evil[3]
    m = benchmark.benchmark_map(areas, values, row, city_code=PEER_CITY, static_url="/s",
                                attribution=evil[7])
    for text in [page(m)] + app_texts(m, component_calls):
        tips = tooltips(text)
        firsts = [tip[0] for tip in tips]
        assert evil[6] in firsts and evil[3] in firsts
        lines = tooltip_lines(text)
        assert any(line.startswith(f"{evil[1]}: ") and line.endswith(f" {evil[2]}")
                   for line in lines)
        assert any(line.startswith(evil[0]) and line.endswith(f" {evil[2]}")
                   for line in lines)
        assert legend_titles(text) == [f"{evil[0]} ({evil[2]})"]
        assert legend_notes(text)[0].startswith(f"Dik zwart omlijnd: {evil[6]}.")
        assert attributions(text) == [evil[7]]
    assert not marker.exists()


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def test_finding_01_report_html_renders_indicator_texts_literally(built_copy, tmp_path):
    """The PDF report (and its map pages, the PNG export's HTML) for an indicator whose
    name, unit and source hold Jinja, HTML and Markdown."""
    marker = tmp_path / "PWNED_report"
    name = "{{ 7*7 }} <img src=x onerror=alert(1)> **vet** [link](https://evil.example)"
    unit = "{# c"
    source = shell_payload(marker) + " {% if 1 %}x{% endif %}"
    with Store(built_copy.db_path, read_only=True) as s:
        inds = s.indicators(5)
    target = next(r for r in inds.to_dict("records") if "wijk" in list(r["levels"]))
    with duckdb.connect(str(built_copy.db_path)) as con:
        con.execute("UPDATE indicator SET name = ?, unit = ?, source_document = ? "
                    "WHERE id = ?", [name, unit, source, target["id"]])
    with Store(built_copy.db_path, read_only=True) as s:
        rep = report.collect(Board(s, built_copy), View(), [5])
    section = next(x for x in rep.sections if x.indicator["id"] == target["id"])
    assert section.map_html, "the indicator has a district map in the report"
    assert legend_titles(section.map_html) == [f"{name} ({unit})"]
    assert any(line.startswith(name) and line.endswith(f" {unit}")
               for line in tooltip_lines(section.map_html))
    page_html = report.report_html(rep, {target["id"]: "map.png"})
    parsed = _Page()
    parsed.feed(page_html)
    text = "".join(parsed.text)
    assert name in text
    assert f"Bron: {source}, {target['source_section']}" in text
    assert f"Kaart per wijk van {name}" in [a.get("alt") for t, a in parsed.tags if t == "img"]
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert [a["src"] for t, a in parsed.tags if t == "img"] == ["map.png"]
    assert not marker.exists()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium missing")
def test_finding_01_tooltip_and_legend_text_in_a_browser(geo, tmp_path):
    """The rendered map page in headless chromium: hovering the area named ``{{ 7*7 }}``
    shows exactly that name; the legend shows the title as written."""
    from playwright.sync_api import sync_playwright

    marker = tmp_path / "PWNED_browser"
    static = tmp_path / "static"
    maps.install_leaflet(static)
    areas = geo["wijk"].copy()
    areas.loc[0, "name"] = "{{ 7*7 }}"
    m = maps.choropleth(areas, {c: float(i) for i, c in enumerate(areas["code"])},
                        title=shell_payload(marker), unit="{# c", fmt=format_number,
                        scheme="quantiles", static_url=static.as_uri(), attribution="{%",
                        quality="official", illustrative=False)
    target = tmp_path / "map.html"
    target.write_text(page(m), encoding="utf-8")
    inside = areas.geometry.iloc[0].representative_point()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 900, "height": 600})
            tab.goto(target.as_uri())
            tab.wait_for_selector("path.leaflet-interactive")
            tab.wait_for_timeout(300)  # fitBounds
            x, y = tab.evaluate(
                """([name, lat, lon]) => {
                    const p = window[name].latLngToContainerPoint([lat, lon]);
                    const r = document.querySelector('.folium-map').getBoundingClientRect();
                    return [r.left + p.x, r.top + p.y];
                }""", [m.get_name(), inside.y, inside.x])
            tab.mouse.move(x, y)
            tip = tab.wait_for_selector(".leaflet-tooltip strong")
            assert tip.text_content() == "{{ 7*7 }}"
            assert tab.text_content(".dashboard-legend summary") == (
                shell_payload(marker) + " ({# c)")
            assert "{%" in tab.text_content(".leaflet-control-attribution")
        finally:
            browser.close()
    assert not marker.exists()
