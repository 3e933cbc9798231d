"""Map builders: offline assets only, escaped tooltips, attribution and quality notice."""

from __future__ import annotations

import re

import pytest

from dashboard import geodata, maps
from dashboard.settings import PROJECT_ROOT

from .conftest import settings_for


@pytest.fixture(scope="module")
def wijken(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("maps"))
    geodata.import_geodata(settings.geodata_dir, settings)
    return geodata.load_level(settings.geo_dir, "wijk")


def _html(m) -> str:
    return m.get_root().render()


def test_map_references_only_local_scripts_and_styles(wijken):
    m = maps.area_map(wijken, static_url="/app/static", attribution="bron", quality="official")
    page = _html(m)
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', page)
    hrefs = re.findall(r'<link[^>]+href="([^"]+)"', page)
    assert srcs and hrefs
    for url in srcs + hrefs:
        assert url.startswith("/app/static/leaflet-1.9.3/"), url
    assert "https://" not in page.replace("https://www.w3.org", "")
    # streamlit-folium loads what default_js/default_css say: also local only.
    assert all(u.startswith("/app/static/") for _, u in m.default_js + m.default_css)


def test_all_14_wijken_are_features_with_names(wijken):
    m = maps.area_map(wijken, static_url="/s", attribution="bron", quality="official")
    page = _html(m)
    assert page.count('"type": "Feature"') == 14
    assert "Kortrijk Centrum" in page and "Heule Watermolen" in page


def test_tooltip_text_is_escaped(wijken):
    evil = wijken.copy()
    evil.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    m = maps.area_map(evil, static_url="/s", attribution="a</script><script>alert(2)</script>",
                      quality="approximate",
                      tooltips={evil.loc[1, "code"]: [("<b>label</b>", "<script>x</script>")]})
    page = _html(m)
    assert "<img src=x" not in page and "<script>x</script>" not in page
    assert "</script><script>alert(2)" not in page  # JSON-encoded inside the script
    layer = next(c for c in m._children.values() if c._name == "GeoJson")
    tips = {f["properties"]["code"]: f["properties"]["tooltip"] for f in layer.data["features"]}
    assert tips[evil.loc[0, "code"]] == "<strong>&lt;img src=x onerror=alert(1)&gt;</strong>"
    assert "&lt;b&gt;label&lt;/b&gt;: &lt;script&gt;x&lt;/script&gt;" in tips[evil.loc[1, "code"]]


def test_tooltip_html_helper():
    expected = "<strong>A &amp; B</strong><br>x&lt;y: 1&gt;0"
    assert maps.tooltip_html("A & B", [("x<y", "1>0")]) == expected


@pytest.mark.parametrize("quality", ["approximate", "schematic"])
def test_quality_notice_on_the_map(wijken, quality):
    page = _html(maps.area_map(wijken, static_url="/s", attribution="bron", quality=quality))
    assert maps.QUALITY_NOTES[quality].split(":")[0] in page


def test_no_notice_for_official(wijken):
    page = _html(maps.area_map(wijken, static_url="/s", attribution="bron", quality="official"))
    assert "dashboard-map-notice" not in page


def test_tiles_are_optional(wijken):
    page = _html(maps.area_map(wijken, static_url="/s", attribution="b", quality="official"))
    assert "tile.openstreetmap.org" not in page
    osm = _html(maps.area_map(wijken, static_url="/s", attribution="b", quality="official",
                              tiles="osm"))
    assert "tile.openstreetmap.org" in osm


def test_install_leaflet_is_idempotent(tmp_path):
    folder = maps.install_leaflet(tmp_path)
    assert (folder / "leaflet.js").stat().st_size > 100_000
    assert (folder / "leaflet.css").exists() and (folder / "images" / "marker-icon.png").exists()
    assert maps.install_leaflet(tmp_path) == folder
    assert PROJECT_ROOT.name  # the real app copies into <project>/static (git-ignored)


# ------------------------------------------------------------------ choropleth builder
def test_classify_quantiles_and_natural_breaks():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]
    q = maps.classify(values, "quantiles")
    nb = maps.classify(values, "natural_breaks")
    assert len(q) == 5 and q[-1] == 100
    assert nb[-1] == 100 and nb != q  # natural breaks isolate the outlier
    assert maps.classify([3, 3, 3], "quantiles") == [3.0]
    assert maps.classify([], "quantiles") == []
    assert maps.classify([0, 1, 2], "natural_breaks") == [1.0, 2.0]  # zero: no class


def test_class_colours_follow_the_bins():
    bins = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert maps.class_colour(0.5, bins) == maps.PALETTE[0]
    assert maps.class_colour(5, bins) == maps.PALETTE[-1]
    assert maps.class_colour(None, bins) == maps.NO_DATA
    # fewer classes use the darker end of the palette, never an out-of-range index
    assert maps.class_colour(2, [1.0, 2.0]) == maps.PALETTE[-1]


def test_choropleth_draws_every_area_points_lines_and_legend(wijken):
    values = {c: float(i) for i, c in enumerate(wijken["code"])}
    pts = [{"lat": 50.82, "lon": 3.26 + i / 1000, "radius": 4, "name": f"P{i}",
            "lines": [("aantal", 2)]} for i in range(1200)]
    m = maps.choropleth(
        wijken, values, title="Laadpunten per 100 inwoners", unit="per 100 inwoners",
        fmt=str, scheme="quantiles", static_url="/s", attribution="bron",
        quality="official", illustrative=True, points=pts,
        lines=[("Leiding", {"type": "LineString", "coordinates": [[3.2, 50.8], [3.3, 50.9]]})])
    layers = [c for c in m._children.values() if c._name == "GeoJson"]
    assert [len(layer.data["features"]) for layer in layers] == [14, 1, 1200]
    page = m.get_root().render()
    assert "Illustratieve cijfers" in page and "geen gegevens" in page
    tips = [f["properties"]["tooltip"] for f in layers[0].data["features"]]
    assert all("(illustratief)" in t for t in tips)


def test_choropleth_escapes_names_and_marks_missing_values(wijken):
    evil = wijken.copy()
    evil.loc[2, "name"] = "<img src=x onerror=alert(1)>"
    m = maps.choropleth(evil, {}, title="<b>t</b>", unit="u", fmt=str, scheme="quantiles",
                        static_url="/s", attribution="a", quality="approximate",
                        illustrative=False)
    layer = next(c for c in m._children.values() if c._name == "GeoJson")
    tip = layer.data["features"][2]["properties"]["tooltip"]
    assert tip.startswith("<strong>&lt;img src=x onerror=alert(1)&gt;</strong>")
    assert "&lt;b&gt;t&lt;/b&gt;: geen gegevens" in tip
    assert all(f["properties"]["fill"] == maps.NO_DATA for f in layer.data["features"])
    assert "<img src=x" not in m.get_root().render()


def _choropleth_classes(m) -> tuple[dict[str, str], list[list[str]]]:
    """(fill colour per area code, legend rows) of a choropleth."""
    layer = next(c for c in m._children.values() if c._name == "GeoJson")
    legend = next(c for c in m._children.values() if c._name == "Legend")
    return ({f["properties"]["code"]: f["properties"]["fill"]
             for f in layer.data["features"]}, legend.rows)


def test_choropleth_uses_given_bins_instead_of_classifying(wijken):
    codes = list(wijken["code"])
    values = {c: float(i + 1) for i, c in enumerate(codes)}  # 1..14 (zero: see below)
    kwargs = dict(title="T", unit="u", fmt=lambda v: f"{v:g}", scheme="quantiles",
                  static_url="/s", attribution="a", quality="official", illustrative=False)
    # default: the classes of classify(values, scheme), as before
    default_bins = maps.classify(list(values.values()), "quantiles")
    fills, rows = _choropleth_classes(maps.choropleth(wijken, values, **kwargs))
    assert rows == [list(r) for r in maps.legend_rows(default_bins, kwargs["fmt"])]
    assert fills == {c: maps.class_colour(v, default_bins) for c, v in values.items()}
    assert fills == _choropleth_classes(maps.choropleth(wijken, values, bins=None,
                                                        **kwargs))[0]
    # given bins (two classes, unlike the five classify makes): legend and fills follow them
    bins = [2.0, 100.0]
    assert bins != default_bins
    fills, rows = _choropleth_classes(maps.choropleth(wijken, values, bins=bins, **kwargs))
    low, high = maps.PALETTE[-2:]
    assert rows == [[low, "≤ 2"], [high, "2 – 100"], [maps.NO_DATA, "geen gegevens"]]

    assert fills == {c: low if v <= 2 else high for c, v in values.items()}
    # an area without a value is still "no data" with given bins
    del values[codes[0]]
    fills, _ = _choropleth_classes(maps.choropleth(wijken, values, bins=bins, **kwargs))
    assert fills[codes[0]] == maps.NO_DATA


@pytest.mark.parametrize("tiles", ["grb", "orthofoto", "osm"])
def test_base_layers_carry_attribution(wijken, tiles):
    page = _html(maps.area_map(wijken, static_url="/s", attribution="b", quality="official",
                               tiles=tiles))
    label, url, attr = maps.BASEMAPS[tiles]
    host = url.split("/")[2]
    assert host in page
    assert attr.split("© ")[1] in page  # the attribution (the © may be JSON-escaped)


def test_zero_is_drawn_as_absence_with_its_own_legend_row(wijken):
    """'No heat network here' (0) is not the lowest class: white, its own legend row,
    the classes formed over the other values (issue 15, point 5)."""
    codes = list(wijken["code"])
    values = {c: (0.0 if i < 9 else float(i)) for i, c in enumerate(codes)}
    fills, rows = _choropleth_classes(maps.choropleth(
        wijken, values, title="T", unit="%", fmt=lambda v: f"{v:g}", scheme="quantiles",
        static_url="/s", attribution="a", quality="official", illustrative=False))
    assert {fills[c] for c in codes[:9]} == {maps.ZERO}
    assert maps.ZERO not in {fills[c] for c in codes[9:]}
    assert [maps.ZERO, "0 (geen)"] in rows
    assert maps.classify(list(values.values()), "quantiles")[0] > 0

def test_choropleth_looks_geometry_up_in_its_module(wijken, monkeypatch):
    """bench/run.py and bench/scale_bench.py build their naive maps by patching
    ``dashboard.maps.choropleths._geometry`` (``dashboard.maps`` only re-exports it)."""
    from dashboard.maps import choropleths

    assert maps._geometry is choropleths._geometry
    seen = []

    def full(geom):
        seen.append(geom)
        return choropleths.mapping(geom)

    monkeypatch.setattr(choropleths, "_geometry", full)
    maps.choropleth(wijken, {}, title="T", unit="u", fmt=str, scheme="quantiles",
                    static_url="/s", attribution="a", quality="official", illustrative=False,
                    outlines=wijken.iloc[:2])
    assert len(seen) == len(wijken) + 2  # the areas and the outlines


def test_choropleth_precision_full_keeps_the_coordinates(wijken):
    """``precision="full"`` (the benchmarks' naive build) writes the coordinates as given,
    areas and outlines; the default rounds them to 1e-5°, as the app draws them."""
    import folium
    import shapely
    from shapely.geometry import mapping

    kwargs = dict(title="T", unit="u", fmt=str, scheme="quantiles", static_url="/s",
                  attribution="a", quality="official", illustrative=False,
                  outlines=wijken.iloc[:2])

    def geometries(m) -> list[dict]:
        layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
        return [f["geometry"] for layer in layers[:2] for f in layer.data["features"]]

    shapes = list(wijken.geometry) + list(wijken.geometry.iloc[:2])
    full = geometries(maps.choropleth(wijken, {}, precision="full", **kwargs))
    assert full == [mapping(g) for g in shapes]
    rounded = geometries(maps.choropleth(wijken, {}, **kwargs))
    assert rounded == geometries(maps.choropleth(wijken, {}, precision="rounded", **kwargs))
    assert rounded == [mapping(shapely.set_precision(g, 1e-5, mode="pointwise"))
                       for g in shapes]
    assert rounded != full
    with pytest.raises(ValueError, match="precision"):
        maps.choropleth(wijken, {}, precision="exact", **kwargs)


# ----------------------------------------------------------- geometry served once per level
def _served_map(wijken, served):
    return maps.choropleth(
        wijken, dict.fromkeys(wijken["code"], 1.0) | {wijken["code"].iloc[0]: 5.0},
        title="T", unit="u", fmt=str, scheme="quantiles", static_url="/app/static",
        attribution="bron", quality="official", illustrative=False, served=served)


def test_served_geometry_keeps_the_polygons_out_of_the_map(wijken, tmp_path):
    """Issue 15, point 1: the app's maps carry codes, colours and tooltips; the polygons
    are one static script per level, named after its content (so it can be cached for
    good), loaded with the map and written once."""
    import json

    served = maps.serve(wijken, "wijk", tmp_path, "/app/static", maps._geometry)
    assert served.url == f"/app/static/geo/{served.key}.js" and served.path.exists()
    script = served.path.read_text(encoding="ascii")
    body = script.split(" = ", 2)[-1].rstrip().rstrip(";")
    shapes = json.loads(body)
    assert set(shapes) == set(wijken["code"])
    assert shapes[wijken["code"].iloc[0]] == json.loads(json.dumps(
        maps._geometry(wijken.geometry.iloc[0])))

    m = _served_map(wijken, served)
    page = _html(m)
    layer = next(c for c in m._children.values() if c._name == "GeoJson")
    assert [f["geometry"] for f in layer.data["features"]] == [{"type": "Polygon",
                                                                "coordinates": []}] * 14
    assert {f["properties"]["code"] for f in layer.data["features"]} == set(wijken["code"])
    # no coordinate of any polygon in the map: the first vertex of each is in the file only
    for geometry in shapes.values():
        ring = geometry["coordinates"][0]
        vertex = ring[0] if isinstance(ring[0][0], float) else ring[0][0]
        compact, spaced = json.dumps(vertex, separators=(",", ":")), json.dumps(vertex)
        assert compact in script and compact not in page and spaced not in page
    assert ("geometry_" + served.key, served.url) in m.default_js
    assert served.url in page  # the page loads it (the PNG and PDF exports too)
    embedded = _html(_served_map(wijken, None))
    assert len(page) < len(embedded) - 15_000, (len(page), len(embedded))

    # written once: a second call finds the file; other polygons get another name
    before = served.path.stat().st_mtime_ns
    assert maps.serve(wijken, "wijk", tmp_path, "/app/static", maps._geometry) == served
    assert served.path.stat().st_mtime_ns == before
    moved = wijken.copy()
    moved["geometry"] = moved.geometry.translate(0.001, 0)
    other = maps.serve(moved, "wijk", tmp_path, "/app/static", maps._geometry)
    assert other.key != served.key and other.path.exists()


def test_served_geometry_refuses_an_unsafe_level_name(wijken, tmp_path):
    with pytest.raises(ValueError):
        maps.serve(wijken, "../wijk", tmp_path, "/app/static", maps._geometry)
