"""Shared fixtures: real DuckDB files built from the real catalog and ../shared/geo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.auth import hash_password
from dashboard.build import build
from dashboard.settings import PROJECT_ROOT, SETTINGS, Settings, load_settings

SHARED = (PROJECT_ROOT.parent / "shared").resolve()
SHARED_GEO = SHARED / "geo"
SEEDS = SHARED / "seeds"


def make_env(root: Path, geodata: Path | None = SHARED_GEO) -> dict[str, str]:
    """Environment variables pointing every writable path into ``root``."""
    env = {
        "DASHBOARD_DB_PATH": str(root / "data" / "dashboard.duckdb"),
        "DASHBOARD_GEO_DIR": str(root / "geo"),
        "DASHBOARD_STATIC_DIR": str(PROJECT_ROOT / "static"),
    }
    if geodata is not None:
        env["DASHBOARD_GEODATA_DIR"] = str(geodata)
    return env


def settings_for(root: Path, geodata: Path | None = SHARED_GEO) -> Settings:
    return load_settings(make_env(root, geodata))


@pytest.fixture
def clean_env(monkeypatch):
    """Remove every DASHBOARD_* variable so tests start from defaults they set."""
    for s in SETTINGS:
        monkeypatch.delenv(s.env, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def built_official(tmp_path_factory) -> Settings:
    """A database built once from the catalog and the official geodata in ../shared/geo."""
    root = tmp_path_factory.mktemp("official")
    settings = settings_for(root)
    build(settings)
    return settings


@pytest.fixture
def built_copy(built_official, tmp_path) -> Settings:
    """A private copy of the official build (for tests that write or open read-write)."""
    shutil.copytree(built_official.db_path.parent, tmp_path / "data")
    shutil.copytree(built_official.geo_dir, tmp_path / "geo")
    return settings_for(tmp_path)


def page_target(key: str, url: str) -> str:
    """What :func:`run_app` opens for a page of ``navigation.page_specs``: its file under
    app_pages/, or its URL path (spearhead pages are functions, not files)."""
    return f"app_pages/{key}" if key.endswith(".py") else url


def goto(at, page: str) -> None:
    """Point AppTest at a page: a file (``AppTest.switch_page``) or the st.navigation page
    served at a URL path (switch_page takes files only; a spearhead page is a function:
    AppTest's registered pages and page hash are private, tests only: a Streamlit upgrade
    that renames them fails here, never the app)."""
    if page.endswith(".py"):
        at.switch_page(page)
        return
    url = page
    found = [h for h, info in at._registered_pages.items()
             if info.get("url_pathname") == url]
    if not at._registered_pages:  # the router stopped before st.navigation (a notice):
        from streamlit.util import calc_hash  # the hash st.Page gives its url_path

        at._page_hash = calc_hash(url)
        return
    known = sorted(str(i.get("url_pathname", "")) for i in at._registered_pages.values())
    assert len(found) == 1, f"no page at /{url}: {known}"
    at._page_hash = found[0]


def run_app(page: str | None = None, params: dict[str, str] | None = None):
    """Run the real app in AppTest on ``page`` (a file such as ``app_pages/home.py``, or
    a URL path such as ``speerpunt-5``), with query params; fails on any exception the
    page raised."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if page:
        # AppTest needs one run of the router before it can switch to an st.navigation
        # page; without it the page script runs alone, without app.py and frame.setup.
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        goto(at, page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if "presentatie" not in (params or {}):
        # The router ran (frame.py's language switch is in the sidebar), not the page alone.
        assert [s for s in at.sidebar.radio if s.key == "_lang_widget"], \
            f"{page}: AppTest ran the page without app.py"
    assert not at.exception, [e.value for e in at.exception]
    return at


# The editor's password in tests (a cheap hash: 1,000 iterations).
PASSWORD = "kortrijk-2040-test"
HASH = hash_password(PASSWORD, salt="fixed-test-salt", iterations=1_000)


@pytest.fixture
def editor_env(built_copy, clean_env, monkeypatch):
    """The editor on a private copy of the build, signed in with PASSWORD."""
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DASHBOARD_EDITOR_PASSWORD_HASH", HASH)
    return built_copy


def component_args(at) -> list[str]:
    """The arguments of every custom component an AppTest run rendered (the folium map
    HTML streamlit-folium sends to the browser)."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") == "component_instance" or (
                proto is not None and "component_instance" in str(type(proto)).lower()):
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    return out
