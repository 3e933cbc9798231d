"""A map that loads while it cannot be seen (CI run of 2026-12-07).

On ``/speerpunt-5`` a visitor who opens the "Acties" tab while the map is still loading
hides the map's frame: Leaflet then has a map of 0 × 0 px, and a ``fitBounds`` on it asks
for the view at zoom NaN ("Invalid LatLng object: (NaN, NaN)", an uncaught error, and a map
without a view). The fit must wait until the map has a size, and then fit the city as
usual. Built with the app's own builder on the real wijken of ../shared/geo, opened in
Debian's chromium from a local file server.
"""

from __future__ import annotations

import pytest

from dashboard import maps

from .browserkit import MAP_LAYOUT, city_share, static_files
from .test_browser import CHROMIUM, POLYGONS, browser, session  # noqa: F401
from .test_maps import wijken  # noqa: F401  (the real wijken, imported once per module)

STATIC_URL = "/static"

# The map's frame in a hidden part of the page, the way an unopened tab holds it.
PAGE = """<!doctype html><html lang="nl"><head><meta charset="utf-8"></head><body>
<div id="part" style="display:none">
<iframe id="map" title="kaart" src="map.html" style="width:800px;height:500px;border:0">
</iframe></div></body></html>"""


@pytest.fixture(scope="module")
def hidden_map_site(wijken, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("hidden_map")
    m = maps.area_map(wijken, static_url=STATIC_URL, attribution="bron", quality="official")
    maps.install_leaflet(root / STATIC_URL.strip("/"))
    (root / "map.html").write_text(m.get_root().render(), encoding="utf-8")
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    with static_files(root) as base:
        yield base


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed "
                    "(apt-get install chromium); browser tests need Debian's chromium")
def test_a_map_loaded_while_hidden_fits_the_city_once_it_is_shown(browser, hidden_map_site):  # noqa: F811
    with session(browser) as s:
        s.page.goto(hidden_map_site + "/index.html", wait_until="load")
        frame = s.page.frame_locator("#map")
        frame.locator(".leaflet-container").wait_for(state="attached")
        s.page.wait_for_timeout(500)  # the map's script has run, at 0 × 0 px
        assert not s.errors, s.errors

        s.page.evaluate("document.getElementById('part').style.display = 'block'")
        frame.locator(POLYGONS).first.wait_for()
        s.page.wait_for_timeout(500)
        box = frame.locator("body").evaluate(MAP_LAYOUT)
        assert frame.locator(POLYGONS).count() == 14
        m, city = box["map"], box["city"]
        # Fitted: the whole city inside the map, spanning nearly its height or width
        # (not left at the provisional view, which cuts the city off here).
        assert m["left"] <= city["left"] and city["right"] <= m["right"], box
        assert m["top"] <= city["top"] and city["bottom"] <= m["bottom"], box
        assert city_share(box) >= 0.85, box
        assert not s.errors, s.errors
