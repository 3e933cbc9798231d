"""The geometry store: import official layers (``read.py``), derive what is missing
(``derive.py``), write the levels and the manifest; read them back.

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
import pandas as pd
import shapely

from ..errors import GeodataError
from ..i18n import t
from ..safety import file_sha256
from ..settings import Settings
from .derive import (TOLERANCE_M, approximate_sectors, dissolve_from_sectors, schematic_layers,
                     sector_table, simplify_coverage)
from .read import (LEVEL_ORDER, MAX_GEODATA_BYTES, PEER_LEVEL, STORE_CRS, WORK_CRS, _mib,
                   benchmark_members, check_zip_directory, city_levels, extract_member,
                   read_benchmark_layer, read_official_level)

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class LevelReport:
    level: str
    count: int
    quality: str
    source: str


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
        layers["wijk"] = dissolve_from_sectors(layers["sector"], "wijk", settings)
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
        sectors = sector_table(source, settings)
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
            layers[level] = dissolve_from_sectors(layers["sector"], level, settings)
    return write_store(layers, settings, {"source": str(source)},
                       _peer_layer(source, settings))


def _peer_layer(source: Path, settings: Settings) -> gpd.GeoDataFrame | None:
    return read_benchmark_layer(source, settings)


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
                "source_sha256": gdf.attrs.get("sha256"), "file_sha256": file_sha256(target),
            }
            reports.append(LevelReport(level, len(gdf), quality, source))
        if peers is not None:
            target = staging / f"{PEER_LEVEL}.parquet"
            simplify_coverage(peers, TOLERANCE_M[PEER_LEVEL]).to_crs(STORE_CRS)[
                ["code", "name", "level", "quality", "geometry"]].to_parquet(target, index=False)
            manifest["benchmark"] = {
                "count": len(peers), "quality": "official",
                "source": peers.attrs.get("source", ""),
                "source_sha256": peers.attrs.get("sha256"), "file_sha256": file_sha256(target)}
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
