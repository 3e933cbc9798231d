"""Base maps: Leaflet served by the app, attribution and notices, tooltips, area maps.

Leaflet's JS and CSS come from the ``xstatic-leaflet`` package (Leaflet 1.9.3, folium's
version), copied into the folder Streamlit serves at ``/app/static``
(:func:`install_leaflet`); every map made here references only those files. Base tiles
are optional: without them the districts are drawn on a plain background and the map
stays usable. Every text put into a tooltip or a popup is HTML-escaped.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from functools import partial
from pathlib import Path

import folium
import geopandas as gpd
import shapely
import xstatic.pkg.leaflet as xleaflet
from branca.element import MacroElement
from shapely.geometry import mapping

from ..i18n import t
from .literal import SCRIPTS, LiteralFigure
from .served import PLACEHOLDER, link, served_layer

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
            // The attribution spans the map's width when it wraps: keep the bottom-left
            // controls (legend) above it instead of under it.
            var corner = map.getContainer().querySelector('.leaflet-bottom.leaflet-left');
            var credit = map.attributionControl.getContainer();
            var room = function() {
                if (corner) { corner.style.marginBottom = credit.offsetHeight + 'px'; }
            };
            room();
            map.on('resize', room);
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


class FitBounds(MacroElement):
    """``fitBounds`` run in the browser with the map's real size (deferred while the map has
    no room, e.g. in a hidden frame, until it has): a 12 px margin, and

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
            var bounds = L.latLngBounds({{ this.bounds|tojson }});
            function padding() {
                var wide = map.getSize().x >= {{ this.narrow }};
                return {paddingTopLeft: [wide ? {{ this.legend_room }} : 12, 12],
                        paddingBottomRight: [12, wide ? 12 : 36]};
            }
            function roomy() {
                var size = map.getSize(), pad = padding();
                return size.x > pad.paddingTopLeft[0] + pad.paddingBottomRight[0]
                    && size.y > pad.paddingTopLeft[1] + pad.paddingBottomRight[1];
            }
            if (roomy()) {
                map.fitBounds(bounds, padding());
                return;
            }
            // No room yet: the map's frame is hidden (a tab opened while it loaded).
            // A fit now would ask for zoom NaN; a provisional view instead, and the fit
            // once the map has a size.
            map.setView(bounds.getCenter(), 12);
            var watch = new ResizeObserver(function() {
                map.invalidateSize();
                if (roomy()) {
                    watch.disconnect();
                    map.fitBounds(bounds, padding());
                }
            });
            watch.observe(map.getContainer());
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


def base_map(static_url: str, bounds: list[list[float]] | None = None, tiles: str = "none",
             height: str | int = "100%", legend_room: int = 0) -> folium.Map:
    """An empty folium map whose scripts and styles are served by the app itself, fitted
    to ``bounds`` (see :class:`FitBounds` for ``legend_room``)."""
    m = folium.Map(tiles=None, control_scale=False, height=height, zoom_snap=0.25,
                   prefer_canvas=False)
    LiteralFigure().add_child(m)  # the root: rendered text is never a template again
    base = f"{static_url}/{LEAFLET_DIR}"
    m.default_js = [("leaflet", f"{base}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    label, url, attr = BASEMAPS.get(tiles, BASEMAPS["none"])
    if url:
        folium.TileLayer(url, attr=t(attr), name=t(label), max_zoom=19).add_to(m)
    m.get_root().header.add_child(folium.Element(NARROW_CSS))
    ScaleBar().add_to(m)
    if bounds:
        FitBounds(bounds, legend_room).add_to(m)
    return m


class ScaleBar(MacroElement):
    """Leaflet's metric scale bar at the top left, under the zoom buttons: at the bottom
    (folium's place) the attribution line, which wraps on narrow maps, covered it."""

    _template = SCRIPTS.from_string(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({position: 'topleft', imperial: false})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ScaleBar"



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
    served=None,
) -> folium.Map:
    """A map of district polygons (WGS84 GeoDataFrame with code and name).

    ``tooltips``: extra (label, value) lines per area code; ``fill``: colour per code;
    ``served``: the polygons' static script (:mod:`dashboard.maps.served`) instead of
    embedded polygons.
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
            "geometry": (PLACEHOLDER if served is not None else
                         mapping(shapely.set_precision(geom, 1e-5, mode="pointwise"))),
        })
    layer = folium.GeoJson
    if served is not None:
        link(m, served)
        layer = partial(served_layer, served, areas.total_bounds)
    layer(
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
