"""Showing cached folium maps through streamlit-folium without re-rendering them.

``st_folium`` turns a folium map into HTML/JS on every call (deep copy + render + string
extraction: ~60 ms for the largest spearhead-5 map on this machine, three maps per
rerun). The maps themselves are cached, so the strings can be too: ``show_map`` renders a
map once per cache key and afterwards only sends the stored strings to the same frontend
component streamlit-folium ships.

This relies on streamlit-folium's component arguments (pinned version 0.27.4, see
requirements.txt); ``tests/test_browser.py`` checks in a real browser that the maps draw
and that clicks come back. If an upgrade changes the protocol, use ``st_folium`` directly.

Text from data stays literal on this path too: the map's root is a
:class:`maps.LiteralFigure` (``_get_header`` and ``_get_html`` render its parts without a
second template pass) and ``_get_map_string`` renders each element's script once, from
JSON in which data never holds a template delimiter (:func:`maps.script_json`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import folium
import streamlit as st
import streamlit_folium as sf

from . import maps


@st.cache_resource(max_entries=96, show_spinner=False)
def _component_args(cache_key: tuple, _m: folium.Map) -> dict:
    """Render a copy of the map once; keep what the frontend needs (strings and bounds)."""
    if not isinstance(_m.get_root(), maps.LiteralFigure):
        raise TypeError("map not made by maps.base_map: its root would render data as a "
                        "template")
    m = copy.deepcopy(_m)
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


def show_map(m: folium.Map, cache_key: tuple, *, key: str, height: int,
             returned_objects: Iterable[str] = ()) -> dict:
    """Like ``st_folium(m, key=..., height=..., returned_objects=...)`` for a cached map
    (full container width); ``cache_key`` must identify ``m``'s content."""
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
