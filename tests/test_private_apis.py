"""Private APIs guarded (issue 13 point 6): the checks made once at start accept the pinned
versions, and a version or signature outside what was checked selects the public fallback,
which still shows the map (AppTest). See docs/architecture.md, "Private APIs"."""

from __future__ import annotations

import inspect
import json
import re
import types

import pytest
import streamlit_folium as sf
from streamlit.testing.v1 import AppTest

from dashboard.ui import language, mapview
from dashboard.settings import PROJECT_ROOT


def pinned(package: str) -> str:
    text = (PROJECT_ROOT / "requirements.txt").read_text("utf-8")
    return re.search(rf"^{re.escape(package)}==(\S+)$", text, re.M).group(1)


# ------------------------------------------------------------------ streamlit-folium
def test_pinned_streamlit_folium_passes_the_check_and_uses_the_fast_path():
    assert mapview.installed_version() == pinned("streamlit-folium")
    assert mapview.fast_path_problem(pinned("streamlit-folium")) is None
    assert mapview.PROBLEM is None
    assert mapview.renderer(mapview.PROBLEM) is mapview.show_cached
    assert mapview._show is mapview.show_cached  # what show_map calls in this process


@pytest.mark.parametrize("version", ["0.26.9", "0.28.0", "1.0.0", "not-a-version", ""])
def test_a_version_outside_the_checked_range_selects_st_folium(version):
    problem = mapview.fast_path_problem(version)
    assert problem and (version or "''") in problem
    assert mapview.renderer(problem) is mapview.show_with_st_folium


def _module_like_sf(**changes) -> types.ModuleType:
    """A module with streamlit-folium's names, some of them changed or removed (None)."""
    module = types.ModuleType("streamlit_folium_changed")
    module.__dict__.update({k: v for k, v in vars(sf).items() if not k.startswith("__")})
    for name, value in changes.items():
        if value is None:
            del module.__dict__[name]
        else:
            setattr(module, name, value)
    return module


def test_a_missing_or_changed_private_name_selects_st_folium():
    version = pinned("streamlit-folium")
    assert mapview.fast_path_problem(version, _module_like_sf()) is None
    assert "_get_header missing" in mapview.fast_path_problem(
        version, _module_like_sf(_get_header=None))
    assert "_get_html" in mapview.fast_path_problem(
        version, _module_like_sf(_get_html=lambda figure, strip: ""))
    assert "_component_func missing" in mapview.fast_path_problem(
        version, _module_like_sf(_component_func=None))

    def st_folium(fig, key=None):  # sends one more argument to the component
        return _component_func(script="", header="", html="", id="", key=key,  # noqa: F821
                               height=1, width=1, returned_objects=[], default={},
                               zoom=None, center=None, feature_group=None,
                               return_on_hover=False, layer_control=None, pixelated=False,
                               css_links=[], js_links=[], on_change=None,
                               wrap_longitude=False, new_argument=1)

    problem = mapview.fast_path_problem(version, _module_like_sf(st_folium=st_folium))
    assert "other component arguments" in problem and "new_argument" in problem


def _both_paths_script():
    import geopandas as gpd
    from shapely.geometry import box

    from dashboard import maps
    from dashboard.ui import mapview

    areas = gpd.GeoDataFrame({"code": ["a", "b"], "name": ["Alfa-wijk", "Beta-wijk"]},
                             geometry=[box(3.20, 50.80, 3.25, 50.85),
                                       box(3.25, 50.80, 3.30, 50.85)], crs=4326)
    m = maps.choropleth(areas, {"a": 1.0, "b": 2.0}, title="Titel", unit="%", fmt=str,
                        scheme="quantiles", static_url="/app/static", attribution="bron",
                        quality="official", illustrative=False, tiles="none")
    fast = mapview.renderer(mapview.fast_path_problem(mapview.installed_version()))
    fallback = mapview.renderer(mapview.fast_path_problem("0.99.0"))
    for name, show in (("fast", fast), ("fallback", fallback)):
        show(m, ("test_private_apis",), key=name, height=300,
             returned_objects=["last_object_clicked"])


def test_the_st_folium_fallback_renders_the_same_map():
    """Both paths in one AppTest run: two streamlit-folium components, the fallback's
    carrying the map (its areas, legend, scripts) with exactly the fast path's arguments."""
    at = AppTest.from_function(_both_paths_script, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = at.get("component_instance")
    assert [e.proto.component_name for e in shown] == ["streamlit_folium.st_folium"] * 2
    fast, fallback = (json.loads(e.proto.json_args) for e in shown)
    assert "Alfa-wijk" in fallback["script"] and "Beta-wijk" in fallback["script"]
    assert "L.map(" in fallback["script"] and fallback["header"]
    assert fallback["js_links"] == [f"/app/static/{mapview.maps.LEAFLET_DIR}/leaflet.js"]
    assert {k: v for k, v in fast.items() if k != "key"} == \
        {k: v for k, v in fallback.items() if k != "key"}
    assert fast["key"] == sf.generate_js_hash(fast["script"], "fast", False)
    assert fallback["key"] == sf.generate_js_hash(fallback["script"], "fallback", False)


# ------------------------------------------------- Streamlit's script-run context (i18n)
def test_pinned_streamlit_passes_the_session_check_and_uses_the_context():
    import importlib.metadata

    assert importlib.metadata.version("streamlit") == pinned("streamlit")
    assert language.session_api_problem(pinned("streamlit")) is None
    assert language._session_reader().__name__ == "private"
    assert language.session_reader(None)() is None  # outside a script run: no session


@pytest.mark.parametrize("version", ["1.66.9", "1.68.0", "2.0", "x"])
def test_another_streamlit_selects_the_public_session_state(version):
    problem = language.session_api_problem(version)
    assert problem and version in problem
    assert language.session_reader(problem).__name__ == "public"


def _language_script():
    import streamlit as st

    from dashboard import i18n
    from dashboard.ui import language  # importing the UI registers the session reader

    st.session_state[i18n.SESSION_KEY] = "fr"
    for name, problem in (("private", None), ("public", language.session_api_problem("9.9"))):
        st.text(f"{name}={language.session_reader(problem)()}")
    st.text(f"current={i18n.current()}")


def test_both_session_readers_find_the_language_in_a_session():
    at = AppTest.from_function(_language_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.text] == ["private=fr", "public=fr", "current=fr"]


# ---------------------------------------------------------- openpyxl (loads/read.py)
def test_pinned_openpyxl_has_the_private_streaming_reader():
    """``loads.read._sheet_rows`` streams cells with openpyxl's private parser; a rename
    fails loudly there (ImportError, AttributeError), this test names it first."""
    import openpyxl
    from openpyxl.reader.excel import load_workbook  # noqa: F401
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.workbook import Workbook

    assert openpyxl.__version__ == pinned("openpyxl")
    assert callable(ReadOnlyWorksheet._get_source)
    assert {"src", "shared_strings", "data_only", "epoch", "date_formats",
            "timedelta_formats"} <= set(inspect.signature(WorkSheetParser).parameters)
    assert callable(WorkSheetParser.parse)
    wb = Workbook()
    assert hasattr(wb, "_date_formats") and hasattr(wb, "_timedelta_formats")
