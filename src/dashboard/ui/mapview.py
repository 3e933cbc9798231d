"""Showing cached folium maps through streamlit-folium without re-rendering them.

``st_folium`` turns a folium map into HTML/JS on every call (deep copy + render + string
extraction: ~60 ms for the largest spearhead-5 map on this machine, three maps per
rerun). The maps themselves are cached, so the strings can be too: ``show_map`` renders a
map once per cache key and afterwards only sends the stored strings to the same frontend
component streamlit-folium ships.

This fast path uses streamlit-folium's *private* helpers (``_get_html``, ``_get_header``,
``_get_map_string``, ``_component_func``) and the component's argument list. They are
checked once, when this module is imported (:func:`fast_path_problem`): the installed
version must lie in :data:`KNOWN_VERSIONS` (the pinned 0.27.4 is in it, see
requirements.txt), each helper must exist with the parameters used here, and the keyword
arguments ``st_folium`` itself sends to the component must be exactly the ones
:func:`show_cached` sends. If any of that does not hold, a warning is logged and every map
goes through the public ``st_folium`` instead (:func:`show_with_st_folium`: the same
picture and clicks, ~60 ms more per map and rerun). ``tests/test_mapview_guard.py`` checks
both paths, ``tests/test_browser.py`` that the fast path draws and returns clicks in a real
browser. See docs/architecture.md, "Private APIs".

Text from data stays literal on both paths: the map's root is a
:class:`maps.LiteralFigure` (``_get_header`` and ``_get_html`` render its parts without a
second template pass) and ``_get_map_string`` renders each element's script once, from
JSON in which data never holds a template delimiter (:func:`maps.script_json`).
"""

from __future__ import annotations

import ast
import copy
import importlib.metadata
import inspect
import logging
import textwrap
from collections.abc import Callable, Iterable
from types import ModuleType

import folium
import streamlit as st
import streamlit_folium as sf
from packaging.version import InvalidVersion, Version

from .. import maps

log = logging.getLogger(__name__)

# streamlit-folium versions whose private helpers and component protocol the fast path
# was checked against (lowest included, highest excluded). Widen only after running
# tests/test_browser.py with the new version.
KNOWN_VERSIONS = (Version("0.27.0"), Version("0.28.0"))
# The private helpers used, with the leading parameters they are called with.
HELPERS: dict[str, tuple[str, ...]] = {
    "_get_html": ("fig",), "_get_header": ("fig",), "_get_map_string": ("fig",),
    "get_full_id": ("m",), "generate_js_hash": ("js_string", "key", "return_on_hover"),
}
# The keyword arguments show_cached sends to the component (st_folium must send the same).
COMPONENT_ARGS = frozenset({
    "script", "header", "html", "id", "key", "height", "width", "returned_objects",
    "default", "zoom", "center", "feature_group", "return_on_hover", "layer_control",
    "pixelated", "css_links", "js_links", "on_change", "wrap_longitude"})


def installed_version() -> str:
    """The installed streamlit-folium's version ('' when its metadata is missing)."""
    try:
        return importlib.metadata.version("streamlit-folium")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _st_folium_component_args(module: ModuleType) -> frozenset[str] | None:
    """The keyword arguments ``module.st_folium`` passes to ``_component_func`` (read from
    its source), None when that cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(module.st_folium)))
    except (AttributeError, OSError, TypeError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "_component_func"):
            return frozenset(k.arg for k in node.keywords if k.arg)
    return None


def fast_path_problem(version: str, module: ModuleType = sf) -> str | None:
    """Why the cached fast path must not be used with streamlit-folium ``version`` (as
    installed in ``module``), or None when it can be."""
    try:
        v = Version(version)
    except InvalidVersion:
        return f"streamlit-folium version {version!r} unreadable"
    lo, hi = KNOWN_VERSIONS
    if not lo <= v < hi:
        return f"streamlit-folium {version} outside the checked range [{lo}, {hi})"
    for name, params in HELPERS.items():
        func = getattr(module, name, None)
        if not callable(func):
            return f"streamlit_folium.{name} missing"
        try:
            have = tuple(inspect.signature(func).parameters)[:len(params)]
        except (TypeError, ValueError):
            return f"streamlit_folium.{name} has no readable signature"
        if have != params:
            return f"streamlit_folium.{name}{have} does not take {params}"
    if not callable(getattr(module, "_component_func", None)):
        return "streamlit_folium._component_func missing"
    sent = _st_folium_component_args(module)
    if sent is None:
        return "cannot read which arguments st_folium sends to its component"
    if sent != COMPONENT_ARGS:
        return ("st_folium sends other component arguments: "
                f"+{sorted(sent - COMPONENT_ARGS)} -{sorted(COMPONENT_ARGS - sent)}")
    return None


def _check_literal_root(m: folium.Map) -> None:
    if not isinstance(m.get_root(), maps.LiteralFigure):
        raise TypeError("map not made by maps.base_map: its root would render data as a "
                        "template")


def component_args(m: folium.Map) -> dict:
    """What the fast path sends to the frontend for ``m`` (Leaflet script, HTML, header,
    map id, CSS and JS links, bounds), rendered from a copy, uncached; ``m`` must be made
    by :func:`maps.base_map`. Public for the payload benchmark (``bench/run.py``); needs
    :data:`PROBLEM` to be None (it uses streamlit-folium's private helpers)."""
    _check_literal_root(m)
    m = copy.deepcopy(m)
    m.render()
    html = sf._get_html(m)
    header = sf._get_header(m)
    leaflet = sf._get_map_string(m)
    css = list(dict.fromkeys(u for _, u in getattr(m, "default_css", [])))
    js = list(dict.fromkeys(u for _, u in getattr(m, "default_js", [])))
    (south, west), (north, east) = m.get_bounds()
    return {"script": leaflet, "html": html, "header": header, "id": sf.get_full_id(m),
            "css_links": css, "js_links": js,
            "bounds": {"_southWest": {"lat": south, "lng": west},
                       "_northEast": {"lat": north, "lng": east}}}


@st.cache_resource(max_entries=96, show_spinner=False)
def _component_args(cache_key: tuple, _m: folium.Map) -> dict:
    """:func:`component_args`, once per ``cache_key``."""
    return component_args(_m)


def show_cached(m: folium.Map, cache_key: tuple, *, key: str, height: int,
                returned_objects: Iterable[str] = ()) -> dict:
    """The fast path: the map's strings rendered once per ``cache_key``, sent to
    streamlit-folium's component directly."""
    args = _component_args(cache_key, m)
    returned = list(returned_objects)
    defaults = {k: v for k, v in {"last_active_drawing": None, "last_clicked": None,
                                  "last_object_clicked": None,
                                  "bounds": args["bounds"]}.items() if k in returned}
    return sf._component_func(
        script=args["script"], header=args["header"], html=args["html"], id=args["id"],
        key=sf.generate_js_hash(args["script"], key, False), height=height, width=None,
        returned_objects=returned, default=defaults, zoom=None, center=None,
        feature_group=None, return_on_hover=False, layer_control=None, pixelated=False,
        css_links=args["css_links"], js_links=args["js_links"], on_change=None,
        wrap_longitude=False,
    )


def show_with_st_folium(m: folium.Map, cache_key: tuple, *, key: str, height: int,
                        returned_objects: Iterable[str] = ()) -> dict:
    """The fallback: the public ``st_folium`` on a copy (it mutates the map it renders),
    full container width; ``cache_key`` is not needed."""
    _check_literal_root(m)
    return sf.st_folium(copy.deepcopy(m), key=key, height=height,
                        use_container_width=True, returned_objects=list(returned_objects))


Renderer = Callable[..., dict]


def renderer(problem: str | None) -> Renderer:
    """The way maps are shown given :func:`fast_path_problem`'s answer."""
    return show_cached if problem is None else show_with_st_folium


# Checked once per process, at import (the app imports this module before its first map).
PROBLEM = fast_path_problem(installed_version())
if PROBLEM is not None:
    log.warning("streamlit-folium fast path off, maps use st_folium (slower): %s", PROBLEM)
_show = renderer(PROBLEM)


def show_map(m: folium.Map, cache_key: tuple, *, key: str, height: int,
             returned_objects: Iterable[str] = ()) -> dict:
    """Like ``st_folium(m, key=..., height=..., returned_objects=...)`` for a cached map
    (full container width); ``cache_key`` must identify ``m``'s content. Never mutates
    ``m``."""
    return _show(m, cache_key, key=key, height=height, returned_objects=returned_objects)
