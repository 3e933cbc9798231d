"""Small additions to the browser-test helpers of ``tests/test_browser.py`` (imported, never
copied): a server with extra environment variables, and "the page has finished rendering"
for any page of the app (run finished, title drawn, every map drawn)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from . import test_browser as tb

STATUS_RUNNING = '[data-testid="stStatusWidget"]'
STALE = '[data-stale="true"]'
MAP_IFRAMES = 'iframe[title*="streamlit_folium"]'


def serve_with(root: Path, geodata: Path | None, extra_env: dict[str, str]):
    """Like ``test_browser._serve`` (same start, health check and stop), with ``extra_env``
    added to the server's otherwise clean environment (e.g. an editor password hash)."""
    base_env = tb._server_env

    def env_with_extra(r: Path, g: Path | None) -> dict[str, str]:
        env = base_env(r, g)
        env.update(extra_env)
        return env

    with pytest.MonkeyPatch.context() as mp:  # only while the server process is started
        mp.setattr(tb, "_server_env", env_with_extra)
        server = tb._serve(root, geodata)
        base = next(server)
    try:
        yield base
    finally:
        server.close()  # runs _serve's finally: stops the process group


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


@contextlib.contextmanager
def static_files(root: Path):
    """The files under ``root`` served by a local http.server on a free port (its base URL),
    for pages built outside the app (a map's HTML next to the Leaflet it links to)."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# (run over and ``ready`` shown, map iframes, map iframes with drawn paths, elements)
_STATE = """([running, stale, ready, iframes, paths]) => {
    const n = s => document.querySelectorAll(s).length;
    const maps = [...document.querySelectorAll(iframes)];
    const drawn = maps.filter(f => {
        try { return !!f.contentDocument.querySelector(paths); } catch (e) { return false; }
    }).length;
    return [n(running) === 0 && n(stale) === 0 && n(ready) > 0, maps.length, drawn,
            n('[data-testid]')];
}"""


class Render:
    """Watches one page until it has finished rendering; see :func:`rendered`.

    ``done()`` does one check and never waits, so several pages can be watched at once
    (Playwright processes every page's events while any of them waits).
    """

    def __init__(self, page: Page, ready: str = "h1", timeout: float = tb.PAGE_TIMEOUT,
                 quiet: float = 1.5) -> None:
        self.page, self.ready, self.quiet = page, ready, quiet
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.stable_since: float | None = None
        self.last: tuple | None = None
        self.maps = 0

    def _state(self) -> tuple | None:
        try:  # one round trip: the map iframes are same-origin, their documents readable
            return tuple(self.page.evaluate(_STATE, [STATUS_RUNNING, STALE, self.ready,
                                                     MAP_IFRAMES, tb.POLYGONS]))
        except Exception:  # navigation or a rerun replaced the document
            return None

    def done(self) -> bool:
        """True once finished (and unchanged for ``quiet`` s); fails after the timeout."""
        state = self._state()
        now = time.monotonic()
        ok = state is not None and state[0] and state[2] >= state[1]
        if ok and state == self.last and self.stable_since is not None:
            if now - self.stable_since >= self.quiet:
                self.maps = state[1]
                return True
        elif ok:
            self.stable_since = now
        else:
            self.stable_since = None
        self.last = state
        if now > self.deadline:
            text = self.page.locator("body").inner_text()[-2000:]
            pytest.fail(f"{self.page.url} did not finish rendering within {self.timeout:g} s "
                        f"(last state idle/maps/drawn/elements: {self.last}, waiting for "
                        f"{self.ready!r}); end of page text:\n{text}")
        return False


def rendered(page: Page, ready: str = "h1", timeout: float = tb.PAGE_TIMEOUT,
             quiet: float = 1.5) -> int:
    """Wait until the page has finished rendering; return the number of maps on it.

    Finished = Streamlit is not running the script (no status widget, no stale elements),
    ``ready`` (a CSS selector, the page title by default) is shown, and every
    streamlit-folium iframe on the page has drawn its paths; all of that unchanged for
    ``quiet`` seconds (elements keep arriving for a while after the run, and a rerun may
    start just after the first run ends). Fails with the end of the page text.
    """
    watch = Render(page, ready, timeout, quiet)
    while not watch.done():
        page.wait_for_timeout(250)
    return watch.maps


_CONTENT_HEIGHT = """() => Math.max(document.documentElement.scrollHeight,
    ...['[data-testid="stMain"]', '[data-testid="stSidebarContent"]'].map(s => {
        const e = document.querySelector(s); return e ? e.scrollHeight : 0; }))"""


def show_everything(page: Page, max_height: int = 20_000) -> int:
    """Make the viewport as tall as the page's content; return the height.

    axe checks colour contrast only for text inside the viewport (Streamlit scrolls its main
    area, so text below the fold would be skipped without a word, not even as
    "incomplete"): with a viewport as tall as the content every element is checked.
    """
    width = page.viewport_size["width"] if page.viewport_size else 1400
    height = 0
    for _ in range(3):  # the layout may grow once more after a resize
        wanted = min(max_height, int(page.evaluate(_CONTENT_HEIGHT)) + 40)
        if wanted <= height:
            break
        height = wanted
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)
    return height


# Run in a map's frame: the boxes of the map, its scale bar, attribution line and legend,
# and the box around every drawn shape (the city).
MAP_LAYOUT = """(_) => {
    const r = s => { const e = document.querySelector(s);
                     return e ? e.getBoundingClientRect().toJSON() : null; };
    const paths = [...document.querySelectorAll('path.leaflet-interactive')]
        .map(p => p.getBoundingClientRect());
    const box = paths.reduce((a, b) => ({left: Math.min(a.left, b.left),
        top: Math.min(a.top, b.top), right: Math.max(a.right, b.right),
        bottom: Math.max(a.bottom, b.bottom)}),
        {left: 1e9, top: 1e9, right: -1e9, bottom: -1e9});
    return {map: r('.leaflet-container'), scale: r('.leaflet-control-scale'),
            credit: r('.leaflet-control-attribution'), legend: r('.dashboard-legend'),
            city: box};
}"""


def overlap(a: dict, b: dict) -> bool:
    return not (a["right"] <= b["left"] or b["right"] <= a["left"]
                or a["bottom"] <= b["top"] or b["bottom"] <= a["top"])


def city_share(box: dict) -> float:
    """How much of the map (a :data:`MAP_LAYOUT` result) the city spans: its larger share
    of the height or the width (fitted with a small margin: close to 1)."""
    m, city = box["map"], box["city"]
    return max((city["bottom"] - city["top"]) / m["height"],
               (city["right"] - city["left"]) / m["width"])
