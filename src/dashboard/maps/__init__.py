"""Folium map builders that need no CDN (the package ``dashboard.maps``).

Leaflet's JS and CSS are served by the app itself (:func:`install_leaflet`); base tiles
are optional; every text put into a tooltip or a popup is HTML-escaped and text from data
is rendered literally, never as a template. No ``st.`` calls: builders return folium
objects. The modules:

- :mod:`.literal` — literal rendering (:func:`script_json`, the Jinja ``tojson`` policy,
  :class:`LiteralFigure`, :func:`page_html`): text from data is never a template;
- :mod:`.base` — Leaflet install, :class:`MapText`, base maps, :func:`base_map` (with
  :class:`FitBounds`), tooltips, :func:`area_map`, :func:`quality_note`;
- :mod:`.choropleths` — classification, :class:`Legend`, :func:`choropleth`,
  :func:`highlight`, :func:`layer_preview`;
- :mod:`.polyline` — the compact geometry encoding (benchmarks and scale tests only).

Every name callers use is re-exported here (``maps.choropleth``, ``maps._geometry``, …).
These are re-exports: to replace a module's function, patch the module that uses it
(e.g. ``dashboard.maps.choropleths._geometry``), not this package. The module is
``choropleths`` (plural) so that ``maps.choropleth`` stays the function.
"""

from __future__ import annotations

# literal first: importing it sets the literal-JSON policy on folium's templates.
from .literal import (
    _JSON_STRING,
    SCRIPTS,
    LiteralFigure,
    _inert,
    _literal_json_policy,
    _LiteralSlot,
    page_html,
    script_json,
)
from .base import (
    _BRACE_REFS,
    _COLOUR,
    _VL_WMTS,
    BASEMAPS,
    LEAFLET_DIR,
    NARROW_CSS,
    NARROW_MAP,
    QUALITY_NOTES,
    FitBounds,
    MapText,
    _tooltip_text,
    area_map,
    base_map,
    basemap_label,
    install_leaflet,
    quality_note,
    tooltip_html,
)
from .choropleths import (
    NO_DATA,
    ZERO,
    PALETTE,
    SCHEMES,
    Legend,
    _geometry,
    _outline,
    choropleth,
    class_colour,
    classify,
    highlight,
    layer_preview,
    legend_rows,
)
from .polyline import (
    _POLYLINE_DECODER,
    GEOMETRY_ENCODINGS,
    POLYLINE_ALPHABET,
    POLYLINE_PRECISION,
    _EncodedGeoJson,
    polyline_geometries,
)
from .served import ServedGeometry, serve

__all__ = [
    "BASEMAPS", "GEOMETRY_ENCODINGS", "LEAFLET_DIR", "NARROW_CSS", "NARROW_MAP", "NO_DATA",
    "PALETTE", "POLYLINE_ALPHABET", "POLYLINE_PRECISION", "QUALITY_NOTES", "SCHEMES",
    "SCRIPTS", "FitBounds", "Legend", "LiteralFigure", "MapText", "_BRACE_REFS", "_COLOUR",
    "_EncodedGeoJson", "_JSON_STRING", "_LiteralSlot", "_POLYLINE_DECODER", "_VL_WMTS",
    "_geometry", "_inert", "_literal_json_policy", "_outline", "_tooltip_text", "area_map",
    "ZERO", "base_map", "basemap_label", "choropleth", "class_colour", "classify", "highlight",
    "install_leaflet", "layer_preview", "legend_rows", "page_html", "polyline_geometries",
    "quality_note", "script_json", "tooltip_html", "ServedGeometry", "serve",
]
