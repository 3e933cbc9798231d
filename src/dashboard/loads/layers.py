"""Validating GIS layer loads: charging points, heat-network lines and zones, unsealing projects.

GeoJSON, zipped Shapefile or GeoPackage in EPSG:31370, 3812 or 4326. Problems are reported
per feature (null or invalid geometry, wrong geometry type, outside the municipality,
missing or duplicate id); nothing is written until commit.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from ..errors import InputError
from ..geodata import MAX_LAYER_BYTES, read_layer
from ..i18n import t
from ..safety import bytes_sha256

# layer → allowed geometry types and the property columns kept (besides id and naam)
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "laadpunten": (("Point",), ("aantal", "vermogen_kw")),
    "warmtenet_leiding": (("LineString", "MultiLineString"), ("type",)),
    "warmtenet_zone": (("Polygon", "MultiPolygon"), ("doel_aandeel_2040",)),
    "ontharding_project": (("Point", "Polygon", "MultiPolygon"), ("m2", "jaar")),
}
# What the public spearhead-5 page can draw (views.section_map / views._points): point
# layers as circles sized by one property (radius grows with its square root), so that
# property is required per feature and may not be negative; a Polygon unsealing project is
# drawn at a point inside it. Numeric properties: (minimum, maximum, whole number); a null
# optional property is left out (nothing shown), never stored as null.
NUMBER_RULES: dict[str, tuple[float | None, float | None, bool]] = {
    "aantal": (0, None, True),
    "vermogen_kw": (0, None, False),
    "doel_aandeel_2040": (0, 100, False),
    "m2": (0, None, False),
    "jaar": (1900, 2100, True),
}
SIZE_FIELD = {"laadpunten": "aantal", "ontharding_project": "m2"}
ID_FIELDS = ("id", "feature_id", "fid_code", "code")
NAME_FIELDS = ("naam", "name")
BOUNDARY_TOLERANCE_M = 50


@dataclass
class ValidatedLayer:
    file: str
    sha256: str
    layer: str
    features: pd.DataFrame
    errors: pd.DataFrame
    warnings: pd.DataFrame

    @property
    def ok(self) -> bool:
        return self.errors.empty


def _frame(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "field", "reason"]).astype(
        {"row": int, "field": str, "reason": str})


def validate_layer_file(data: bytes, file: str, layer: str, municipality: gpd.GeoDataFrame,
                        sectors: gpd.GeoDataFrame | None = None) -> ValidatedLayer:
    """Read and check a layer file; ``municipality`` in any CRS (the gemeente polygon)."""
    sha = bytes_sha256(data)
    if layer not in LAYERS:
        e = _frame([(0, "laag", t("onbekende laag '{layer}'; kies uit {layers}", layer=layer,
                                  layers=", ".join(LAYERS)))])
        return ValidatedLayer(file, sha, layer, pd.DataFrame(), e, _frame([]))
    with tempfile.TemporaryDirectory() as tmp:
        # A fixed name (the extension only): nothing of the sender's name reaches GDAL.
        path = Path(tmp) / ("upload" + Path(file.replace("\\", "/")).suffix.lower())
        path.write_bytes(data)
        try:
            gdf = read_layer(path, max_bytes=MAX_LAYER_BYTES, name=file)
        except InputError as exc:
            reasons = [(0, p.field or "", p.reason) for p in exc.problems]
            return ValidatedLayer(file, sha, layer, pd.DataFrame(), _frame(reasons),
                                  _frame([]))
    kinds, props = LAYERS[layer]
    problems: list[tuple[int, str, str]] = []
    cols = {c.lower(): c for c in gdf.columns}
    id_col = next((cols[c] for c in ID_FIELDS if c in cols), None)
    name_col = next((cols[c] for c in NAME_FIELDS if c in cols), None)
    if id_col is None:
        problems.append((0, "id", t("kolom 'id' ontbreekt")))
    gdf = gdf.to_crs(31370)
    boundary = municipality.to_crs(31370).geometry.union_all().buffer(BOUNDARY_TOLERANCE_M)
    ids = (gdf[id_col].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v))
                           else str(v).strip()) if id_col else pd.Series([""] * len(gdf)))
    seen: dict[str, int] = {}
    for i, (fid, geom) in enumerate(zip(ids, gdf.geometry), start=1):
        label = (t("object {n} (id {id})", n=i, id=fid) if fid else t("object {n}", n=i))
        if id_col and fid in ("", "None", "nan"):
            problems.append((i, "id", t("{object}: id ontbreekt", object=label)))
        elif id_col and fid in seen:
            problems.append((i, "id", t("{object}: dubbele id (ook object {other})",
                                        object=label, other=seen[fid])))
        else:
            seen[fid] = i
        if geom is None or geom.is_empty:
            problems.append((i, "geometry", t("{object}: lege geometrie", object=label)))
            continue
        if geom.geom_type not in kinds:
            either = " {} ".format(t("of"))
            problems.append((i, "geometry", t("{object}: {found}, verwacht {expected}",
                                              object=label, found=geom.geom_type,
                                              expected=either.join(kinds))))
            continue
        if not geom.is_valid:
            problems.append((i, "geometry", t("{object}: ongeldige geometrie ({reason})",
                                              object=label,
                                              reason=shapely.is_valid_reason(geom))))
            continue
        if not boundary.contains(geom):
            problems.append((i, "geometry", t("{object}: ligt (deels) buiten de gemeente",
                                              object=label)))
    values: dict[str, list] = {}
    size_field = SIZE_FIELD.get(layer)
    if size_field and size_field not in cols:
        problems.append((0, size_field, t("kolom '{column}' ontbreekt", column=size_field)))
    for prop in props:
        if prop not in cols:
            continue
        column = gdf[cols[prop]]
        if prop not in NUMBER_RULES:
            values[prop] = [None if _missing(v) else str(v) for v in column]
            continue
        values[prop] = []
        for i, raw in enumerate(column, start=1):
            number, reason = _number(raw, prop, i, required=prop == size_field)
            values[prop].append(number)
            if reason:
                problems.append((i, prop, reason))
    errors = _frame(problems)
    if not errors.empty:
        return ValidatedLayer(file, sha, layer, pd.DataFrame(), errors, _frame([]))
    wgs = gdf.to_crs(4326)
    area_codes = [None] * len(gdf)
    if sectors is not None and len(sectors):
        sec = sectors.to_crs(31370)
        reps = gdf.geometry.representative_point()
        joined = gpd.sjoin(gpd.GeoDataFrame(geometry=reps, crs=31370), sec[["code", "geometry"]],
                           how="left", predicate="within")
        joined = joined[~joined.index.duplicated()]
        area_codes = [None if pd.isna(c) else c for c in joined["code"]]
    features = pd.DataFrame({
        "feature_id": ids.to_numpy(),
        "name": ([fid if _missing(v) or not str(v).strip() else str(v)
                  for v, fid in zip(gdf[name_col], ids)] if name_col else ids.to_numpy()),
        "area_code": area_codes,
        "properties": [json.dumps({p: v[k] for p, v in values.items() if v[k] is not None},
                                  ensure_ascii=False, sort_keys=True)
                       for k in range(len(gdf))],
        "geometry": [json.dumps(mapping(shapely.set_precision(g, 1e-6))) for g in wgs.geometry],
    })
    return ValidatedLayer(file, sha, layer, features, errors, _frame([]))


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and the like
        return False


def _number(raw, prop: str, n: int, required: bool) -> tuple[int | float | None, str | None]:
    """A numeric property as a JSON number, or the reason it cannot be drawn/stored."""
    low, high, whole = NUMBER_RULES[prop]
    if _missing(raw) or (isinstance(raw, str) and not raw.strip()):
        if required:
            return None, t("object {n}: {field} ontbreekt (nodig om het object te tekenen)",
                           n=n, field=prop)
        return None, None
    if isinstance(raw, (bool, list, dict, tuple)) or not isinstance(
            raw, (int, float, str, np.integer, np.floating)):
        return None, t("object {n}: '{value}' is geen getal", n=n, value=_short(raw))
    try:
        value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    except (ValueError, OverflowError):
        return None, t("object {n}: '{value}' is geen getal", n=n, value=_short(raw))
    if not math.isfinite(value):
        return None, t("object {n}: '{value}' is geen eindig getal", n=n, value=_short(raw))
    if whole and not value.is_integer():
        return None, t("object {n}: {field} '{value}' is geen geheel getal", n=n, field=prop,
                       value=_short(raw))
    if low is not None and value < low:
        return None, t("object {n}: {field} {value} is kleiner dan {low}", n=n, field=prop,
                       value=_short(raw), low=low)
    if high is not None and value > high:
        return None, t("object {n}: {field} {value} is groter dan {high}", n=n, field=prop,
                       value=_short(raw), high=high)
    return (int(value) if value.is_integer() and abs(value) < 2**53 else value), None
