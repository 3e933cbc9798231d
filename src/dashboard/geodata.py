"""Official district geometry: read, validate, reproject, simplify; the geometry store.

Input: a folder with official layers (GeoJSON, GeoPackage, Shapefile zipped or not) in
EPSG:31370 (Lambert 72), EPSG:3812 (Lambert 2008) or EPSG:4326 (WGS84), named as in the
city configuration (``data/city.yaml``). Output: the geometry store under ``geo/``: one
GeoParquet file per level (sector, wijk, deelgemeente, gemeente) in WGS84, simplified
as a coverage so neighbouring districts keep their shared borders, and ``manifest.json``
saying where each level came from and how good it is:

- ``official``: the publisher's polygons.
- ``approximate``: no official polygons were available (Statbel's sector layer is not
  in the local folder); each wijk is divided into as many cells as it has sectors. The
  UI says so on every map that uses them.
- ``schematic``: no official layer at all; a labelled grid so the app still works.

Every check runs before anything is written; a failing import leaves the store as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyogrio.errors import DataSourceError
from shapely.geometry import box

from .errors import GeodataError, Problem
from .i18n import t
from .settings import Settings

ALLOWED_EPSG = {31370: "Lambert 72", 3812: "Lambert 2008", 4326: "WGS84"}
WORK_CRS = 31370  # metres, for validation, simplification and approximation
STORE_CRS = 4326
SUPPORTED_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
# Simplification tolerance in metres per level (coverage-preserving).
TOLERANCE_M = {"sector": 8.0, "wijk": 8.0, "deelgemeente": 10.0, "gemeente": 10.0}
LEVEL_ORDER = ("gemeente", "deelgemeente", "wijk", "sector")
PEER_LEVEL = "peer"  # the benchmark group's municipalities (not one of the city's levels)
TOLERANCE_M[PEER_LEVEL] = 60.0
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class LevelReport:
    level: str
    count: int
    quality: str
    source: str


# ---------------------------------------------------------------------------- reading
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_layer(path: Path) -> gpd.GeoDataFrame:
    """Read one vector file, refusing what we cannot trust (clear message, no traceback)."""
    name = str(path)
    if not path.exists():
        raise GeodataError.single(name, t("bestand niet gevonden"))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise GeodataError.single(
            name, t("onbekend bestandstype '{suffix}'; verwacht GeoJSON, GeoPackage (.gpkg) of "
                    "Shapefile (.shp of .zip)", suffix=suffix or t("(geen)")))
    if path.stat().st_size == 0:
        raise GeodataError.single(name, t("leeg bestand (0 bytes)"))
    target = str(path)
    if suffix == ".zip":
        if not zipfile.is_zipfile(path):
            raise GeodataError.single(name, t("geen geldig zip-archief (afgebroken of "
                                              "beschadigd)"))
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
                members = zf.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise GeodataError.single(name, t("zip-archief is beschadigd: {exc}",
                                              exc=exc)) from None
        if bad is not None:
            raise GeodataError.single(name, t("zip-archief is beschadigd (lid '{bad}')",
                                              bad=bad))
        shps = [m for m in members if m.lower().endswith(".shp")]
        if len(shps) != 1:
            raise GeodataError.single(
                name, t("zip bevat {n} .shp-bestanden; verwacht er precies één", n=len(shps)))
        target = f"/vsizip/{path}/{shps[0]}"
    try:
        gdf = gpd.read_file(target, engine="pyogrio")
    except (DataSourceError, ValueError, RuntimeError, OSError,
            shapely.errors.GEOSException) as exc:
        raise GeodataError.single(name, t("onleesbaar als geodata: {exc}", exc=exc)) from None
    if len(gdf) == 0:
        raise GeodataError.single(name, t("bevat geen objecten"))
    if gdf.crs is None:
        raise GeodataError.single(
            name, t("geen coördinatenstelsel (CRS) opgegeven; verwacht EPSG:31370, 3812 of "
                    "4326"),
            field="crs")
    epsg = gdf.crs.to_epsg()
    if epsg not in ALLOWED_EPSG:
        raise GeodataError.single(
            name, t("coördinatenstelsel {crs} wordt niet ondersteund; verwacht Lambert 72 "
                    "(EPSG:31370), Lambert 2008 (EPSG:3812) of WGS84 (EPSG:4326)",
                    crs=gdf.crs.to_string()),
            field="crs")
    if epsg == 4326:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise GeodataError.single(
                name, t("coördinaten passen niet bij WGS84 (lengte/breedte); het bestand "
                        "vermeldt waarschijnlijk zijn coördinatenstelsel niet (bv. Lambert 72 "
                        "zonder CRS)"),
                field="crs")
    return gdf


def validate_polygons(gdf: gpd.GeoDataFrame, file: str, code_field: str) -> None:
    """Every feature a valid (multi)polygon; report each bad feature by its code."""
    problems = []
    for i, (code, geom) in enumerate(zip(gdf[code_field], gdf.geometry), start=1):
        label = t("object {i} ({field}={code})", i=i, field=code_field, code=code)
        if geom is None or geom.is_empty:
            problems.append(Problem(file, i, "geometry", t("{label}: lege geometrie",
                                                           label=label)))
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(file, i, "geometry",
                                    t("{label}: {kind}, verwacht een polygoon", label=label,
                                      kind=geom.geom_type)))
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            problems.append(Problem(file, i, "geometry", t("{label}: ongeldige polygoon "
                                                           "({reason})", label=label,
                                                           reason=reason)))
    if problems:
        raise GeodataError(problems)


def _filter_municipality(gdf: gpd.GeoDataFrame, cfg: dict, nis: str, file: str):
    codes = gdf[cfg["code_field"]].astype(str)
    if cfg.get("filter") == "code_equals":
        keep = codes == nis
    else:
        keep = codes.str.startswith(nis)
    out = gdf[keep.to_numpy()].copy()
    if out.empty:
        sample = ", ".join(sorted(codes.unique())[:5])
        raise GeodataError.single(
            file, t("bevat geen gebieden van de ingestelde gemeente {nis} (gevonden codes "
                    "o.a.: {sample})", nis=nis, sample=sample), field=cfg["code_field"])
    return out


def _clean_name(name: str, city: str) -> str:
    for suffix in (f" ({city})", " (Dg.)"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _find_file(folder: Path, patterns: list[str]) -> Path | None:
    """The first file matching the configured names/glob patterns, in their order."""
    for pattern in patterns:
        matches = sorted(p for p in folder.glob(pattern) if p.is_file())
        if matches:
            return matches[0]
    return None


def city_levels(settings: Settings) -> tuple[str, ...]:
    """The area levels this city configures (``geodata.layers``), coarsest first."""
    layers = settings.city["geodata"]["layers"]
    return tuple(lv for lv in LEVEL_ORDER if lv in layers)


def expected_areas(settings: Settings) -> pd.DataFrame | None:
    """The project's own table of area codes and names (public facts), all levels; None
    for a city configured without one (its areas then come from the official layers)."""
    if settings.areas_file is None:
        return None
    df = pd.read_csv(settings.areas_file, dtype=str, keep_default_na=False)
    df["parent_codes"] = df["parent_codes"].map(lambda s: [p for p in s.split(";") if p])
    return df


def areas_from_geometry(settings: Settings, manifest: dict) -> pd.DataFrame:
    """Areas of a city without an areas table: every imported level, each area's parent
    being the municipality (the only hierarchy the code prefixes guarantee)."""
    frames = []
    for level in manifest.get("levels", {}):
        gdf = load_level(settings.geo_dir, level)
        parents = [[] if level == "gemeente" else [settings.nis_code]] * len(gdf)
        frames.append(pd.DataFrame({"code": gdf["code"].astype(str), "level": level,
                                    "name": gdf["name"].astype(str), "parent_codes": parents}))
    return pd.concat(frames, ignore_index=True)


def benchmark_members(settings: Settings) -> dict[str, str]:
    """NIS code → name of the benchmark group's members (this city included); {} if none."""
    bench = settings.city.get("benchmark") or {}
    return {str(k): str(v) for k, v in (bench.get("members") or {}).items()}


def _read_configured(folder: Path, cfg: dict) -> tuple[Path, gpd.GeoDataFrame] | None:
    """The first file of ``cfg["files"]`` in ``folder``, read and checked for its code and
    name fields; None when none is there."""
    path = _find_file(folder, cfg["files"])
    if path is None:
        return None
    gdf = read_layer(path)
    for fld in (cfg["code_field"], cfg["name_field"]):
        if fld not in gdf.columns:
            raise GeodataError.single(str(path), t("kolom ontbreekt in de attributen"),
                                      field=fld)
    return path, gdf


def read_benchmark_layer(folder: Path, settings: Settings) -> gpd.GeoDataFrame | None:
    """The municipal boundaries of the benchmark group (level ``peer``, this city included);
    None when the group or its file is not configured / not in ``folder``."""
    members = benchmark_members(settings)
    cfg = (settings.city.get("benchmark") or {}).get("geodata")
    found = _read_configured(folder, cfg) if members and cfg else None
    if found is None:
        return None
    path, gdf = found
    codes = gdf[cfg["code_field"]].astype(str)
    gdf = gdf[codes.isin(members).to_numpy()].copy()
    missing = set(members) - set(gdf[cfg["code_field"]].astype(str))
    if missing:
        raise GeodataError.single(str(path), t("ontbrekende codes: {codes}",
                                               codes=", ".join(sorted(missing))),
                                  field=cfg["code_field"])
    validate_polygons(gdf, str(path), cfg["code_field"])
    out = gpd.GeoDataFrame(
        {"code": gdf[cfg["code_field"]].astype(str).to_numpy(),
         "name": gdf[cfg["code_field"]].astype(str).map(members).to_numpy(),
         "level": PEER_LEVEL, "quality": "official"},
        geometry=gdf.geometry.to_crs(WORK_CRS).to_numpy(), crs=WORK_CRS)
    out.attrs["source"] = path.name
    out.attrs["sha256"] = _sha256(path)
    return out.sort_values("code").reset_index(drop=True)


def read_official_level(folder: Path, level: str, settings: Settings) -> gpd.GeoDataFrame | None:
    """Read, validate and filter one level from ``folder``; None when no file is there."""
    cfg = settings.city["geodata"]["layers"][level]
    found = _read_configured(folder, cfg)
    if found is None:
        return None
    path, gdf = found
    gdf = _filter_municipality(gdf, cfg, settings.nis_code, str(path))
    validate_polygons(gdf, str(path), cfg["code_field"])
    expected = expected_areas(settings)
    found = set(gdf[cfg["code_field"]].astype(str))
    expected_codes = (found if expected is None
                      else set(expected.loc[expected["level"] == level, "code"]))
    missing, unknown = expected_codes - found, found - expected_codes
    if missing or unknown:
        parts = []
        if missing:
            parts.append(t("ontbrekende codes: {codes}", codes=", ".join(sorted(missing))))
        if unknown:
            parts.append(t("onverwachte codes: {codes}", codes=", ".join(sorted(unknown))))
        raise GeodataError.single(str(path), "; ".join(parts), field=cfg["code_field"])
    out = gpd.GeoDataFrame(
        {
            "code": gdf[cfg["code_field"]].astype(str).to_numpy(),
            "name": [_clean_name(str(n), settings.city["name"]) for n in gdf[cfg["name_field"]]],
            "level": level,
            "quality": "official",
        },
        geometry=gdf.geometry.to_crs(WORK_CRS).to_numpy(),
        crs=WORK_CRS,
    )
    out.attrs["source"] = path.name
    out.attrs["sha256"] = _sha256(path)
    return out.sort_values("code").reset_index(drop=True)


# ---------------------------------------------------------------------- derived layers
def _sector_table(folder: Path | None, settings: Settings) -> pd.DataFrame:
    """Sector codes, names and their wijk: Statbel's CSV if given, else the project table."""
    table = settings.city["geodata"].get("sector_table")
    expected = expected_areas(settings)
    sectors = expected[expected["level"] == "sector"].copy()
    sectors["wijk_code"] = sectors["parent_codes"].map(lambda p: p[0])
    if folder is not None and table and (folder / table).exists():
        path = folder / table
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        needed = {"sector_code", "sector_naam", "wijk_code"}
        if not needed <= set(raw.columns):
            raise GeodataError.single(str(path), t("kolommen sector_code, sector_naam, "
                                                   "wijk_code verwacht"))
        raw = raw[raw["wijk_code"].isin(set(sectors["wijk_code"]))]
        if set(raw["sector_code"]) != set(sectors["code"]):
            diff = set(raw["sector_code"]) ^ set(sectors["code"])
            raise GeodataError.single(str(path), t("sectorcodes wijken af van de verwachte: "
                                                   "{codes}", codes=", ".join(sorted(diff)[:10])),
                                      field="sector_code")
        sectors = sectors.merge(raw[["sector_code", "sector_naam"]], left_on="code",
                                right_on="sector_code")
        sectors["name"] = sectors["sector_naam"]
    return sectors[["code", "name", "wijk_code"]].sort_values("code").reset_index(drop=True)


def _partition(polygon, n: int, seed: int):
    """Split ``polygon`` into ``n`` compact cells that exactly cover it.

    Deterministic: a regular grid of sample points inside the polygon, k-means (Lloyd)
    from a seeded start, then the Voronoi cells of the centres clipped to the polygon.
    """
    if n == 1:
        return [polygon]
    minx, miny, maxx, maxy = polygon.bounds
    step = max(maxx - minx, maxy - miny) / 60
    xs, ys = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    inside = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
    pts = pts[inside]
    rng = np.random.default_rng(seed)
    centres = pts[rng.choice(len(pts), size=n, replace=False)]
    for _ in range(30):
        d = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        nearest = d.argmin(axis=1)
        for k in range(n):
            members = pts[nearest == k]
            if len(members):
                centres[k] = members.mean(axis=0)
    cells = shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=box(*polygon.bounds))
    parts = [c.intersection(polygon) for c in shapely.get_parts(cells)]
    # Order cells like their centres so assignment is stable.
    order = [next(i for i, p in enumerate(parts) if p.contains(shapely.Point(c)) or
                  p.distance(shapely.Point(c)) < 1e-6) for c in centres]
    return [parts[i] for i in order]


def approximate_sectors(wijken: gpd.GeoDataFrame, sectors: pd.DataFrame, centre_xy,
                        seed: int) -> gpd.GeoDataFrame:
    """Approximate sector polygons inside each real wijk polygon (flagged approximate).

    Within a wijk, cells nearer to the city centre get the lower sector codes (Statbel's
    numbering runs roughly outward from each core); this is a heuristic, nothing more.
    """
    rows = []
    cx, cy = centre_xy
    for wijk_code, group in sectors.groupby("wijk_code", sort=True):
        poly = wijken.loc[wijken["code"] == wijk_code].geometry.iloc[0]
        cells = _partition(poly, len(group), seed + int.from_bytes(wijk_code.encode(), "big") % 997)
        cells.sort(key=lambda c: (c.centroid.x - cx) ** 2 + (c.centroid.y - cy) ** 2)
        for (code, name), cell in zip(group[["code", "name"]].itertuples(index=False), cells):
            rows.append({"code": code, "name": name, "level": "sector",
                         "quality": "approximate", "geometry": cell})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    return out.sort_values("code").reset_index(drop=True)


def schematic_layers(settings: Settings) -> dict[str, gpd.GeoDataFrame]:
    """A labelled grid so the app works with no official geodata at all.

    Sectors are square cells grouped per wijk; wijken, deelgemeenten and the gemeente
    are unions of their sectors, so the hierarchy stays consistent.
    """
    areas = expected_areas(settings)
    sectors = _sector_table(None, settings)
    lat, lon = settings.city["centre"]
    origin = gpd.GeoSeries([shapely.Point(lon, lat)], crs=STORE_CRS).to_crs(WORK_CRS).iloc[0]
    cell = 450.0
    rows = []
    wijk_codes = sorted(sectors["wijk_code"].unique())
    per_row = 4
    block = 4  # a wijk occupies a block of up to 4 x 4 cells
    for w_i, wijk_code in enumerate(wijk_codes):
        bx = (w_i % per_row) * (block + 1) * cell - 2 * (block + 1) * cell
        by = -(w_i // per_row) * (block + 1) * cell + 2 * (block + 1) * cell
        members = sectors[sectors["wijk_code"] == wijk_code].reset_index(drop=True)
        for s_i, (code, name) in enumerate(members[["code", "name"]].itertuples(index=False)):
            x = origin.x + bx + (s_i % block) * cell
            y = origin.y + by - (s_i // block) * cell
            rows.append({"code": code, "name": name, "level": "sector", "quality": "schematic",
                         "geometry": box(x, y - cell, x + cell, y)})
    sec = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORK_CRS)
    parents = areas[areas["level"] == "sector"].set_index("code")["parent_codes"]
    out = {"sector": sec.sort_values("code").reset_index(drop=True)}
    for level, idx in (("wijk", 0), ("deelgemeente", 1), ("gemeente", 2)):
        key = sec["code"].map(lambda c, i=idx: parents[c][i])
        dissolved = sec.assign(code=key).dissolve(by="code").reset_index()
        names = areas.set_index("code")["name"]
        out[level] = gpd.GeoDataFrame(
            {"code": dissolved["code"], "name": dissolved["code"].map(names), "level": level,
             "quality": "schematic"}, geometry=dissolved.geometry.to_numpy(), crs=WORK_CRS)
    return out


# ------------------------------------------------------------------------ simplifying
def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage keeping shared borders shared (GEOS coverage simplify)."""
    geoms = shapely.coverage_simplify(gdf.geometry.to_numpy(), tolerance)
    geoms = shapely.make_valid(geoms)
    out = gdf.copy()
    out.geometry = geoms
    return out


# ----------------------------------------------------------------------------- store
def import_geodata(source: Path, settings: Settings, allow_schematic: bool = False
                   ) -> list[LevelReport]:
    """Import official layers from ``source`` into the geometry store (all or nothing)."""
    source = Path(source)
    if not source.is_dir():
        raise GeodataError.single(str(source), t("map met geodata niet gevonden"))
    levels = city_levels(settings)
    layers: dict[str, gpd.GeoDataFrame] = {}
    for level in levels:
        gdf = read_official_level(source, level, settings)
        if gdf is not None:
            layers[level] = gdf
    has_table = settings.areas_file is not None
    if "wijk" not in layers and "sector" in layers and has_table:
        # Wijken are aggregates of statistical sectors: dissolve the official sectors.
        layers["wijk"] = _dissolve_from_sectors(layers["sector"], "wijk", settings)
    if "wijk" not in layers:
        if allow_schematic and has_table:
            return write_store(schematic_layers(settings), settings, {"source": "schematic"},
                               _peer_layer(source, settings))
        files = ", ".join(settings.city["geodata"]["layers"]["wijk"]["files"])
        raise GeodataError.single(str(source), t("geen wijkenlaag gevonden (verwacht een "
                                                 "van: {files})", files=files))
    if "sector" in levels and "sector" not in layers and has_table:
        lat, lon = settings.city["centre"]
        centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=STORE_CRS).to_crs(WORK_CRS).iloc[0]
        sectors = _sector_table(source, settings)
        layers["sector"] = approximate_sectors(layers["wijk"], sectors, (centre.x, centre.y),
                                               int(settings.city.get("illustrative_seed", 0)))
        layers["sector"].attrs["source"] = (
            f"benaderd binnen {layers['wijk'].attrs['source']}")
    for level in ("deelgemeente", "gemeente"):
        if level in levels and level not in layers:
            if "sector" not in layers or not has_table:
                files = ", ".join(settings.city["geodata"]["layers"][level]["files"])
                raise GeodataError.single(str(source), t(
                    "geen laag voor niveau {level} gevonden (verwacht een van: {files})",
                    level=level, files=files))
            # derive from the sectors' parents (flagged approximate unless sectors are official)
            layers[level] = _dissolve_from_sectors(layers["sector"], level, settings)
    return write_store(layers, settings, {"source": str(source)},
                       _peer_layer(source, settings))


def _peer_layer(source: Path, settings: Settings) -> gpd.GeoDataFrame | None:
    return read_benchmark_layer(source, settings)


def _dissolve_from_sectors(sectors: gpd.GeoDataFrame, level: str, settings: Settings):
    """A coarser level as the union of its sectors (official sectors → official result)."""
    areas = expected_areas(settings)
    parents = areas[areas["level"] == "sector"].set_index("code")["parent_codes"]
    idx = {"wijk": 0, "deelgemeente": 1, "gemeente": 2}[level]
    key = sectors["code"].map(lambda c: parents[c][idx])
    dissolved = sectors.assign(code=key).dissolve(by="code").reset_index()
    names = areas.set_index("code")["name"]
    quality = "official" if (sectors["quality"] == "official").all() else "approximate"
    out = gpd.GeoDataFrame(
        {"code": dissolved["code"], "name": dissolved["code"].map(names), "level": level,
         "quality": quality}, geometry=dissolved.geometry.to_numpy(), crs=WORK_CRS)
    out.attrs["source"] = f"samengevoegd uit sectoren ({sectors.attrs.get('source', '')})"
    return out


def write_store(layers: dict[str, gpd.GeoDataFrame], settings: Settings, info: dict,
                peers: gpd.GeoDataFrame | None = None) -> list[LevelReport]:
    """Write the levels atomically-per-file into ``geo/`` (manifest last); ``peers``: the
    benchmark group's boundaries, kept under ``benchmark`` in the manifest."""
    geo_dir = settings.geo_dir
    geo_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=geo_dir))
    reports = []
    manifest = {
        "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nis_code": settings.nis_code,
        "attribution": " ".join(settings.city["geodata"]["attribution"].split()),
        "levels": {},
        **info,
    }
    written = [lv for lv in LEVEL_ORDER if lv in layers]
    try:
        for level in written:
            gdf = layers[level]
            simplified = simplify_coverage(gdf, TOLERANCE_M[level]).to_crs(STORE_CRS)
            simplified = simplified[["code", "name", "level", "quality", "geometry"]]
            target = staging / f"{level}.parquet"
            simplified.to_parquet(target, index=False)
            quality = str(gdf["quality"].iloc[0])
            source = gdf.attrs.get("source", info.get("source", ""))
            manifest["levels"][level] = {
                "count": len(gdf), "quality": quality, "source": source,
                "source_sha256": gdf.attrs.get("sha256"), "file_sha256": _sha256(target),
            }
            reports.append(LevelReport(level, len(gdf), quality, source))
        if peers is not None:
            target = staging / f"{PEER_LEVEL}.parquet"
            simplify_coverage(peers, TOLERANCE_M[PEER_LEVEL]).to_crs(STORE_CRS)[
                ["code", "name", "level", "quality", "geometry"]].to_parquet(target, index=False)
            manifest["benchmark"] = {
                "count": len(peers), "quality": "official",
                "source": peers.attrs.get("source", ""),
                "source_sha256": peers.attrs.get("sha256"), "file_sha256": _sha256(target)}
            written.append(PEER_LEVEL)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                        encoding="utf-8")
        for level in written:
            os.replace(staging / f"{level}.parquet", geo_dir / f"{level}.parquet")
        os.replace(staging / MANIFEST, geo_dir / MANIFEST)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return reports


def read_manifest(geo_dir: Path) -> dict | None:
    path = Path(geo_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def load_level(geo_dir: Path, level: str) -> gpd.GeoDataFrame:
    """One level of the geometry store, WGS84, columns code/name/level/quality/geometry."""
    return gpd.read_parquet(Path(geo_dir) / f"{level}.parquet")


def ensure_geometry(settings: Settings) -> dict:
    """Make sure a geometry store exists: import official data if configured, else schematic.

    Called on first start of the app and by ``build``. Returns the manifest.
    """
    manifest = read_manifest(settings.geo_dir)
    wants_official = settings.geodata_dir is not None
    stale = (manifest is not None and wants_official
             and (manifest.get("nis_code") != settings.nis_code
                  or (benchmark_members(settings) and "benchmark" not in manifest
                      and read_benchmark_layer(settings.geodata_dir, settings) is not None)))
    if manifest is not None and not stale and (manifest.get("source") != "schematic"
                                               or not wants_official):
        return manifest
    if wants_official:
        import_geodata(settings.geodata_dir, settings, allow_schematic=True)
    else:
        write_store(schematic_layers(settings), settings, {"source": "schematic"})
    return read_manifest(settings.geo_dir)


def download_geodata(settings: Settings, timeout: float = 30.0) -> list[LevelReport]:
    """Fetch the publishers' files (configured URLs) into a temp folder, then import."""
    urls: dict = settings.city["geodata"].get("download", {})
    with tempfile.TemporaryDirectory() as tmp:
        for level, url in urls.items():
            files = settings.city["geodata"]["layers"][level]["files"]
            name = url.rsplit("/", 1)[-1]
            target = Path(tmp) / (files[0] if not name.endswith(".zip") else name)
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp, target.open("wb") as fh:
                    shutil.copyfileobj(resp, fh)
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise GeodataError.single(url, t("downloaden mislukt ({exc}); geen internet? "
                                                 "Gebruik dan 'python -m dashboard geodata "
                                                 "--from MAP'", exc=exc)) from None
            if target.suffix == ".zip" and level == "sector":
                with zipfile.ZipFile(target) as zf:
                    zf.extractall(tmp)
        return import_geodata(Path(tmp), settings)
