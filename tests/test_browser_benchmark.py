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
