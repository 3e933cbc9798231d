"""The benchmark page in a real browser, offline: the map of the 13 centrumsteden draws its
municipal polygons with Leaflet served by the app itself (every non-local request is
blocked)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .test_browser import (CHROMIUM, LOCAL_HOSTS, POLYGONS, browser,  # noqa: F401
                           map_frame, official_server, page_text, session, settled_count)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed"),
]


def test_benchmark_map_draws_the_13_municipalities_offline(browser, official_server):  # noqa: F811
    with session(browser) as s:
        blocked: list[str] = []

        def local_only(route) -> None:
            if urlparse(route.request.url).hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        s.page.context.route("**/*", local_only)
        # A fresh server knows its navigation pages after a first run: open home first.
        s.page.goto(official_server + "/")
        page_text(s.page, "Zes speerpunten")
        s.page.goto(official_server + "/vergelijking?ind=personenwagens_per_1000")
        page_text(s.page, "Centrumsteden", "Personenwagens per 1.000 inwoners", "illustratief")
        frame = map_frame(s)
        count = settled_count(s.page, frame, POLYGONS, 13)
        assert count == 13, f"expected the 13 municipal polygons, found {count}"
        legend = frame.locator(".dashboard-legend")
        assert "slechter dan het gemiddelde" in legend.inner_text()
        leaflet = [u for kind, u in s.requests if kind == "script"
                   and urlparse(u).path.endswith("/app/static/leaflet-1.9.3/leaflet.js")]
        assert leaflet, "leaflet.js was not loaded from the app's static folder"
        assert not [u for kind, u in s.requests if kind in {"script", "stylesheet"}
                    and urlparse(u).hostname not in LOCAL_HOSTS], blocked
        assert not s.errors, s.errors


def test_benchmark_map_on_a_phone(browser, official_server):  # noqa: F811
    """At phone width (390 px) the legend starts folded to its title and the 13
    municipalities get the map's width (on a wide map the legend keeps 270 px free on the
    left; on a phone that left the polygons a sliver at the right edge). A tap on the
    legend's title opens it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(official_server + "/")
        page_text(page, "Zes speerpunten")
        page.goto(official_server + "/vergelijking?ind=personenwagens_per_1000")
        page_text(page, "Centrumsteden", "Personenwagens per 1.000 inwoners")
        frame = None
        for _ in range(240):
            frame = next((f for f in page.frames if "streamlit_folium" in f.url
                          and f.locator(POLYGONS).count() == 13), None)
            if frame:
                break
            page.wait_for_timeout(250)
        assert frame is not None, "no map frame with the 13 municipal polygons"
        page.wait_for_timeout(500)   # fitBounds ran with the map's first size
        box = frame.evaluate("""() => {
            const c = document.querySelector('.leaflet-container').getBoundingClientRect();
            const r = [...document.querySelectorAll('path.leaflet-interactive')]
                .map(p => p.getBoundingClientRect());
            return {width: c.width, left: c.left, right: c.right, top: c.top,
                    bottom: c.bottom,
                    minx: Math.min(...r.map(b => b.left)), maxx: Math.max(...r.map(b => b.right)),
                    miny: Math.min(...r.map(b => b.top)), maxy: Math.max(...r.map(b => b.bottom)),
                    open: document.querySelector('.dashboard-legend').open};
        }""")
        assert box["width"] < 400, box
        assert box["open"] is False, "the legend should start folded on a phone"
        assert box["left"] <= box["minx"] and box["maxx"] <= box["right"], box
        assert box["top"] <= box["miny"] and box["maxy"] <= box["bottom"], box
        spread = (box["maxx"] - box["minx"]) / box["width"]
        assert spread >= 0.6, f"the 13 cities use only {spread:.0%} of the map's width"
        legend = frame.locator(".dashboard-legend")
        frame.locator(".dashboard-legend summary").click()
        assert legend.evaluate("d => d.open") is True
        assert "slechter dan het gemiddelde" in legend.inner_text()
    finally:
        context.close()
