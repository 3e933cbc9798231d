"""Meetings in a real browser: presentation mode stepped with the keyboard, and a pinned
link that shows the same figures after a new load was committed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard import clock, state
from dashboard.build import build
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from .conftest import SHARED_GEO, settings_for
from .test_browser import (CHROMIUM, POLYGONS, _serve, _server_env, browser,  # noqa: F401
                           page_text, session, wait_for)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed"),
]
SCREEN = "scherm {k} van {n}"


@contextmanager
def server(root: Path):
    """A server on ``root``; can be started again on the same data."""
    logs = root / "logs"
    if logs.exists():
        shutil.move(logs, root / f"logs-{len(list(root.glob('logs-*')))}")
    gen = _serve(root, SHARED_GEO)
    try:
        yield next(gen)
    finally:
        gen.close()


def _h1(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def _wait_h1(page, expected: str) -> None:
    wait_for(page, lambda: _h1(page) == expected, 30, f"the screen of {expected!r}")


def _idle(page) -> None:
    """Wait until the script run has finished (Streamlit marks its root element)."""
    wait_for(page, lambda: page.locator('[data-test-script-state="notRunning"]').count() > 0,
             30, "the end of the script run")


def _visible_maps(page) -> int:
    return sum(1 for f in page.frames if "streamlit_folium" in f.url
               and f.locator(POLYGONS).count() > 0)


def test_presentation_steps_through_spearhead5_with_the_keyboard(tmp_path, browser):  # noqa: F811
    settings = settings_for(tmp_path)
    build(settings)
    with Store(settings.db_path, read_only=True) as store:
        inds = store.indicators(5)
        actions = int((store.actions()["spearhead_id"] == 5).sum())
    from dashboard.ui import meetings

    names, levels = list(inds["name"]), [list(lv) for lv in inds["levels"]]
    n = len(names)
    screens = n + meetings.action_steps(actions)  # the action screens come after
    with server(tmp_path) as base, session(browser) as warm:
        warm.page.goto(base + "/")
        page_text(warm.page, "Zes speerpunten")
        with session(browser) as s:
            page = s.page
            page.goto(base + "/presentatie?presentatie=1&sp=5&stap=1")
            _wait_h1(page, names[0])
            # No Streamlit chrome, no sidebar in presentation mode.
            assert not page.locator('[data-testid="stSidebar"]').is_visible()
            for k in range(1, n + 1):
                _wait_h1(page, names[k - 1])
                page_text(page, SCREEN.format(k=k, n=screens), "Status:", "Bron:")
                wait_for(page, lambda: page.locator(".js-plotly-plot").count() >= 1, 20,
                         f"the chart of screen {k}")
                if "wijk" in levels[k - 1]:
                    wait_for(page, lambda: _visible_maps(page) >= 1, 30,
                             f"the map of screen {k} ({names[k - 1]})")
                if k < n:
                    _idle(page)
                    page.keyboard.press("ArrowRight")
            assert f"stap={n}" in page.url
            _idle(page)
            page.keyboard.press("ArrowLeft")
            _wait_h1(page, names[n - 2])
            _idle(page)
            page.keyboard.press("Home")
            _wait_h1(page, names[0])
            assert not s.errors, s.errors


def _shown_value(page) -> str:
    text = page_text(page, "Laatste cijfer:")
    line = [ln for ln in text.splitlines() if "Laatste cijfer:" in ln][0]
    return line.split("Laatste cijfer:", 1)[1].strip()


def test_pinned_link_shows_the_same_figures_after_a_new_load(tmp_path, browser):  # noqa: F811
    settings = settings_for(tmp_path)
    build(settings)
    pinned = state.format_as_of(clock.now_local())
    link = f"/presentatie?presentatie=1&ind=laadpunten&stand={pinned}"
    live = "/presentatie?presentatie=1&ind=laadpunten"
    with server(tmp_path) as base, session(browser) as s:
        s.page.goto(base + "/")
        page_text(s.page, "Zes speerpunten")
        s.page.goto(base + link)
        page_text(s.page, "stand op")
        before = _shown_value(s.page)
    assert "660" in before
    # A new load, committed by the coordinator (command line, server stopped: DuckDB
    # allows one writing process).
    data = tmp_path / "nieuw.csv"
    data.write_text("indicator;gebied;jaar;waarde\nlaadpunten;34022;2024;987\n",
                    encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "dashboard", "import", str(data),
                             "--confirm-warnings", "--who", "test"],
                            env=_server_env(tmp_path, SHARED_GEO), cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    with server(tmp_path) as base, session(browser) as s:
        s.page.goto(base + "/")
        page_text(s.page, "Zes speerpunten")
        s.page.goto(base + link)
        assert _shown_value(s.page) == before
        s.page.goto(base + live)
        wait_for(s.page, lambda: "987" in _shown_value(s.page), 30, "the new value, unpinned")
