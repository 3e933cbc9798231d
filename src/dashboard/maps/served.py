"""Geometry sent once per level: a static script the browser caches; maps carry values.

A district switch, an indicator switch or a language switch changes what a map *says*
(colours, tooltips, the outlined area), never the shape of the districts. So the app's maps
do not embed their polygons: :func:`serve` writes a level's simplified polygons once into
the static folder as ``geo/<level>-<digest>.js`` (the digest is of the content, so the name
changes whenever the geometry does and the file can be cached for good: ``deploy/nginx.conf``
serves ``/app/static/geo/`` with a one-year lifetime). The map lists that script among its
JS links (streamlit-folium loads it, once per browser thanks to the HTTP cache, before the
map's own script runs), and each area feature in the map carries only its code, colour and
tooltip, with an empty placeholder geometry; the layer's Leaflet ``filter`` option puts the
real geometry in by code just before Leaflet builds the feature.

The exports that draw a map offline (PNG, PDF) load the same script from disk
(``report._offline`` points static links at the folder), so every output draws the same
polygons. The script holds JSON only (codes and coordinates, ``json.dumps`` with ASCII
escapes); it is never HTML and never a template.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
from folium.utilities import JsCode

FOLDER = "geo"
# A feature whose geometry is served: truthy (Leaflet's addData skips a feature without
# geometry before it calls the filter), empty, replaced by the filter.
PLACEHOLDER = {"type": "Polygon", "coordinates": []}
_LEVEL = re.compile(r"[a-z0-9_]{1,40}")


@dataclass(frozen=True)
class ServedGeometry:
    """One level's polygons as a static script: ``key`` names it in the browser
    (``window.DASHBOARD_GEOMETRY[key]``), ``url`` is where the app serves it, ``path``
    where it lies on disk, ``bounds`` the level's [[south, west], [north, east]]."""

    key: str
    url: str
    path: Path
    bounds: tuple[tuple[float, float], tuple[float, float]]
    codes: frozenset[str]

    def filter_js(self) -> JsCode:
        """The Leaflet ``filter`` that gives each feature its served geometry (a feature
        whose code is not in the file is left out, as an area without geometry)."""
        return JsCode(
            "function(f) { var g = (window.DASHBOARD_GEOMETRY || {})[" + json.dumps(self.key)
            + "]; var s = g && g[f.id]; if (s) { f.geometry = s; } return !!s; }")


def serve(areas: gpd.GeoDataFrame, level: str, static_dir: Path, static_url: str,
          geometry) -> ServedGeometry:
    """Write ``areas``' polygons (WGS84, code column) as the static script of ``level``
    (nothing is written when the file is already there) and say where it is served.
    ``geometry``: shapely geometry → GeoJSON dict (the map builder's rounding)."""
    if not _LEVEL.fullmatch(level):
        raise ValueError(f"level name {level!r} is not a safe file name")
    shapes = {str(code): geometry(geom) for code, geom in zip(areas["code"], areas.geometry)}
    body = json.dumps(shapes, separators=(",", ":"), sort_keys=True)
    key = f"{level}-{hashlib.sha256(body.encode()).hexdigest()[:16]}"
    path = Path(static_dir) / FOLDER / f"{key}.js"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        script = ("window.DASHBOARD_GEOMETRY = window.DASHBOARD_GEOMETRY || {};\n"
                  f"window.DASHBOARD_GEOMETRY[{json.dumps(key)}] = {body};\n")
        # Replicas and test workers may write the same file at once: each writes its own
        # temporary file and renames it into place (the content is the same).
        fd, tmp = tempfile.mkstemp(prefix=f".{key}-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(script)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    minx, miny, maxx, maxy = (float(b) for b in areas.total_bounds)
    return ServedGeometry(key, f"{static_url}/{FOLDER}/{key}.js", path,
                          ((miny, minx), (maxy, maxx)), frozenset(shapes))


def link(m: folium.Map, served: ServedGeometry) -> None:
    """Load ``served``'s script with the map (after Leaflet, once per map)."""
    entry = (f"geometry_{served.key}", served.url)
    if entry not in m.default_js:
        m.default_js = [*m.default_js, entry]


class BoundedGeoJson(folium.GeoJson):
    """A folium GeoJson layer whose bounds are given (from the shapely geometries), for
    layers whose embedded coordinates folium cannot read (encoded or served)."""

    def __init__(self, data: dict, *, bounds, **kwargs) -> None:
        super().__init__(data, **kwargs)
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        self._bounds = [[miny, minx], [maxy, maxx]]

    def _get_self_bounds(self):
        return self._bounds


def served_layer(served: ServedGeometry, bounds, data: dict, **kwargs) -> BoundedGeoJson:
    """A GeoJson layer of placeholder features (``data``) drawn with ``served``'s
    polygons."""
    return BoundedGeoJson(data, bounds=bounds, filter=served.filter_js(), **kwargs)
