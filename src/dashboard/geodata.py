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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataSourceError
from shapely.geometry import box

from .cityconfig import BoundaryFiles, GeoLayer
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

# Reading outside files (an editor's layer upload, the official geodata folder, a download).
# Each extension has one GDAL driver; the content is checked before GDAL opens the file.
DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG",
           ".shp": "ESRI Shapefile", ".zip": "ESRI Shapefile"}
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")  # the header's application_id
# The parts a zipped Shapefile may hold (.xml: the .shp.xml metadata); nothing else.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml")
# A layer load: the editor's upload limit (Streamlit's server.maxUploadSize, 200 MB);
# also the uncompressed size of a zipped layer. Layers hold hundreds of features.
MAX_LAYER_BYTES = 200 * 1024 * 1024
# An official layer or download (Statbel's sectors of all Belgium are a few hundred MB).
MAX_GEODATA_BYTES = 1024 * 1024 * 1024
# A zip's directory is checked before anything is decompressed: at most this many members
# (a Shapefile has at most 9 parts; a publisher's download a readme and a licence besides),
MAX_ZIP_MEMBERS = 20
# and no member above ZIP_RATIO_FROM compressed more than MAX_ZIP_RATIO times (Shapefiles
# and GeoJSON compress 2-20 times; a zip bomb a thousand times).
MAX_ZIP_RATIO = 100
ZIP_RATIO_FROM = 1024 * 1024
# The sector table (Statbel's, one city: a few kB).
MAX_TABLE_BYTES = 20 * 1024 * 1024


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


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def _refuse(name: str, reason: str, field: str | None = None) -> GeodataError:
    return GeodataError.single(name, reason, field=field)


def check_zip_directory(zf: zipfile.ZipFile, name: str, max_total: int,
                        max_members: int = MAX_ZIP_MEMBERS) -> list[zipfile.ZipInfo]:
    """The archive's members, after checking its directory (nothing is decompressed):
    member count, total uncompressed size, compression ratio, encryption, unsafe names."""
    infos = zf.infolist()
    if len(infos) > max_members:
        raise _refuse(name, t("zip bevat {n} bestanden; de grens is {limit}", n=len(infos),
                              limit=max_members))
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise _refuse(name, t("zip is uitgepakt {size} MB; de grens is {limit}",
                              size=total // (1024 * 1024), limit=_mib(max_total)))
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(name, t("zip bevat een versleuteld bestand ('{member}')",
                                  member=info.filename))
        if (info.file_size > ZIP_RATIO_FROM
                and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)):
            raise _refuse(name, t("'{member}' is meer dan {ratio} keer samengeperst (zip-bom?); "
                                  "de grens is {ratio}:1", member=info.filename,
                                  ratio=MAX_ZIP_RATIO))
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in info.filename:
            raise _refuse(name, t("zip bevat een onveilige bestandsnaam ('{member}')",
                                  member=info.filename))
    return infos


def extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int
                   ) -> int:
    """Copy one member to ``target``, never more than ``budget`` bytes whatever its header
    says (zipfile stops at the declared size and checks the CRC); returns the bytes."""
    written = 0
    with zf.open(info) as src, target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > budget:
                raise zipfile.BadZipFile(t("meer gegevens dan de zip-index vermeldt"))
            dst.write(chunk)
    return written


def _extract_shapefile(path: Path, name: str, folder: Path, max_bytes: int) -> Path:
    """Unpack a zipped Shapefile into ``folder`` (flat; only Shapefile parts) and return
    its .shp; every member checked from the zip directory first."""
    if not zipfile.is_zipfile(path):
        raise _refuse(name, t("geen geldig zip-archief (afgebroken of beschadigd)"))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in check_zip_directory(zf, name, max_bytes)
                     if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            for info in infos:
                if "/" in info.filename or "\\" in info.filename:
                    raise _refuse(name, t("zip bevat mappen ('{member}'); zip de bestanden van "
                                          "de Shapefile zelf, zonder map", member=info.filename))
                suffix = Path(info.filename).suffix.lower()
                if suffix not in SHAPEFILE_PARTS:
                    raise _refuse(name, t("zip bevat '{member}'; toegelaten zijn alleen de "
                                          "delen van een Shapefile ({parts})",
                                          member=info.filename,
                                          parts=", ".join(SHAPEFILE_PARTS)))
            shps = [i for i in infos if i.filename.lower().endswith(".shp")]
            if len(shps) != 1:
                raise _refuse(name, t("zip bevat {n} .shp-bestanden; verwacht er precies één",
                                      n=len(shps)))
            budget = max_bytes
            for info in infos:
                budget -= extract_member(zf, info, folder / info.filename, budget)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise _refuse(name, t("zip-archief is beschadigd: {exc}", exc=exc)) from None
    return folder / shps[0].filename


def _no_value(_text: str) -> int:
    return 0  # numbers are not kept while checking a GeoJSON's structure


def _crs_members(doc) -> list:
    """Every "crs" member GDAL reads (document, features, geometries), not properties."""
    found, todo = [], [doc]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            if "crs" in node:
                found.append(node["crs"])
            todo.extend(v for k, v in node.items()
                        if k not in ("properties", "coordinates", "crs"))
        elif isinstance(node, list):
            todo.extend(v for v in node if isinstance(v, (dict, list)))
    return found


def _check_geojson(path: Path, name: str) -> None:
    """The file is a GeoJSON FeatureCollection or Feature (so that no other GDAL driver,
    e.g. OGR_VRT or GDALG, can claim it); a CRS only by name (a 'link' CRS is fetched)."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"), parse_float=_no_value,
                         parse_int=_no_value, parse_constant=_no_value)
    except (ValueError, RecursionError) as exc:
        raise _refuse(name, t("onleesbaar als geodata: geen geldige GeoJSON ({exc})",
                              exc=str(exc)[:120])) from None
    kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
    if kind not in ("FeatureCollection", "Feature"):
        raise _refuse(name, t("onleesbaar als geodata: geen GeoJSON-FeatureCollection of "
                              "-Feature (type '{kind}')", kind=str(kind)[:40]))
    for crs in _crs_members(doc):
        if crs is None:
            continue
        if not (isinstance(crs, dict) and crs.get("type") == "name"
                and isinstance(crs.get("properties"), dict)
                and isinstance(crs["properties"].get("name"), str)):
            raise _refuse(name, t("coördinatenstelsel alleen met naam (\"type\": \"name\", "
                                  "bv. EPSG:31370), geen verwijzing"), field="crs")


def _check_gpkg(path: Path, name: str) -> None:
    """A GeoPackage: an SQLite file whose application_id says GPKG, with gpkg_contents and
    no virtual table other than the R*Tree spatial index."""
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise _refuse(name, t("geen GeoPackage (geen SQLite-bestand)"))
    if header[68:72] not in GPKG_APPLICATION_IDS:
        raise _refuse(name, t("geen GeoPackage (SQLite-bestand zonder GeoPackage-kenmerk)"))
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise _refuse(name, t("onleesbaar als geodata: {exc}", exc=exc)) from None
    if not any(kind == "table" and tbl == "gpkg_contents" for kind, tbl, _sql in rows):
        raise _refuse(name, t("geen GeoPackage (tabel gpkg_contents ontbreekt)"))
    for _kind, tbl, sql in rows:
        text = " ".join(str(sql or "").upper().split())
        if text.startswith("CREATE VIRTUAL TABLE") and " USING RTREE" not in text:
            raise _refuse(name, t("GeoPackage met een virtuele tabel ('{table}') wordt niet "
                                  "gelezen", table=tbl))


def _check_shp(path: Path, name: str) -> None:
    with path.open("rb") as fh:
        if fh.read(4) != b"\x00\x00\x27\x0a":
            raise _refuse(name, t("geen Shapefile (.shp zonder Shapefile-kop)"))


def _read_with(target: Path, driver: str, name: str) -> gpd.GeoDataFrame:
    """Read ``target`` only if GDAL opens it with ``driver`` (checked before any feature)."""
    try:
        found = pyogrio.read_info(str(target)).get("driver")
        if found != driver:
            raise _refuse(name, t("GDAL herkent het bestand als '{found}', niet als {driver}",
                                  found=found, driver=driver))
        return gpd.read_file(str(target), engine="pyogrio")
    except (DataSourceError, ValueError, RuntimeError, OSError,
            shapely.errors.GEOSException) as exc:
        raise _refuse(name, t("onleesbaar als geodata: {exc}", exc=exc)) from None


def read_layer(path: Path, max_bytes: int = MAX_GEODATA_BYTES, name: str | None = None
               ) -> gpd.GeoDataFrame:
    """Read one vector file, refusing what we cannot trust (clear message, no traceback).

    Only the driver the file's extension promises (GeoJSON, GeoPackage, Shapefile, zipped
    or not), after checking the content: GDAL never chooses a driver itself (an OGR VRT,
    a GDALG pipeline or a CSV named .geojson is refused, as is any /vsi path)."""
    path = Path(path)
    name = name or str(path)
    if "/vsi" in str(path).lower() or "/vsi" in name.lower():
        raise _refuse(name, t("GDAL-pad (/vsi…) wordt niet gelezen"))
    if not path.is_file():
        raise _refuse(name, t("bestand niet gevonden"))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _refuse(
            name, t("onbekend bestandstype '{suffix}'; verwacht GeoJSON, GeoPackage (.gpkg) of "
                    "Shapefile (.shp of .zip)", suffix=suffix or t("(geen)")))
    size = path.stat().st_size
    if size == 0:
        raise _refuse(name, t("leeg bestand (0 bytes)"))
    if size > max_bytes:
        raise _refuse(name, t("bestand is groter dan {limit}", limit=_mib(max_bytes)))
    driver = DRIVERS[suffix]
    if suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="layer-") as tmp:
            shp = _extract_shapefile(path, name, Path(tmp), max_bytes)
            _check_shp(shp, name)
            gdf = _read_with(shp, driver, name)
    else:
        {".geojson": _check_geojson, ".json": _check_geojson, ".gpkg": _check_gpkg,
         ".shp": _check_shp}[suffix](path, name)
        gdf = _read_with(path, driver, name)
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


def _filter_municipality(gdf: gpd.GeoDataFrame, cfg: GeoLayer, nis: str, file: str):
    codes = gdf[cfg.code_field].astype(str)
    if cfg.filter == "code_equals":
        keep = codes == nis
    else:
        keep = codes.str.startswith(nis)
    out = gdf[keep.to_numpy()].copy()
    if out.empty:
        sample = ", ".join(sorted(codes.unique())[:5])
        raise GeodataError.single(
            file, t("bevat geen gebieden van de ingestelde gemeente {nis} (gevonden codes "
                    "o.a.: {sample})", nis=nis, sample=sample), field=cfg.code_field)
    return out


def _clean_name(name: str, city: str) -> str:
    for suffix in (f" ({city})", " (Dg.)"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _find_file(folder: Path, patterns: Sequence[str]) -> Path | None:
    """The first file matching the configured names/glob patterns, in their order."""
    for pattern in patterns:
        matches = sorted(p for p in folder.glob(pattern) if p.is_file())
        if matches:
            return matches[0]
    return None


def city_levels(settings: Settings) -> tuple[str, ...]:
    """The area levels this city configures (``geodata.layers``), coarsest first."""
    layers = settings.city.geodata.levels
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
    bench = settings.city.benchmark
    return bench.member_names if bench is not None else {}


def _read_configured(folder: Path, cfg: GeoLayer | BoundaryFiles
                     ) -> tuple[Path, gpd.GeoDataFrame] | None:
    """The first file of ``cfg.files`` in ``folder``, read and checked for its code and
    name fields; None when none is there."""
    path = _find_file(folder, cfg.files)
    if path is None:
        return None
    gdf = read_layer(path)
    for fld in (cfg.code_field, cfg.name_field):
        if fld not in gdf.columns:
            raise GeodataError.single(str(path), t("kolom ontbreekt in de attributen"),
                                      field=fld)
    return path, gdf


def read_benchmark_layer(folder: Path, settings: Settings) -> gpd.GeoDataFrame | None:
    """The municipal boundaries of the benchmark group (level ``peer``, this city included);
    None when the group or its file is not configured / not in ``folder``."""
    members = benchmark_members(settings)
    cfg = settings.city.benchmark.geodata if settings.city.benchmark else None
    found = _read_configured(folder, cfg) if members and cfg else None
    if found is None:
        return None
    path, gdf = found
    codes = gdf[cfg.code_field].astype(str)
    gdf = gdf[codes.isin(members).to_numpy()].copy()
    missing = set(members) - set(gdf[cfg.code_field].astype(str))
    if missing:
        raise GeodataError.single(str(path), t("ontbrekende codes: {codes}",
                                               codes=", ".join(sorted(missing))),
                                  field=cfg.code_field)
    validate_polygons(gdf, str(path), cfg.code_field)
    out = gpd.GeoDataFrame(
        {"code": gdf[cfg.code_field].astype(str).to_numpy(),
         "name": gdf[cfg.code_field].astype(str).map(members).to_numpy(),
         "level": PEER_LEVEL, "quality": "official"},
        geometry=gdf.geometry.to_crs(WORK_CRS).to_numpy(), crs=WORK_CRS)
    out.attrs["source"] = path.name
    out.attrs["sha256"] = _sha256(path)
    return out.sort_values("code").reset_index(drop=True)


def read_official_level(folder: Path, level: str, settings: Settings) -> gpd.GeoDataFrame | None:
    """Read, validate and filter one level from ``folder``; None when no file is there."""
    cfg = settings.city.geodata.layer(level)
    found = _read_configured(folder, cfg)
    if found is None:
        return None
    path, gdf = found
    gdf = _filter_municipality(gdf, cfg, settings.nis_code, str(path))
    validate_polygons(gdf, str(path), cfg.code_field)
    expected = expected_areas(settings)
    found = set(gdf[cfg.code_field].astype(str))
    expected_codes = (found if expected is None
                      else set(expected.loc[expected["level"] == level, "code"]))
    missing, unknown = expected_codes - found, found - expected_codes
    if missing or unknown:
        parts = []
        if missing:
            parts.append(t("ontbrekende codes: {codes}", codes=", ".join(sorted(missing))))
        if unknown:
            parts.append(t("onverwachte codes: {codes}", codes=", ".join(sorted(unknown))))
        raise GeodataError.single(str(path), "; ".join(parts), field=cfg.code_field)
    out = gpd.GeoDataFrame(
        {
            "code": gdf[cfg.code_field].astype(str).to_numpy(),
            "name": [_clean_name(str(n), settings.city.name) for n in gdf[cfg.name_field]],
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
    table = settings.city.geodata.sector_table
    expected = expected_areas(settings)
    sectors = expected[expected["level"] == "sector"].copy()
    sectors["wijk_code"] = sectors["parent_codes"].map(lambda p: p[0])
    if folder is not None and table and (folder / table).exists():
        path = folder / table
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise GeodataError.single(str(path), t("bestand is groter dan {limit}",
                                                   limit=_mib(MAX_TABLE_BYTES)))
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise GeodataError.single(str(path), t("onleesbare CSV: {error}",
                                                   error=str(exc)[:200])) from None
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
    lat, lon = settings.city.centre
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
        files = ", ".join(settings.city.geodata.layer("wijk").files)
        raise GeodataError.single(str(source), t("geen wijkenlaag gevonden (verwacht een "
                                                 "van: {files})", files=files))
    if "sector" in levels and "sector" not in layers and has_table:
        lat, lon = settings.city.centre
        centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=STORE_CRS).to_crs(WORK_CRS).iloc[0]
        sectors = _sector_table(source, settings)
        layers["sector"] = approximate_sectors(layers["wijk"], sectors, (centre.x, centre.y),
                                               settings.city.illustrative_seed)
        layers["sector"].attrs["source"] = (
            f"benaderd binnen {layers['wijk'].attrs['source']}")
    for level in ("deelgemeente", "gemeente"):
        if level in levels and level not in layers:
            if "sector" not in layers or not has_table:
                files = ", ".join(settings.city.geodata.layer(level).files)
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
        "attribution": " ".join(settings.city.geodata.attribution.split()),
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
    urls = settings.city.geodata.download
    with tempfile.TemporaryDirectory() as tmp:
        for level, url in urls:
            files = settings.city.geodata.layer(level).files
            name = url.rsplit("/", 1)[-1]
            target = Path(tmp) / (files[0] if not name.endswith(".zip") else name)
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp, target.open("wb") as fh:
                    while chunk := resp.read(1 << 20):
                        fh.write(chunk)
                        if fh.tell() > MAX_GEODATA_BYTES:
                            raise GeodataError.single(url, t(
                                "download is groter dan {limit}",
                                limit=_mib(MAX_GEODATA_BYTES)))
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise GeodataError.single(url, t("downloaden mislukt ({exc}); geen internet? "
                                                 "Gebruik dan 'python -m dashboard geodata "
                                                 "--from MAP'", exc=exc)) from None
            if target.suffix == ".zip" and level == "sector":
                _extract_download(target, Path(tmp), url)
        return import_geodata(Path(tmp), settings)


def _extract_download(archive: Path, folder: Path, name: str) -> None:
    """Unpack a publisher's zip (its directory checked first; sizes bounded while
    copying; names kept inside ``folder``). What it holds is read by ``read_layer``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            budget = MAX_GEODATA_BYTES
            for info in check_zip_directory(zf, name, MAX_GEODATA_BYTES):
                target = folder.joinpath(*info.filename.replace("\\", "/").split("/"))
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                budget -= extract_member(zf, info, target, budget)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise GeodataError.single(name, t("zip-archief is beschadigd: {exc}",
                                          exc=exc)) from None
