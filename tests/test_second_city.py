"""A second city by configuration only: Roeselare (NIS 36015), its wijken and boundary from
the Flanders-wide layers in ../shared/geo, a small illustrative catalog. Every page the
navigation lists runs without an exception, and no Kortrijk name reaches the screen."""

from __future__ import annotations

import re

import pytest

from dashboard import navigation
from dashboard.build import build
from dashboard.settings import PROJECT_ROOT, load_settings
from dashboard.store import Store

from .conftest import make_env, run_app

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
        assert set(store.peer_measurements()["area_code"]) == {
            "36006", "36007", "36008", "36010", "36011", "36012", "36019"}


def test_every_page_runs_without_kortrijk_on_screen(roeselare_env, monkeypatch, clean_env):
    for key, value in roeselare_env.items():
        monkeypatch.setenv(key, value)
    specs = navigation.page_specs(load_settings())
    files = [f for entries in specs.values() for f, _title, _url in entries]
    assert "benchmark.py" in files and "partnerships.py" not in files
    assert [f for f in files if f.startswith("speerpunt_")] == [
        "speerpunt_1.py", "speerpunt_2.py", "speerpunt_3.py"]
    seen = []
    for file in files:
        at = run_app(f"pages/{file}")
        text = _screen_text(at._tree)
        assert len(at.main.children) > 0, file  # the page rendered something
        if file == "home.py":
            assert "Roeselare" in text
        hits = sorted({m.group(0) for m in FORBIDDEN.finditer(text)})
        assert not hits, (file, hits)
        seen.append(file)
    assert len(seen) == len(files) >= 12


def test_the_screen_check_sees_the_city_name(built_official, monkeypatch, clean_env):
    """The same check on the Kortrijk board finds the name (so the check can fail)."""
    for key, value in make_env(built_official.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    text = _screen_text(run_app("pages/home.py")._tree)
    assert {m.group(0).lower() for m in FORBIDDEN.finditer(text)} >= {"kortrijk"}
