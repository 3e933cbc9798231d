"""Folium map builders that need no CDN.

Leaflet's JS and CSS come from the ``xstatic-leaflet`` package (Leaflet 1.9.3, folium's
version), copied into the folder Streamlit serves at ``/app/static``; every map made here
references only those files. Base tiles are optional: without them the districts are
drawn on a plain background and the map stays usable. Every text put into a tooltip or a
popup is HTML-escaped. No ``st.`` calls: builders return folium objects.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import folium
import geopandas as gpd
import shapely
import xstatic.pkg.leaflet as xleaflet
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping

LEAFLET_DIR = f"leaflet-{xleaflet.VERSION}"
QUALITY_NOTES = {
    "official": None,
    "approximate": ("Sectorgrenzen zijn benaderd: de officiële sectorpolygonen ontbreken; "
                    "sectoren zijn binnen hun echte wijk geschat."),
    "schematic": ("Schematische kaart: geen officiële geodata geladen. Laad ze met "
                  "'python -m dashboard geodata --from MAP'."),
}


def install_leaflet(static_dir: Path) -> Path:
    """Copy Leaflet's files into the static folder (idempotent); return their folder."""
    target = Path(static_dir) / LEAFLET_DIR
    marker = target / "leaflet.js"
    if not marker.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(xleaflet.BASE_DIR, tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    return target


class _MapText(MacroElement):
    """Adds attribution text and an optional notice box to a map (text is escaped)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            map.attributionControl.setPrefix(false);
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


def base_map(static_url: str, bounds: list[list[float]] | None = None, tiles: str = "none",
             height: str | int = "100%") -> folium.Map:
    """An empty folium map whose scripts and styles are served by the app itself."""
    m = folium.Map(tiles=None, control_scale=True, height=height, zoom_snap=0.25,
                   prefer_canvas=False)
    base = f"{static_url}/{LEAFLET_DIR}"
    m.default_js = [("leaflet", f"{base}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    if tiles == "osm":
        folium.TileLayer(
            "OpenStreetMap", attr="© OpenStreetMap-bijdragers", name="OpenStreetMap"
        ).add_to(m)
    if bounds:
        m.fit_bounds(bounds, padding=(12, 12))
    return m


def tooltip_html(name: str, lines: list[tuple[str, str]] = ()) -> str:
    """Tooltip content with every piece of text escaped."""
    parts = [f"<strong>{html.escape(str(name))}</strong>"]
    parts += [f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in lines]
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
    _MapText(attribution, QUALITY_NOTES.get(quality)).add_to(m)
    return m
