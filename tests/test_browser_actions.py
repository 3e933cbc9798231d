"""The note's actions in a real browser (a real server, Debian's headless chromium): the
spearhead-5 maps draw the located actions as Leaflet markers, and the action page has no
serious or critical axe violation (its own map included)."""

from __future__ import annotations

import pytest

from .browserkit import rendered, show_everything
from .test_a11y import FAILING_IMPACTS, run_axe
from .test_browser import (CHROMIUM, PAGE_TIMEOUT, browser, map_frame,  # noqa: F401
                           official_server, page_text, session, wait_for)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed"),
]

HEAT = "a5.3.07"
SOUTH = "a5.7.06"

# In a map iframe: every Leaflet GeoJSON layer folium declared (top-level ``var``s), and
# of each feature with kind "action": its id, whether Leaflet drew its path into the
# document, and its tooltip's text.
ACTION_FEATURES = """() => {
    const out = [];
    for (const value of Object.values(window)) {
        if (!(window.L && value instanceof L.GeoJSON)) continue;
        value.eachLayer(layer => {
            const p = (layer.feature || {}).properties || {};
            if (p.kind !== 'action') return;
            const path = layer._path;
            out.push({id: p.action, drawn: !!(path && document.contains(path)),
                      tooltip: p.tooltip || ''});
        });
    }
    return out;
}"""


def _map_frames(page, n: int) -> list:
    def ready():
        frames = [f for f in page.frames if "streamlit_folium" in f.url
                  and f.locator("path.leaflet-interactive").count() > 0]
        return frames if len(frames) >= n else None
    return wait_for(page, ready, PAGE_TIMEOUT, f"{n} drawn map frames")


def _warm(s, base: str) -> None:
    """A fresh server knows its navigation pages after a first run: open home first."""
    s.page.goto(base + "/")
    map_frame(s)


def test_spearhead5_maps_draw_the_action_markers(browser, official_server):  # noqa: F811
    for key in ("warmtenet", "ontharding", "laadpunten"):  # each section's one map
        with session(browser) as s:
            _warm(s, official_server)
            s.page.goto(official_server + f"/speerpunt-5?niveau=wijk&kaart={key}")
            page_text(s.page, "Warmtenet", "Acties")
            frames = _map_frames(s.page, 1)

            def drawn(frames=frames):
                found = [f.evaluate(ACTION_FEATURES) for f in frames]
                ok = all({a["id"] for a in fs if a["drawn"]} == {HEAT, SOUTH} for fs in found)
                return found if ok else None
            found = wait_for(s.page, drawn, PAGE_TIMEOUT, f"the two action markers ({key})")
            for features in found:
                heat = next(a for a in features if a["id"] == HEAT)
                assert "industriële restwarmte" in heat["tooltip"]
                assert "nog niet beoordeeld" in heat["tooltip"]
            # the marker is a Leaflet path (a ring) in the map's overlay pane
            rings = frames[0].locator(".leaflet-overlay-pane path.leaflet-interactive")
            assert rings.count() > 2
            assert not s.errors, s.errors


def test_action_page_has_no_serious_axe_violations(browser, official_server):  # noqa: F811
    with session(browser) as s:
        _warm(s, official_server)
        s.page.goto(official_server + f"/actie?id={HEAT}")
        page_text(s.page, "industriële restwarmte", "Opvolging", "Gekoppelde indicatoren")
        assert rendered(s.page) == 1  # only the action's own map is mounted
        # reached by link only: the sidebar menu does not list it
        nav = s.page.locator('[data-testid="stSidebarNav"] a')
        assert nav.count() > 5
        assert not [h for h in nav.evaluate_all("as => as.map(a => a.href)")
                    if h.rstrip("/").endswith("/actie")]
        frame = _map_frames(s.page, 1)[0]
        assert [a["id"] for a in frame.evaluate(ACTION_FEATURES) if a["drawn"]] == [HEAT]
        show_everything(s.page)
        rendered(s.page, quiet=0.5)
        failing = [f"{v['id']} ({v['impact']}): {v['help']} {[n['target'] for n in v['nodes']]}"
                   for v in run_axe(s.page) if v.get("impact") in FAILING_IMPACTS]
        assert not failing, "\n".join(failing)
        assert s.page.evaluate("() => document.documentElement.lang") == "nl"
        assert not s.errors, s.errors


def test_title_link_opens_the_action_page(browser, official_server):  # noqa: F811
    """The list's title links are relative (``actie?id=…``): from /speerpunt-5 they reach
    the action page of the same server, in this tab or a new one."""
    with session(browser) as s:
        _warm(s, official_server)
        s.page.goto(official_server + "/speerpunt-5")
        page_text(s.page, "Kaarten per gebied", "Acties")
        s.page.get_by_role("tab", name="Acties").click()  # the actions part (a tab)
        page_text(s.page, "Toon de andere 45 acties")
        s.page.get_by_text("Toon de andere 45 acties").click()  # the list starts with ten
        page_text(s.page, "industriële restwarmte")
        link = s.page.locator(f'a[href*="actie?id={HEAT}"]').first
        href = link.get_attribute("href")
        assert href.startswith("actie?id=") or "/actie?id=" in href, href
        link.scroll_into_view_if_needed()
        pages_before = len(s.page.context.pages)
        link.click()
        s.page.wait_for_timeout(1000)
        target = (s.page.context.pages[-1] if len(s.page.context.pages) > pages_before
                  else s.page)
        page_text(target, "Opvolging", "38GWh")
        assert f"/actie?id={HEAT}" in target.url
        assert not s.errors, s.errors
