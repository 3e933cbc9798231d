"""A world map of a city's partnerships: a pure folium builder (no Streamlit).

The map comes from :func:`maps.base_map`, so Leaflet is served by the app itself, and it
has no base tiles unless asked for. It stays readable offline: every city is a circle
marker with a permanent label (its name and country), the partners are joined to the
home city by a great-circle line, and country outlines are drawn underneath when an
offline copy of Natural Earth's low-resolution countries is installed (pyogrio ships one
with its test data). Without those outlines the map says so in a notice.

Every label and tooltip is HTML-escaped with :func:`maps.tooltip_html` and travels as a
GeoJSON property (never inside folium's JavaScript templates).
"""

from __future__ import annotations

import functools
import importlib.util
import math
from pathlib import Path

import folium
import shapely
from shapely.geometry import box, mapping

from . import maps
from .i18n import fmt_number, t

EARTH_RADIUS_KM = 6371.0088
# Okabe-Ito colours (colour-blind safe); the kind is also written in every label.
COLOURS = {"home": "#0072B2", "partner": "#D55E00", "former": "#767676"}
RADIUS = {"home": 8, "partner": 8, "former": 6}
OUTLINE_ATTRIBUTION = t("Landsgrenzen: Natural Earth (publiek domein), vereenvoudigd",
                        lang="nl")
NO_OUTLINE_NOTICE = t("Geen achtergrondkaart en geen landsgrenzen beschikbaar: de kaart "
                      "toont alleen de steden en de verbindingen ertussen.", lang="nl")
_NATURAL_EARTH = Path("tests") / "fixtures" / "naturalearth_lowres" / "naturalearth_lowres.shp"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def great_circle(lat1: float, lon1: float, lat2: float, lon2: float, n: int = 64
                 ) -> list[list[float]]:
    """``n + 1`` [lon, lat] points along the shortest path on the sphere; longitudes are
    kept continuous (they may leave -180..180) so Leaflet draws no jump."""
    def xyz(lat: float, lon: float) -> tuple[float, float, float]:
        la, lo = math.radians(lat), math.radians(lon)
        return math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)

    a, b = xyz(lat1, lon1), xyz(lat2, lon2)
    omega = math.acos(max(-1.0, min(1.0, sum(x * y for x, y in zip(a, b)))))
    points: list[list[float]] = []
    for k in range(n + 1):
        f = k / n
        if omega < 1e-12:
            p = a
        else:
            s1 = math.sin((1 - f) * omega) / math.sin(omega)
            s2 = math.sin(f * omega) / math.sin(omega)
            p = tuple(s1 * x + s2 * y for x, y in zip(a, b))
        lat = math.degrees(math.atan2(p[2], math.hypot(p[0], p[1])))
        lon = math.degrees(math.atan2(p[1], p[0]))
        if points:  # unwrap across the antimeridian
            while lon - points[-1][0] > 180:
                lon -= 360
            while lon - points[-1][0] < -180:
                lon += 360
        points.append([round(lon, 5), round(lat, 5)])
    return points


@functools.cache
def natural_earth_file() -> Path | None:
    """The offline Natural Earth countries file, when an installed package ships one."""
    spec = importlib.util.find_spec("pyogrio")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / _NATURAL_EARTH
        if path.exists():
            return path
    return None


@functools.cache
def _countries():
    path = natural_earth_file()
    if path is None:
        return None
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception:  # noqa: BLE001 - an unreadable optional file: no outlines
        return None
    return frame.to_crs(4326) if frame.crs and frame.crs.to_epsg() != 4326 else frame


def world_outline(west: float, south: float, east: float, north: float,
                  tolerance: float = 0.05) -> dict | None:
    """Country outlines inside the box (degrees), simplified, as a GeoJSON collection;
    None when no offline outline data is installed."""
    countries = _countries()
    if countries is None:
        return None
    window = box(max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
    features = []
    for geom in countries.geometry:
        if geom is None or not geom.intersects(window):
            continue
        part = shapely.set_precision(geom.intersection(window).simplify(tolerance),
                                     1e-3, mode="pointwise")
        if part.is_empty:
            continue
        features.append({"type": "Feature", "properties": {}, "geometry": mapping(part)})
    return {"type": "FeatureCollection", "features": features}


def _window(places: list[dict]) -> tuple[float, float, float, float]:
    """The places' bounding box with a margin wide enough for a landscape map view (the
    box the outlines are clipped to)."""
    lons = [p["lon"] for p in places]
    lats = [p["lat"] for p in places]
    dx = max(40.0, max(lons) - min(lons))
    dy = max(12.0, (max(lats) - min(lats)) / 2)
    return min(lons) - dx, min(lats) - dy, max(lons) + dx, max(lats) + dy


def _label_direction(place: dict, others: list[dict]) -> str:
    """Put a label on the side away from the other places (labels never cover a line)."""
    if not others:
        return "right"
    mean_lon = sum(o["lon"] for o in others) / len(others)
    return "left" if mean_lon > place["lon"] else "right"


def partner_map(home: dict, partners: list[dict], *, static_url: str,
                attribution: str = "", tiles: str = "none", outline: bool = True,
                height: str | int = "100%") -> folium.Map:
    """The home city and its partner cities, joined by great-circle lines.

    ``home`` and each of ``partners``: ``name``, ``lat``, ``lon`` (WGS84), ``lines`` (extra
    (label, value) tooltip lines) and, for partners, ``kind`` ("partner" or "former").
    ``outline``: draw offline country outlines when installed.
    """
    places = [{**home, "kind": "home"}] + [{**p, "kind": p.get("kind", "partner")}
                                           for p in partners]
    west, south, east, north = _window(places)
    lons = [p["lon"] for p in places]
    lats = [p["lat"] for p in places]
    # Room around the cities for their labels (beside the markers) and the map controls.
    dlat = max(2.0, 0.15 * (max(lats) - min(lats)))
    dlon = max(5.0, 0.3 * (max(lons) - min(lons)))
    m = maps.base_map(static_url, [[min(lats) - dlat, min(lons) - dlon],
                                   [max(lats) + dlat, max(lons) + dlon]], tiles=tiles)
    shapes = world_outline(west, south, east, north) if outline else None
    if shapes is not None:
        folium.GeoJson(
            shapes, name="landsgrenzen", interactive=False,
            style_function=lambda f: {"color": "#8c8c8c", "weight": 0.8,
                                      "fillColor": "#f4f1ea", "fillOpacity": 1.0},
        ).add_to(m)
    for p in partners:
        km = distance_km(home["lat"], home["lon"], p["lat"], p["lon"])
        name = f"{home['name']} – {p['name']}"
        line = {"type": "Feature",
                "properties": {"tooltip": maps.tooltip_html(name, [
                    (t("afstand in vogelvlucht"), t("{km} km", km=fmt_number(km, 0)))])},
                "geometry": {"type": "LineString",
                             "coordinates": great_circle(home["lat"], home["lon"],
                                                         p["lat"], p["lon"])}}
        former = p.get("kind") == "former"
        folium.GeoJson(
            line, name="verbinding",
            style_function=(lambda f, c=COLOURS["former" if former else "partner"],
                            d="6 6" if former else None: {"color": c, "weight": 3,
                                                          "dashArray": d}),
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        ).add_to(m)
    for place in places:
        direction = _label_direction(place, [o for o in places if o is not place])
        feature = {"type": "Feature",
                   "properties": {"kind": place["kind"], "name": str(place["name"]),
                                  "tooltip": maps.tooltip_html(place["name"],
                                                               place.get("lines", []))},
                   "geometry": {"type": "Point", "coordinates": [place["lon"], place["lat"]]}}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [feature]},
            name=f"stad-{place['kind']}",
            marker=folium.CircleMarker(radius=RADIUS[place["kind"]], weight=2,
                                       color="#000000", fill=True,
                                       fill_color=COLOURS[place["kind"]], fill_opacity=0.95),
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=False,
                                          permanent=True,
                                          direction=direction,
                                          offset=[10, 0] if direction == "right" else [-10, 0],
                                          class_name="dashboard-city-label"),
        ).add_to(m)
    credits = [a for a in (attribution, t(OUTLINE_ATTRIBUTION) if shapes else "") if a]
    notice = t(NO_OUTLINE_NOTICE) if shapes is None and tiles == "none" else None
    maps.MapText(" · ".join(credits), notice).add_to(m)
    return m
