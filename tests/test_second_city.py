"""A second city by configuration only: Roeselare (NIS 36015), its wijken and boundary from
the Flanders-wide layers in ../shared/geo, a small illustrative catalog. Every page the
navigation lists runs without an exception, and no Kortrijk name reaches the screen, in
Dutch and in English and French (with the city's own catalog translations: no Dutch left,
Roeselare is "Roulers" in French, never "Courtrai")."""

from __future__ import annotations

import re

import pytest

from dashboard import catalog, i18n
from dashboard.ui import navigation
from dashboard.build import build
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.store import Store

from .conftest import make_env, page_target, run_app
from .test_i18n import dutch_detector, visible_strings

ROESELARE = PROJECT_ROOT / "data" / "cities" / "roeselare" / "city.yaml"
FORBIDDEN = re.compile(r"kortrijk|courtrai|34022", re.IGNORECASE)


@pytest.fixture(scope="module")
def roeselare_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("roeselare")
    env = {**make_env(root), "DASHBOARD_CITY_CONFIG": str(ROESELARE)}
    build(load_settings(env))
    return env


def _screen_text(node) -> str:
    """Every element's protobuf as text (markdown, titles, tables, widget labels and
    options, custom component arguments such as the folium map HTML), recursively."""
    parts = []
    proto = getattr(node, "proto", None)
    if proto is not None:
        parts.append(str(proto))
    for child in getattr(node, "children", {}).values():
        parts.append(_screen_text(child))
    return "\n".join(parts)


def test_build_uses_the_configured_city_only(roeselare_env):
    settings = load_settings(roeselare_env)
    with Store(settings.db_path, read_only=True) as store:
        areas = store.areas()
        assert store.meta("nis_code") == "36015"
        codes = set(areas.loc[areas["level"] == "wijk", "code"])
        assert len(codes) == 13 and all(c.startswith("36015") for c in codes)
        assert set(areas.loc[areas["level"] == "gemeente", "code"]) == {"36015"}
        assert not FORBIDDEN.search(areas.to_csv())
        # No district generator configured: only catalog figures and benchmark peers.
        city = store.city_measurements()
        assert city["illustrative"].all() and len(city) == 10
        # The example's goals are invented too: flagged like its measurements, and said so.
        goals = store.goals()
        assert len(goals) and goals["illustrative"].all()
        from dashboard import overview

        statuses = overview.indicator_statuses(store.indicators(), goals, city)
        with_goal = statuses[statuses["goal_type"] != "none"]
        assert len(with_goal) and with_goal["goals"].str.endswith(
            "(illustratieve doelen)").all()
        assert set(store.peer_measurements()["area_code"]) == {
            "36006", "36007", "36008", "36010", "36011", "36012", "36019"}


def test_every_page_runs_without_kortrijk_on_screen(roeselare_env, monkeypatch, clean_env):
    for key, value in roeselare_env.items():
        monkeypatch.setenv(key, value)
    specs = navigation.page_specs(load_settings())
    files = [f for entries in specs.values() for f, _title, _url in entries]
    urls = {f: u for entries in specs.values() for f, _title, u in entries}
    assert "benchmark.py" in files and "partnerships.py" not in files
    assert [f for f in files if f.startswith("speerpunt_")] == [
        "speerpunt_1", "speerpunt_2", "speerpunt_3"]
    seen = []
    for file in files:
        at = run_app(page_target(file, urls[file]))
        text = _screen_text(at._tree)
        assert len(at.main.children) > 0, file  # the page rendered something
        if file == "home.py":
            assert "Roeselare" in text
        hits = sorted({m.group(0) for m in FORBIDDEN.finditer(text)})
        assert not hits, (file, hits)
        seen.append(file)
    assert len(seen) == len(files) >= 12


def test_catalog_translations_are_complete():
    settings = load_settings({"DASHBOARD_CITY_CONFIG": str(ROESELARE)})
    problems, missing = catalog.translation_problems(settings.catalog_dir, settings.city)
    assert not problems and not missing, (problems, missing)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_page_in_english_and_french(roeselare_env, monkeypatch, clean_env, lang):
    for key, value in roeselare_env.items():
        monkeypatch.setenv(key, value)
    specs = navigation.page_specs(load_settings())
    files = [f for entries in specs.values() for f, _title, _url in entries]
    urls = {f: u for entries in specs.values() for f, _title, u in entries}
    offending = dutch_detector(lang)
    name = {"en": "Roeselare", "fr": "Roulers"}[lang]
    bad, seen = {}, 0
    with i18n.language(lang):   # format_func runs outside the session in AppTest
        for file in files:
            at = run_app(page_target(file, urls[file]), {"taal": lang})
            assert at.session_state[i18n.SESSION_KEY] == lang
            text = _screen_text(at._tree)
            if file == "home.py":
                assert name in text, file
            hits = sorted({m.group(0) for m in FORBIDDEN.finditer(text)})
            assert not hits, (file, hits)
            if found := offending(visible_strings(at)):
                bad[file] = found
            seen += 1
    assert seen == len(files) >= 12
    assert not bad, bad


def test_the_screen_check_sees_the_city_name(built_copy, monkeypatch, clean_env):
    """The same check on the Kortrijk board finds the name (so the check can fail).

    On a private copy: AppTest runs in this process and its cached Store keeps the file
    open read-write, which would stop later tests of this worker from opening the shared
    build read-only."""
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    text = _screen_text(run_app("app_pages/home.py")._tree)
    assert {m.group(0).lower() for m in FORBIDDEN.finditer(text)} >= {"kortrijk"}
