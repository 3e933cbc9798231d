"""Folium map builders that need no CDN.

Leaflet's JS and CSS come from the ``xstatic-leaflet`` package (Leaflet 1.9.3, folium's
version), copied into the folder Streamlit serves at ``/app/static``; every map made here
references only those files. Base tiles are optional: without them the districts are
drawn on a plain background and the map stays usable. Every text put into a tooltip or a
popup is HTML-escaped. No ``st.`` calls: builders return folium objects.

Text from data is rendered literally, never as a template (see "Literal rendering"
below): branca renders every element's script as a Jinja template and then wraps that
output in ``Element(text)``, which compiles it *again* as a template when the figure is
rendered, so a name such as ``{{ 7*7 }}`` was evaluated (code on the server) and ``{#``
broke the page. Two defences, each at the one place every value passes:

- every JSON written into a map script (folium's and our own ``tojson``) writes ``{`` and
  ``}`` inside strings as ``\\u007b`` / ``\\u007d``: the same string for JavaScript, no
  Jinja delimiter for the template compiler (:func:`script_json`), so wrapping the
  output in ``Element(text)`` (which compiles it) can neither fail nor evaluate;
- every map has a :class:`LiteralFigure` as its root (made by :func:`base_map`, the only
  place maps are created), whose header, html and script emit already-rendered text as
  it is: the second pass is gone, whatever the text holds. :func:`page_html` (PNG and
  PDF) and ``mapview`` refuse a map with another root.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
import warnings
from functools import partial
from pathlib import Path

import folium
import geopandas as gpd
import jinja2
import shapely
import xstatic.pkg.leaflet as xleaflet
from branca.element import Element, Figure, MacroElement
from shapely.geometry import mapping

from ..i18n import t

# ----------------------------------------------------------------- literal rendering
# A JSON string token in json.dumps output (which never has a quote outside a string).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _inert(match: re.Match) -> str:
    text = match.group()
    if "{" in text or "}" in text:
        text = text.replace("{", "\\u007b").replace("}", "\\u007d")
    return text


def script_json(obj, **kwargs) -> str:
    """``json.dumps(obj, **kwargs)`` with ``{`` and ``}`` inside strings (keys and values)
    written as ``\\u007b`` / ``\\u007d``.

    JavaScript (and any JSON parser) reads exactly the same strings, but the text holds no
    ``{{``, ``{%`` or ``{#`` that came from data, so compiling it as a Jinja template
    (branca does, see :class:`LiteralFigure`) can neither evaluate nor fail on it. This is
    the ``json.dumps_function`` of every template that writes map scripts: folium's
    environment (set below, at import) and :data:`SCRIPTS`, which ours use.
    """
    return _JSON_STRING.sub(_inert, json.dumps(obj, **kwargs))


def _literal_json_policy(environment: jinja2.Environment) -> jinja2.Environment:
    environment.policies["json.dumps_function"] = script_json
    return environment


# Our MacroElements' templates (MapText, Legend, FitBounds): their own environment, so
# the policy does not reach jinja2's default environment that other libraries share.
SCRIPTS = _literal_json_policy(jinja2.Environment(autoescape=False))
# folium's templates all share one environment (folium.template.Environment); every
# ``|tojson`` in them (GeoJSON data, feature ids in style maps, tooltip fields) uses it.
for _cls in (folium.Map, folium.GeoJson, folium.GeoJsonTooltip, folium.TileLayer,
             folium.CircleMarker):
    _literal_json_policy(_cls._template.environment)


class _LiteralSlot(Element):
    """The header, html or script part of a :class:`LiteralFigure`.

    Its children are the texts that elements produced when they were rendered
    (``MacroElement.render`` wraps each in a plain ``Element(text)``, folium does the same
    for includes, tooltip styles and popups) and links (``JavascriptLink``, ``CssLink``).
    A plain element's text is written as it is, not rendered as a template again; any
    other element renders itself, as in branca. The layout is branca's
    (``"\\n    "`` before each child).

    Limit: folium's ``GeoJsonStyleMapper`` writes a style value that is itself an element
    (a fill pattern) as ``{{'var'}}`` and relies on the second pass; the board uses none.
    """

    def render(self, **kwargs) -> str:
        parts = []
        for child in self._children.values():
            if type(child) is Element and child._template_str is not None:
                parts.append(child._template_str)
            else:
                parts.append(child.render(**kwargs))
        return "".join("\n    " + p for p in parts)


class LiteralFigure(Figure):
    """branca's Figure without the second template pass (see :class:`_LiteralSlot`).

    ``render()``, and ``header.render()`` / ``html.render()`` that streamlit-folium calls,
    give the same page as branca's Figure for the board's maps, except that text that
    came from data stays literal."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for part in ("header", "html", "script"):
            slot = _LiteralSlot()
            slot._children = getattr(self, part)._children  # branca's meta tag
            slot._parent = self
            setattr(self, part, slot)


def page_html(m: folium.Map) -> str:
    """The whole HTML page of a map (PNG export, PDF report): only for maps made by
    :func:`base_map`, whose root renders data literally."""
    root = m.get_root()
    if not isinstance(root, LiteralFigure):
        raise TypeError("map not made by maps.base_map: its root would render data as a "
                        "template")
    return root.render()


LEAFLET_DIR = f"leaflet-{xleaflet.VERSION}"
# Texts in module-level tables are Dutch message ids (``lang="nl"`` keeps them Dutch at
# import time); builders translate them when they run (:func:`quality_note`, …).
QUALITY_NOTES = {
    "official": None,
    "approximate": t("Sectorgrenzen zijn benaderd: de officiële sectorpolygonen ontbreken; "
                     "sectoren zijn binnen hun echte wijk geschat.", lang="nl"),
    "schematic": t("Schematische kaart: geen officiële geodata geladen. Laad ze met "
                   "'python -m dashboard geodata --from MAP'.", lang="nl"),
}


def quality_note(quality: str) -> str | None:
    """The geometry-quality notice in the current language (None for official data)."""
    note = QUALITY_NOTES.get(quality)
    return t(note) if note else None


def install_leaflet(static_dir: Path) -> Path:
    """Copy Leaflet's files into the static folder (idempotent); return their folder."""
    target = Path(static_dir) / LEAFLET_DIR
    marker = target / "leaflet.js"
    if not marker.exists():
        # Several processes may start at once (server workers, parallel tests): each copies
        # into its own folder and renames it into place; a loser of the race drops its copy.
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            shutil.copytree(xleaflet.BASE_DIR, tmp, dirs_exist_ok=True)
            if not marker.exists():
                shutil.rmtree(target, ignore_errors=True)
                try:
                    tmp.rename(target)
                except OSError:  # another process put its copy in place first
                    pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


class MapText(MacroElement):
    """Adds attribution text and an optional notice box to a map (text is escaped)."""

    _template = SCRIPTS.from_string(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            map.attributionControl.setPrefix(false);
            map.attributionControl.getContainer().style.fontSize = '11px';
            map.attributionControl.addAttribution({{ this.attribution|tojson }});
            {% if this.notice %}
            var box = L.control({position: 'topright'});
            box.onAdd = function() {
                var div = L.DomUtil.create('div', 'dashboard-map-notice');
                div.setAttribute('role', 'note');
                div.style.cssText = 'background:#fff8e1;border:1px solid #8a6d00;' +
                    'padding:4px 8px;max-width:260px;font:13px/1.35 sans-serif;color:#3d3000';
                div.textContent = {{ this.notice|tojson }};
                return div;
            };
            box.addTo(map);
            {% endif %}
        })();
        {% endmacro %}
        """
    )

    def __init__(self, attribution: str, notice: str | None) -> None:
        super().__init__()
        self._name = "MapText"
        self.attribution = attribution
        self.notice = notice


# Base maps: none by default (offline). The Flemish ones are Digitaal Vlaanderen's WMTS
# services in the web-mercator tile matrix set; they load only when the browser is online.
_VL_WMTS = ("https://geo.api.vlaanderen.be/{service}/wmts?SERVICE=WMTS&REQUEST=GetTile"
            "&VERSION=1.0.0&LAYER={layer}&STYLE=&FORMAT=image/png&TILEMATRIXSET=GoogleMapsVL"
            "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}")
BASEMAPS: dict[str, tuple[str, str | None, str]] = {
    "none": (t("Geen achtergrond (werkt offline)", lang="nl"), None, ""),
    "grb": (t("GRB-basiskaart (Digitaal Vlaanderen)", lang="nl"),
            _VL_WMTS.format(service="GRB", layer="grb_bsk"),
            t("GRB-basiskaart © Digitaal Vlaanderen", lang="nl")),
    "orthofoto": (t("Orthofoto (Digitaal Vlaanderen)", lang="nl"),
                  _VL_WMTS.format(service="OMWRGBMRVL", layer="omwrgbmrvl"),
                  t("Orthofotomozaïek © Digitaal Vlaanderen", lang="nl")),
    "osm": ("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            t("© OpenStreetMap-bijdragers", lang="nl")),
}


def basemap_label(key: str) -> str:
    """A base map's name in the current language (for the selector)."""
    return t(BASEMAPS.get(key, BASEMAPS["none"])[0])


# Below this map width (px) the legend starts folded (its title only; a tap opens it) and
# the attribution is set smaller, so a phone shows the map and not the legend.
NARROW_MAP = 520


# On a phone-sized map the attribution (a required credit, repeated under every map) is
# set small so it does not cover a third of the map.
# (!important: leaflet.css is linked after this header and has the same specificity.)
NARROW_CSS = (f"<style>@media (max-width: {NARROW_MAP - 1}px) {{"
              ".leaflet-container .leaflet-control-attribution "
              "{font-size: 9px !important; line-height: 1.25 !important;}"
              ".dashboard-legend {font-size: 12px !important;}}}</style>")


def base_map(static_url: str, bounds: list[list[float]] | None = None, tiles: str = "none",
             height: str | int = "100%", legend_room: int = 0) -> folium.Map:
    """An empty folium map whose scripts and styles are served by the app itself, fitted
    to ``bounds`` (see :class:`FitBounds` for ``legend_room``)."""
    m = folium.Map(tiles=None, control_scale=True, height=height, zoom_snap=0.25,
                   prefer_canvas=False)
    LiteralFigure().add_child(m)  # the root: rendered text is never a template again
    base = f"{static_url}/{LEAFLET_DIR}"
    m.default_js = [("leaflet", f"{base}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    label, url, attr = BASEMAPS.get(tiles, BASEMAPS["none"])
    if url:
        folium.TileLayer(url, attr=t(attr), name=t(label), max_zoom=19).add_to(m)
    m.get_root().header.add_child(folium.Element(NARROW_CSS))
    if bounds:
        FitBounds(bounds, legend_room).add_to(m)
    return m



_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


_BRACE_REFS = str.maketrans({"{": "&#123;", "}": "&#125;"})


def _tooltip_text(value) -> str:
    # HTML-escaped; braces as character references as well (they show as braces), so the
    # tooltip holds no template delimiter even before script_json writes it.
    return html.escape(str(value)).translate(_BRACE_REFS)


def tooltip_html(name: str, lines: list[tuple[str, str]] = ()) -> str:
    """Tooltip content (HTML, shown with innerHTML) with every piece of text escaped."""
    e = _tooltip_text
    parts = [f"<strong>{e(name)}</strong>"]
    parts += [f"{e(k)}: {e(v)}" for k, v in lines]
    return "<br>".join(parts)


def area_map(
    areas: gpd.GeoDataFrame,
    *,
    static_url: str,
    attribution: str,
    quality: str,
    tooltips: dict[str, list[tuple[str, str]]] | None = None,
    fill: dict[str, str] | None = None,
    tiles: str = "none",
) -> folium.Map:
    """A map of district polygons (WGS84 GeoDataFrame with code and name).

    ``tooltips``: extra (label, value) lines per area code; ``fill``: colour per code.
    """
    minx, miny, maxx, maxy = areas.total_bounds
    m = base_map(static_url, [[miny, minx], [maxy, maxx]], tiles=tiles)
    tooltips = tooltips or {}
    fill = fill or {}
    # folium writes style values into the script as they are (not as JSON strings).
    bad = [c for c in fill.values() if not _COLOUR.fullmatch(str(c))]
    if bad:
        raise ValueError(f"fill colours must be #rrggbb, not {bad[0]!r}")
    features = []
    for code, name, geom in zip(areas["code"], areas["name"], areas.geometry):
        features.append({
            "type": "Feature",
            "id": code,
            "properties": {
                "code": code,
                "name": name,
                "tooltip": tooltip_html(name, tooltips.get(code, [])),
                "fill": fill.get(code, "#9ecae1"),
            },
            "geometry": mapping(shapely.set_precision(geom, 1e-5, mode="pointwise")),
        })
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="gebieden",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"], "color": "#1f3b57", "weight": 1.2,
            "fillOpacity": 0.55,
        },
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.75},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=False),
    ).add_to(m)
    MapText(attribution, quality_note(quality)).add_to(m)
    return m


# ----------------------------------------------------------------------- choropleths
# ColorBrewer YlGnBu (sequential, colour-blind safe), light → dark.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#d9d9d9"
SCHEMES = ("quantiles", "natural_breaks")


def classify(values, scheme: str, k: int = 5) -> list[float]:
    """Upper class bounds (mapclassify); fewer classes when there are fewer distinct values."""
    import mapclassify
    import numpy as np

    v = np.asarray([x for x in values if x is not None], dtype=float)
    if v.size == 0:
        return []
    distinct = np.unique(v)
    k = int(min(k, len(distinct)))
    if k <= 1:
        return [float(distinct.max())]
    if scheme == "quantiles":
        bins = mapclassify.Quantiles(v, k=k).bins
    else:
        with warnings.catch_warnings():  # "Numba not installed": exact but slower, fine here
            warnings.simplefilter("ignore", UserWarning)
            bins = mapclassify.FisherJenks(v, k=k).bins
    return [float(b) for b in np.unique(bins)]


def class_colour(value: float | None, bins: list[float]) -> str:
    if value is None or not bins:
        return NO_DATA
    palette = PALETTE if len(bins) >= len(PALETTE) else PALETTE[-len(bins):]
    for i, upper in enumerate(bins):
        if value <= upper + 1e-12:
            return palette[i]
    return palette[len(bins) - 1]


class Legend(MacroElement):
    """A legend control; every label is set with textContent (no HTML from data).

    A ``<details>`` element: open on maps at least :data:`NARROW_MAP` px wide, folded to
    its title on narrower (phone) maps; keyboard and screen readers open it like any
    disclosure. Clicks on it do not reach the map.
    """

    _template = SCRIPTS.from_string(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var legend = L.control({position: 'bottomleft'});
            legend.onAdd = function() {
                var div = L.DomUtil.create('details', 'dashboard-legend');
                div.open = map.getSize().x >= {{ this.narrow }};
                div.setAttribute('aria-label', {{ this.title|tojson }});
                div.style.cssText = 'background:#fff;padding:6px 8px;border:1px solid #999;' +
                    'font:13px/1.4 sans-serif;color:#111;max-width:240px';
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                var t = document.createElement('summary');
                t.style.cssText = 'font-weight:bold;cursor:pointer';
                t.textContent = {{ this.title|tojson }};
                div.appendChild(t);
                {{ this.rows|tojson }}.forEach(function(r) {
                    var row = document.createElement('div');
                    var sw = document.createElement('span');
                    sw.style.cssText = 'display:inline-block;width:14px;height:14px;' +
                        'margin-right:6px;vertical-align:middle;border:1px solid #555;' +
                        'background:' + r[0];
                    row.appendChild(sw);
                    row.appendChild(document.createTextNode(r[1]));
                    div.appendChild(row);
                });
                {% if this.note %}
                var n = document.createElement('em');
                n.textContent = {{ this.note|tojson }};
                div.appendChild(n);
                {% endif %}
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, rows: list[tuple[str, str]], note: str | None) -> None:
        super().__init__()
        self._name = "Legend"
        self.title = title
        self.rows = [list(r) for r in rows]
        self.note = note
        self.narrow = NARROW_MAP


class FitBounds(MacroElement):
    """``fitBounds`` run in the browser with the map's real size: a 12 px margin, and

    - on a map at least :data:`NARROW_MAP` px wide, ``legend_room`` px kept free on the
      left, where the legend sits (for layers whose western shapes it would cover);
    - on a phone-sized map, where the legend is folded to its title, the whole width and
      a little room at the bottom for that title.
    """

    _template = SCRIPTS.from_string(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var wide = map.getSize().x >= {{ this.narrow }};
            map.fitBounds({{ this.bounds|tojson }}, {
                paddingTopLeft: [wide ? {{ this.legend_room }} : 12, 12],
                paddingBottomRight: [12, wide ? 12 : 36]});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], legend_room: int = 0) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.legend_room = max(12, int(legend_room))
        self.narrow = NARROW_MAP


def legend_rows(bins: list[float], fmt) -> list[tuple[str, str]]:
    palette = PALETTE if len(bins) >= len(PALETTE) else PALETTE[-len(bins):]
    rows, lower = [], None
    for colour, upper in zip(palette, bins):
        label = f"≤ {fmt(upper)}" if lower is None else f"{fmt(lower)} – {fmt(upper)}"
        rows.append((colour, label))
        lower = upper
    rows.append((NO_DATA, t("geen gegevens")))
    return rows


def _geometry(geom) -> dict:
    return mapping(shapely.set_precision(geom, 1e-5, mode="pointwise"))


# ------------------------------------------------------------- compact geometry encoding
# ``geometry_encoding="polyline"``: the same coordinates as ``_geometry`` (rounded to 1e-5°,
# about 1 m), but every polygon ring is written as one string in the scheme of the
# encoded-polyline format (Google's polyline utility: delta-encoded, zig-zagged integers in
# 5-bit groups with a continuation bit; here lon/lat order), one 6-bit group per character.
# A ring vertex then takes 4-6 characters instead of about 21 (``[4.37941, 51.13554], ``).
# The characters are the base64url alphabet (A-Z a-z 0-9 - _), not the original ASCII
# 63..126: those include ``\`` (escaped in JSON) and ``{``, and branca compiles every
# rendered script again as a Jinja template, where ``{{`` would start an expression.
# The layer's Leaflet ``filter`` option decodes a feature's rings just before Leaflet
# builds its layer, so tooltips, styles, highlighting and clicks see ordinary GeoJSON.
GEOMETRY_ENCODINGS = ("geojson", "polyline")
POLYLINE_PRECISION = 5  # decimal places, as _geometry's 1e-5 grid; at most 6 (32-bit JS)
POLYLINE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_POLYLINE_DECODER = """(function() {
    var A = '%(alphabet)s', T = {}, j;
    for (j = 0; j < 64; j++) { T[A.charCodeAt(j)] = j; }
    function ring(s) {
        var out = [], i = 0, x = 0, y = 0, n = s.length, v = [0, 0], k, r, sh, b;
        while (i < n) {
            for (k = 0; k < 2; k++) {
                r = 0; sh = 0;
                do { b = T[s.charCodeAt(i++)]; r |= (b & 31) << sh; sh += 5; } while (b >= 32);
                v[k] = (r & 1) ? ~(r >> 1) : (r >> 1);
            }
            x += v[0]; y += v[1];
            out.push([x / %(scale)s, y / %(scale)s]);
        }
        return out;
    }
    function walk(c) {
        if (typeof c === 'string') { return ring(c); }
        if (Array.isArray(c) && c.length && typeof c[0] !== 'number') { return c.map(walk); }
        return c;
    }
    return function(feature) {
        if (feature.geometry && feature.geometry.coordinates) {
            feature.geometry.coordinates = walk(feature.geometry.coordinates);
        }
        return true;
    };
})()"""


def polyline_geometries(geoms, precision: int = POLYLINE_PRECISION) -> list[dict]:
    """GeoJSON geometry dicts whose polygon rings are encoded-polyline strings.

    ``geoms``: shapely geometries in WGS84 (lon/lat). Polygons and multipolygons are
    encoded (vectorised: all rings of all geometries in one pass); any other geometry is
    written as plain GeoJSON (rounded like :func:`_geometry`), which the decoder leaves
    as it is. Decoding gives exactly ``shapely.set_precision(g, 10**-precision)``'s grid.
    """
    import numpy as np

    if not 0 <= precision <= 6:
        raise ValueError("precision must be 0..6 (the decoder works on 32-bit integers)")
    geoms = np.asarray(list(geoms), dtype=object)
    out: list[dict | None] = [None] * len(geoms)
    kinds = shapely.get_type_id(geoms)
    poly = np.flatnonzero((kinds == 3) | (kinds == 6))  # Polygon, MultiPolygon
    for i in np.flatnonzero(~np.isin(kinds, (3, 6))):
        out[i] = mapping(shapely.set_precision(geoms[i], 10.0 ** -precision,
                                               mode="pointwise"))
    if len(poly) == 0:
        return out
    parts, part_geom = shapely.get_parts(geoms[poly], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    q = np.round(coords * 10.0 ** precision).astype(np.int64)
    first = np.ones(len(q), dtype=bool)
    first[1:] = coord_ring[1:] != coord_ring[:-1]
    d = q.copy()
    d[1:] -= q[:-1]
    d[first] = q[first]  # each ring starts from absolute values
    v = d.reshape(-1)  # lon, lat, lon, lat, ...
    z = (v << 1) ^ (v >> 63)  # zig-zag: small magnitudes of either sign → small numbers
    nchunks = 1 + sum((z >= 32 ** k).astype(np.int64) for k in range(1, 7))
    shifts = 5 * np.arange(7, dtype=np.int64)
    chunks = (z[:, None] >> shifts) & 31
    more = np.arange(7)[None, :] < (nchunks - 1)[:, None]
    codes = chunks | (more.astype(np.int64) << 5)
    alphabet = np.frombuffer(POLYLINE_ALPHABET.encode("ascii"), dtype=np.uint8)
    text = alphabet[codes[np.arange(7)[None, :] < nchunks[:, None]]].tobytes().decode("ascii")
    # Character offsets of every ring: each ring has 2 values per coordinate.
    per_ring_coords = np.bincount(coord_ring, minlength=len(rings))
    value_end = np.cumsum(nchunks)
    ring_value_end = np.cumsum(per_ring_coords) * 2
    ring_char_end = np.where(ring_value_end > 0, value_end[np.maximum(ring_value_end - 1, 0)], 0)
    ring_char_start = np.concatenate([[0], ring_char_end[:-1]])
    strings = [text[a:b] for a, b in zip(ring_char_start.tolist(), ring_char_end.tolist())]
    # Reassemble: geometry → parts → rings (shapely returns them in order).
    part_rings: list[list[str]] = [[] for _ in range(len(parts))]
    for s, p in zip(strings, ring_part.tolist()):
        part_rings[p].append(s)
    geom_parts: list[list[list[str]]] = [[] for _ in range(len(poly))]
    for p, g in enumerate(part_geom.tolist()):
        geom_parts[g].append(part_rings[p])
    for j, i in enumerate(poly.tolist()):
        if kinds[i] == 3:
            out[i] = {"type": "Polygon", "coordinates": geom_parts[j][0]}
        else:
            out[i] = {"type": "MultiPolygon", "coordinates": geom_parts[j]}
    return out


class _EncodedGeoJson(folium.GeoJson):
    """A folium GeoJson layer whose feature geometries are encoded polylines.

    Leaflet decodes each feature in the layer's ``filter`` option (see
    ``_POLYLINE_DECODER``); the bounds folium and streamlit-folium ask for come from the
    shapely geometries, because folium cannot read encoded coordinates.
    """

    def __init__(self, data: dict, *, bounds, precision: int = POLYLINE_PRECISION,
                 **kwargs) -> None:
        from folium.utilities import JsCode

        decoder = JsCode(_POLYLINE_DECODER % {"scale": f"1e{precision}",
                                              "alphabet": POLYLINE_ALPHABET})
        super().__init__(data, filter=decoder, **kwargs)
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        self._bounds = [[miny, minx], [maxy, maxx]]

    def _get_self_bounds(self):
        return self._bounds


def choropleth(
    areas: gpd.GeoDataFrame,
    values: dict[str, float],
    *,
    title: str,
    unit: str,
    fmt,
    scheme: str,
    static_url: str,
    attribution: str,
    quality: str,
    illustrative: bool,
    extra_tooltip: dict[str, list[tuple[str, str]]] | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    lines: list[tuple[str, dict]] | None = None,
    points: list[dict] | None = None,
    points_label: str = "",
    tiles: str = "none",
    geometry_encoding: str = "geojson",
) -> folium.Map:
    """A classified choropleth (+ optional outlines, lines and sized circle markers).

    ``values``: area code → value; ``fmt``: number formatter for labels; ``points``: dicts
    with lat, lon, radius, tooltip lines (name + list of (label, value)).
    ``geometry_encoding``: ``"geojson"`` (plain coordinates, the default) or
    ``"polyline"`` (the same coordinates as encoded-polyline strings, decoded by Leaflet
    in the browser: about a third of the payload for large layers, see
    :func:`polyline_geometries`); it applies to the area polygons and the outlines.
    """
    if geometry_encoding not in GEOMETRY_ENCODINGS:
        raise ValueError(f"geometry_encoding must be one of {GEOMETRY_ENCODINGS}")
    encoded = geometry_encoding == "polyline"
    minx, miny, maxx, maxy = areas.total_bounds
    m = base_map(static_url, [[miny, minx], [maxy, maxx]], tiles=tiles)
    bins = classify(list(values.values()), scheme)
    label = t("{title} (illustratief)", title=title) if illustrative else title
    no_data = t("geen gegevens")
    extra_tooltip = extra_tooltip or {}
    features = []
    geometries = (polyline_geometries(areas.geometry) if encoded
                  else map(_geometry, areas.geometry))
    for code, name, geometry in zip(areas["code"], areas["name"], geometries):
        value = values.get(code)
        lines_ = [(label, no_data if value is None else f"{fmt(value)} {unit}")]
        lines_ += extra_tooltip.get(code, [])
        features.append({
            "type": "Feature", "id": code,
            "properties": {"code": code, "kind": "area", "fill": class_colour(value, bins),
                           "tooltip": tooltip_html(name, lines_)},
            "geometry": geometry})
    layer = (partial(_EncodedGeoJson, bounds=areas.total_bounds) if encoded
             else folium.GeoJson)
    layer(
        {"type": "FeatureCollection", "features": features}, name="gebieden",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"], "fillOpacity": 0.75, "color": "#3b4a5a",
            "weight": 1,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(m)
    if outlines is not None and len(outlines):
        _outline(m, outlines, "zones", {"color": "#D55E00", "weight": 3, "dashArray": "6 4"},
                 encoded=encoded)
    if lines:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"tooltip": tooltip_html(n)}, "geometry": g}
                for n, g in lines]},
            name="leidingen",
            style_function=lambda f: {"color": "#D55E00", "weight": 4},
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(m)
    if points:
        # One layer per marker size (no per-feature style map in the payload).
        by_radius: dict[float, list[dict]] = {}
        for k, p in enumerate(points):
            by_radius.setdefault(p["radius"], []).append(
                {"type": "Feature", "id": f"p{k}",
                 "properties": {"kind": "point",
                                "tooltip": tooltip_html(p["name"], p.get("lines", []))},
                 "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]}})
        for radius, feats in sorted(by_radius.items()):
            folium.GeoJson(
                {"type": "FeatureCollection", "features": feats},
                name=f"{points_label or 'punten'} ({radius:g})",
                marker=folium.CircleMarker(radius=radius, weight=1, color="#000000",
                                           fill=True, fill_color="#CC79A7",
                                           fill_opacity=0.85),
                tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
            ).add_to(m)
    Legend(f"{title} ({unit})", legend_rows(bins, fmt),
            t("Illustratieve cijfers") if illustrative else None).add_to(m)
    MapText(attribution, quality_note(quality)).add_to(m)
    return m


def highlight(m: folium.Map, areas: gpd.GeoDataFrame) -> folium.Map:
    """Outline the chosen area(s) on a (copied) map, without restyling the choropleth."""
    if len(areas):
        _outline(m, areas, "gekozen gebied", {"color": "#000000", "weight": 4})
    return m


def _outline(m: folium.Map, areas: gpd.GeoDataFrame, name: str, style: dict,
             encoded: bool = False) -> None:
    """Unfilled, non-interactive outlines of some areas on top of a map."""
    geometries = (polyline_geometries(areas.geometry) if encoded
                  else map(_geometry, areas.geometry))
    layer = (partial(_EncodedGeoJson, bounds=areas.total_bounds) if encoded
             else folium.GeoJson)
    layer(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": g} for g in geometries]},
        name=name, interactive=False, style_function=lambda f: {"fill": False, **style},
    ).add_to(m)


def layer_preview(features, *, static_url: str, attribution: str,
                  outline: gpd.GeoDataFrame | None = None) -> folium.Map:
    """Preview of a layer load: every feature drawn, its name (escaped) as tooltip."""
    import json as _json

    geoms = [_json.loads(g) for g in features["geometry"]]
    shapes = gpd.GeoSeries([shapely.geometry.shape(g) for g in geoms], crs=4326)
    minx, miny, maxx, maxy = (outline.total_bounds if outline is not None and len(outline)
                              else shapes.total_bounds)
    m = base_map(static_url, [[miny, minx], [maxy, maxx]])
    if outline is not None and len(outline):
        _outline(m, outline, "gemeente", {"color": "#3b4a5a", "weight": 2})
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"tooltip": tooltip_html(n, [("id", i)])},
             "geometry": g} for n, i, g in zip(features["name"], features["feature_id"], geoms)]},
        name="nieuwe laag",
        marker=folium.CircleMarker(radius=5, weight=1, color="#000000", fill=True,
                                   fill_color="#CC79A7", fill_opacity=0.9),
        style_function=lambda f: {"color": "#D55E00", "weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
    ).add_to(m)
    MapText(attribution, None).add_to(m)
    return m
