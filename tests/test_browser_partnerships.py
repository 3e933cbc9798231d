"""The partnerships page in a real browser: the world map draws both cities offline
(helpers imported from test_browser.py and browserkit.py, never copied)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from dashboard import partnermap

from . import test_browser as tb
from .browserkit import rendered
from .conftest import SHARED_GEO
from .test_browser import CHROMIUM, browser  # noqa: F401  (module-scoped fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed "
                       "(apt-get install chromium); browser tests need Debian's chromium"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from tb._serve(tmp_path_factory.mktemp("browser_partnerships"), SHARED_GEO)


def test_world_map_draws_both_cities_offline(browser, server):  # noqa: F811
    with tb.session(browser) as warm:  # the first deep link after a start is "not found"
        warm.page.goto(server + "/")
        rendered(warm.page)
    with tb.session(browser) as s:
        s.page.goto(server + "/stedenbanden")
        tb.page_text(s.page, "Chefchaouen", "Op de wereldkaart")
        frame = tb.map_frame(s)
        # Two city markers and the line between them (outlines are not interactive).
        assert tb.settled_count(s.page, frame, tb.POLYGONS, 3) == 3
        kinds = frame.evaluate("""() => {
            const out = [];
            for (const k of Object.keys(window)) {
                const v = window[k];
                if (v && v instanceof L.GeoJSON) v.eachLayer(l => {
                    const p = l.feature && l.feature.properties;
                    if (p && p.kind && l.getElement()) out.push(p.kind);
                });
            }
            return out.sort();
        }""")
        assert kinds == ["home", "partner"], kinds

        # Permanent labels: the names are readable without hovering and without tiles.
        labels = frame.locator(".leaflet-tooltip")
        tb.wait_for(s.page, lambda: labels.count() == 2 and labels.nth(1).is_visible(), 15,
                    "two visible city labels")
        texts = sorted(labels.nth(i).inner_text().strip() for i in range(2))
        assert texts[0].splitlines()[0] == "Chefchaouen", texts
        assert "Marokko" in texts[0] and texts[1] == "Kortrijk", texts
        assert not any("<" in t for t in texts), texts  # text, not markup
        if partnermap.natural_earth_file() is not None:  # country outlines underneath
            assert frame.locator("path:not(.leaflet-interactive)").count() > 10

        foreign = [f"{kind}: {url}" for kind, url in s.requests
                   if urlparse(url).hostname not in tb.LOCAL_HOSTS
                   and urlparse(url).scheme in {"http", "https"}]
        assert not foreign, "requests to other hosts (CDN, tiles):\n" + "\n".join(foreign)
        assert any(urlparse(u).path.endswith("/app/static/leaflet-1.9.3/leaflet.js")
                   for _, u in s.requests)
        assert not s.errors, s.errors
