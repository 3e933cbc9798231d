"""Choropleths: classification, legend, highlighted areas and layer previews."""

from __future__ import annotations

import warnings
from functools import partial

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from shapely.geometry import mapping

from ..i18n import t
from .base import NARROW_MAP, MapText, base_map, quality_note, tooltip_html
from .literal import SCRIPTS
from .polyline import GEOMETRY_ENCODINGS, _EncodedGeoJson, polyline_geometries
from .served import PLACEHOLDER, ServedGeometry, link, served_layer

# ----------------------------------------------------------------------- choropleths
# ColorBrewer YlGnBu (sequential, colour-blind safe), light → dark.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#d9d9d9"
# Zero ("no network here", "no charging point") is drawn as absence, not as the lowest
# class: white, with its own legend row; classes are formed over the other values.
ZERO = "#ffffff"
SCHEMES = ("quantiles", "natural_breaks")


def classify(values, scheme: str, k: int = 5) -> list[float]:
    """Upper class bounds (mapclassify) over the non-zero values (zero is drawn as
    absence, see :data:`ZERO`); fewer classes when there are fewer distinct values."""
    import mapclassify
    import numpy as np

    v = np.asarray([x for x in values if x is not None and x != 0], dtype=float)
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
    if value is None:
        return NO_DATA
    if value == 0:
        return ZERO
    if not bins:
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


def legend_rows(bins: list[float], fmt, zero: bool = False) -> list[tuple[str, str]]:
    """Legend rows: the classes, then "0 (geen)" when an area has zero, then no data."""
    palette = PALETTE if len(bins) >= len(PALETTE) else PALETTE[-len(bins):]
    rows, lower = [], None
    for colour, upper in zip(palette, bins):
        label = f"≤ {fmt(upper)}" if lower is None else f"{fmt(lower)} – {fmt(upper)}"
        rows.append((colour, label))
        lower = upper
    if zero:
        rows.append((ZERO, t("0 (geen)")))
    rows.append((NO_DATA, t("geen gegevens")))
    return rows


def _geometry(geom) -> dict:
    return mapping(shapely.set_precision(geom, 1e-5, mode="pointwise"))


PRECISIONS = ("rounded", "full")


def _geometries(geoms, precision: str = "rounded"):
    """GeoJSON geometries: coordinates rounded to 1e-5° (the app), or as given ("full")."""
    return map(_geometry if precision == "rounded" else mapping, geoms)


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
    bins: list[float] | None = None,
    precision: str = "rounded",
    actions: list[dict] | None = None,
    served: ServedGeometry | None = None,
    outlines_served: ServedGeometry | None = None,
) -> folium.Map:
    """A classified choropleth (+ optional outlines, lines, sized circle markers and
    action markers).

    ``values``: area code → value; ``fmt``: number formatter for labels; ``points``: dicts
    with lat, lon, radius, tooltip lines (name + list of (label, value)).
    ``geometry_encoding``: ``"geojson"`` (plain coordinates, the default) or
    ``"polyline"`` (the same coordinates as encoded-polyline strings, decoded by Leaflet
    in the browser: about a third of the payload for large layers, see
    :func:`polyline_geometries`); it applies to the area polygons and the outlines.
    ``bins``: upper class bounds to use instead of ``classify(values, scheme)`` (a caller
    that has already classified passes them, so the same classes are drawn everywhere);
    the fill colours and the legend rows follow them.
    ``precision``: ``"rounded"`` (coordinates rounded to 1e-5°, what the app draws) or
    ``"full"`` (the coordinates as given: the benchmarks' naive build); plain GeoJSON
    only (the polyline encoding always rounds to 1e-5°).
    ``actions``: dicts with lat, lon, id, name, colour and tooltip lines: one ringed
    marker per located action (:func:`action_layer`).
    ``served``: the areas' polygons as a static script (:mod:`dashboard.maps.served`, the
    app's maps): the map then carries codes, colours and tooltips only, and
    ``geometry_encoding`` and ``precision`` do not apply to the areas;
    ``outlines_served``: the same for the outlines (their level's script).
    """
    if geometry_encoding not in GEOMETRY_ENCODINGS:
        raise ValueError(f"geometry_encoding must be one of {GEOMETRY_ENCODINGS}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    encoded = geometry_encoding == "polyline"
    minx, miny, maxx, maxy = areas.total_bounds
    m = base_map(static_url, [[miny, minx], [maxy, maxx]], tiles=tiles)
    bins = (classify(list(values.values()), scheme) if bins is None
            else [float(b) for b in bins])
    label = t("{title} (illustratief)", title=title) if illustrative else title
    no_data = t("geen gegevens")
    extra_tooltip = extra_tooltip or {}
    features = []
    geometries = _layer_geometries(areas, encoded, precision, served)
    for code, name, geometry in zip(areas["code"], areas["name"], geometries):
        value = values.get(code)
        lines_ = [(label, no_data if value is None else f"{fmt(value)} {unit}")]
        lines_ += extra_tooltip.get(code, [])
        features.append({
            "type": "Feature", "id": code,
            "properties": {"code": code, "kind": "area", "fill": class_colour(value, bins),
                           "tooltip": tooltip_html(name, lines_)},
            "geometry": geometry})
    layer = _layer(m, areas, encoded, served)
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
                 encoded=encoded, precision=precision, served=outlines_served)
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
    if actions:
        action_layer(m, actions)
    note = " · ".join(n for n in (
        t("Illustratieve cijfers") if illustrative else "",
        t("Ringen: acties van de nota, kleur naar status") if actions else "") if n)
    zero = any(v == 0 for v in values.values())
    Legend(f"{title} ({unit})", legend_rows(bins, fmt, zero), note or None).add_to(m)
    MapText(attribution, quality_note(quality)).add_to(m)
    return m


def action_layer(m: folium.Map, actions: list[dict]) -> None:
    """The located actions as ringed markers, one layer per status colour (the style is
    per layer, so the payload carries no per-feature style); tooltips escaped."""
    by_colour: dict[str, list[dict]] = {}
    for a in actions:
        by_colour.setdefault(a["colour"], []).append(
            {"type": "Feature", "id": f"action-{a['id']}",
             "properties": {"kind": "action", "action": a["id"],
                            "tooltip": tooltip_html(a["name"], a.get("lines", []))},
             "geometry": {"type": "Point", "coordinates": [a["lon"], a["lat"]]}})
    for colour, feats in sorted(by_colour.items()):
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats}, name="acties",
            marker=folium.CircleMarker(radius=9, weight=4, color=colour, fill=True,
                                       fill_color="#FFFFFF", fill_opacity=0.9),
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(m)


def highlight(m: folium.Map, areas: gpd.GeoDataFrame,
              served: ServedGeometry | None = None) -> folium.Map:
    """Outline the chosen area(s) on a (copied) map, without restyling the choropleth
    (``served``: their level's served polygons, see :func:`choropleth`)."""
    if len(areas):
        _outline(m, areas, "gekozen gebied", {"color": "#000000", "weight": 4},
                 served=served)
    return m


def _layer_geometries(areas: gpd.GeoDataFrame, encoded: bool, precision: str,
                      served: ServedGeometry | None) -> list:
    """The geometries a layer embeds: placeholders when they are served, else the
    polygons (encoded, or as GeoJSON at ``precision``)."""
    if served is not None:
        return [PLACEHOLDER] * len(areas)
    return (polyline_geometries(areas.geometry) if encoded
            else list(_geometries(areas.geometry, precision)))


def _layer(m: folium.Map, areas: gpd.GeoDataFrame, encoded: bool,
           served: ServedGeometry | None):
    """The GeoJson class (with its fixed arguments) for a layer of ``areas``."""
    if served is not None:
        link(m, served)
        return partial(served_layer, served, areas.total_bounds)
    if encoded:
        return partial(_EncodedGeoJson, bounds=areas.total_bounds)
    return folium.GeoJson


def _outline(m: folium.Map, areas: gpd.GeoDataFrame, name: str, style: dict,
             encoded: bool = False, precision: str = "rounded",
             served: ServedGeometry | None = None) -> None:
    """Unfilled, non-interactive outlines of some areas on top of a map."""
    geometries = _layer_geometries(areas, encoded, precision, served)
    # Served geometry is found by code; other outlines (a boundary) need no id.
    ids = ([{"id": c} for c in areas["code"]] if served is not None
           else [{}] * len(areas))
    _layer(m, areas, encoded, served)(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", **i, "properties": {}, "geometry": g}
            for i, g in zip(ids, geometries)]},
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
