"""Reading official and uploaded vector files: zip checks, one GDAL driver per extension,
the CRS, polygon validity, the municipality filter, the configured official and benchmark
layers. Nothing here writes the geometry store (``store.py``) or derives a layer
(``derive.py``); every check runs before anything is written."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataSourceError

from ..cityconfig import BoundaryFiles, GeoLayer
from ..errors import GeodataError, Problem
from ..i18n import t
from ..safety import file_sha256
from ..settings import Settings
from ..store import PEER, TOP_DOWN

ALLOWED_EPSG = {31370: "Lambert 72", 3812: "Lambert 2008", 4326: "WGS84"}
WORK_CRS = 31370  # metres, for validation, simplification and approximation
STORE_CRS = 4326
SUPPORTED_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
LEVEL_ORDER = tuple(lv for lv in TOP_DOWN if lv != PEER)  # the city's own levels, top-down
PEER_LEVEL = "peer"  # the benchmark group's municipalities (not one of the city's levels)

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
    out.attrs["sha256"] = file_sha256(path)
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
    out.attrs["sha256"] = file_sha256(path)
    return out.sort_values("code").reset_index(drop=True)

