"""Flanders scale (issue 6, point 7): the 2,730-wijk map of Flanders and Brussels.

The map is built by the benchmark's own builder (``dashboard.scale.flanders_map``: the app's
``maps.choropleth`` with ``geometry_encoding="polyline"``, an illustrative indicator) from
``../shared/geo/vlaanderen_wijken_2024.geojson`` once per module. Plain tests check its
payload (≤ 2 MB) and that the compact geometry decodes to exactly the coordinates the
builder writes otherwise; the browser test opens the map in Debian's chromium with every
request that is not for the local test server blocked, and counts the polygons Leaflet drew.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import shapely
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard.scale import FLANDERS_WIJK_COUNT, flanders_map, flanders_wijken
from dashboard import maps

from .browserkit import static_files
from .conftest import SHARED_GEO
from .test_browser import CHROMIUM, LOCAL_HOSTS, POLYGONS, browser, session  # noqa: F401

PAYLOAD_LIMIT = 2_000_000  # "≤ 2 MB", read strictly
STATIC_URL = "/static"


@pytest.fixture(scope="module")
def wijken():
    gdf = flanders_wijken(SHARED_GEO)
    assert len(gdf) == FLANDERS_WIJK_COUNT
    return gdf


@pytest.fixture(scope="module")
def flanders_html(wijken) -> str:
    return flanders_map(wijken, static_url=STATIC_URL).get_root().render()


# ------------------------------------------------------------------ a reference decoder
def _decode(text: str, precision: int = maps.POLYLINE_PRECISION) -> list[list[float]]:
    """Independent decoder of one encoded ring (the format of maps.polyline_geometries)."""
    index = {c: i for i, c in enumerate(maps.POLYLINE_ALPHABET)}
    out, i, x, y = [], 0, 0, 0
    while i < len(text):
        pair = []
        for _ in range(2):
            result = shift = 0
            while True:
                b = index[text[i]]
                i += 1
                result |= (b & 31) << shift
                shift += 5
                if b < 32:
                    break
            pair.append(~(result >> 1) if result & 1 else result >> 1)
        x, y = x + pair[0], y + pair[1]
        out.append([x / 10**precision, y / 10**precision])
    return out


def _decoded(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [_decode(r) for r in geometry["coordinates"]]
    return [[_decode(r) for r in part] for part in geometry["coordinates"]]


def _plain(geom) -> list:
    """The coordinates the builder writes without encoding (maps._geometry), as lists."""
    g = maps._geometry(geom)
    if g["type"] == "Polygon":
        return [[list(c) for c in ring] for ring in g["coordinates"]]
    return [[[list(c) for c in ring] for ring in part] for part in g["coordinates"]]


# ------------------------------------------------------------------ plain tests
def test_flanders_map_payload_is_within_2_mb(flanders_html):
    size = len(flanders_html.encode())
    assert size <= PAYLOAD_LIMIT, f"Flanders wijk map payload {size:,} bytes > 2 MB"
    assert flanders_html.count('"type": "Feature"') == FLANDERS_WIJK_COUNT
    # Offline: Leaflet from the local static URL only, no tile layer.
    assert f'src="{STATIC_URL}/{maps.LEAFLET_DIR}/leaflet.js"' in flanders_html
    assert "L.tileLayer" not in flanders_html
    assert "Illustratieve cijfers" in flanders_html


def test_polyline_encoding_gives_exactly_the_builders_coordinates(wijken):
    encoded = maps.polyline_geometries(wijken.geometry)
    assert len(encoded) == len(wijken)
    kinds = {g["type"] for g in encoded}
    assert kinds == {"Polygon", "MultiPolygon"}  # both shapes occur in the layer
    for code, geom, enc in zip(wijken["code"], wijken.geometry, encoded):
        assert enc["type"] == geom.geom_type
        assert _decoded(enc) == _plain(geom), f"wijk {code} decodes differently"


def test_polyline_encoding_edge_cases():
    # A hole, a second part, negative coordinates, large and tiny steps.
    outer = [(-179.99999, -80.0), (179.99999, -80.0), (179.99999, 85.0), (-179.99999, 85.0)]
    hole = [(-1.00001, -1.0), (1.0, -1.0), (1.0, 1.00001), (-1.0, 1.0)]
    poly = shapely.Polygon(outer, [hole])
    multi = shapely.MultiPolygon([poly, shapely.box(3.123456, 50.654321, 3.1235, 50.6544)])
    line = shapely.LineString([(3.0, 50.0), (3.1, 50.1)])
    enc = maps.polyline_geometries([poly, multi, line])
    assert _decoded(enc[0]) == _plain(poly)
    assert _decoded(enc[1]) == _plain(multi)
    assert enc[2] == maps._geometry(line)  # not a polygon: plain GeoJSON, left as it is
    with pytest.raises(ValueError):
        maps.polyline_geometries([poly], precision=7)


# ------------------------------------------------------------------ browser
@pytest.fixture(scope="module")
def map_server(flanders_html, tmp_path_factory):
    """The map page and Leaflet (installed from xstatic-leaflet into a temp folder) served
    by a local http.server on a free port."""
    root = tmp_path_factory.mktemp("flanders_map")
    maps.install_leaflet(root / STATIC_URL.strip("/"))
    (root / "index.html").write_text(flanders_html, encoding="utf-8")
    with static_files(root) as base:
        yield base


# The first feature's decoded outer ring, found through Leaflet's own layer objects.
_FIRST_RING = """(code) => {
    for (const k of Object.keys(window)) {
        const v = window[k];
        if (v && v instanceof L.GeoJSON) {
            let found = null;
            v.eachLayer(l => { if (l.feature && l.feature.properties.code === code) found = l; });
            if (found) {
                const g = found.feature.geometry;
                return [g.type, g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0]];
            }
        }
    }
    return null;
}"""


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed "
                    "(apt-get install chromium); browser tests need Debian's chromium")
def test_flanders_wijk_map_draws_every_polygon_offline(browser, map_server, wijken):  # noqa: F811
    with session(browser) as s:
        blocked: list[str] = []
        host = urlparse(map_server).netloc

        def local_only(route) -> None:
            url = urlparse(route.request.url)
            if url.hostname in LOCAL_HOSTS and url.netloc == host:
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        s.page.context.route("**/*", local_only)
        s.page.goto(map_server + "/index.html", wait_until="load")
        paths = s.page.locator(POLYGONS)
        try:
            s.page.wait_for_function(
                f"document.querySelectorAll('{POLYGONS}').length >= {FLANDERS_WIJK_COUNT}",
                timeout=30_000)
        except PlaywrightTimeout:
            pytest.fail(f"{paths.count()} of {FLANDERS_WIJK_COUNT} polygons drawn after 30 s; "
                        f"JS errors: {s.errors}; blocked requests: {blocked}")
        assert paths.count() == FLANDERS_WIJK_COUNT
        drawn = s.page.evaluate(
            f"[...document.querySelectorAll('{POLYGONS}')]"
            ".filter(p => (p.getAttribute('d') || '').length > 10).length")
        assert drawn == FLANDERS_WIJK_COUNT, f"only {drawn} polygons have an outline"

        # The browser's decoder gives the builder's coordinates (first ring of two wijken).
        for i in (0, int(wijken.geom_type.eq("MultiPolygon").to_numpy().argmax())):
            code, geom = wijken["code"].iloc[i], wijken.geometry.iloc[i]
            kind, ring = s.page.evaluate(_FIRST_RING, code)
            plain = _plain(geom)
            assert kind == geom.geom_type
            assert ring == (plain[0] if kind == "Polygon" else plain[0][0]), code

        legend = s.page.locator(".dashboard-legend")
        assert "Illustratieve cijfers" in legend.inner_text()
        assert not blocked, f"requests to other hosts: {blocked}"
        local = [u for _kind, u in s.requests if urlparse(u).netloc == host]
        assert any(u.endswith(f"{STATIC_URL}/{maps.LEAFLET_DIR}/leaflet.js") for u in local)
        assert not s.errors, s.errors
