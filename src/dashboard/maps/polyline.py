"""Compact geometry encoding (``geometry_encoding="polyline"`` of
:func:`dashboard.maps.choropleths.choropleth`); only the scale benchmark and its tests
use it."""

from __future__ import annotations

import shapely
from shapely.geometry import mapping

from .served import BoundedGeoJson

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


class _EncodedGeoJson(BoundedGeoJson):
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
        super().__init__(data, bounds=bounds, filter=decoder, **kwargs)
