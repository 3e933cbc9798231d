"""Official geodata import: real files from ../shared/geo, every supported format and CRS,
and every kind of bad input (clear message naming the file, non-zero exit, nothing written).

Bad inputs are derived at test time from the real files into tmp folders (third-party data
is never committed to the project)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from dashboard import geodata
from dashboard.errors import GeodataError
from dashboard.settings import PROJECT_ROOT

from .conftest import SHARED_GEO, make_env, settings_for

WIJKEN = SHARED_GEO / "kortrijk_wijken_2024.geojson"


def _counts(geo_dir: Path) -> dict[str, int]:
    return {lv: len(geodata.load_level(geo_dir, lv)) for lv in geodata.LEVEL_ORDER}


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _source_with(tmp: Path, name: str, writer) -> Path:
    """A geodata folder holding only the wijk layer ``name`` written by ``writer``."""
    folder = tmp / "src"
    folder.mkdir(exist_ok=True)
    writer(folder / name)
    return folder


def _run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    full.pop("DASHBOARD_GEODATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "dashboard", *args], env=full,
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)


# ---------------------------------------------------------------------------- good input
def test_import_from_shared_counts_and_quality(tmp_path):
    settings = settings_for(tmp_path)
    reports = {r.level: r for r in geodata.import_geodata(SHARED_GEO, settings)}
    assert {lv: r.count for lv, r in reports.items()} == {
        "gemeente": 1, "deelgemeente": 8, "wijk": 14, "sector": 113}
    assert reports["wijk"].quality == "official"
    assert reports["sector"].quality == "approximate"
    assert _counts(settings.geo_dir) == {"sector": 113, "wijk": 14, "deelgemeente": 8,
                                         "gemeente": 1}
    sectors = geodata.load_level(settings.geo_dir, "sector")
    # 113 named sectors with the official names (e.g. the heat-network districts).
    assert sectors["name"].str.len().min() > 0
    assert {"Gentse Poort", "Venning", "Drie Hofsteden", "Sint-Elisabeth"} <= set(sectors["name"])
    assert sectors.crs.to_epsg() == 4326
    manifest = geodata.read_manifest(settings.geo_dir)
    assert "Data & Analyse van de Vlaamse provincies" in manifest["attribution"]


def test_cli_geodata_from_shared(tmp_path):
    result = _run_cli(make_env(tmp_path, None), "geodata", "--from", str(SHARED_GEO))
    assert result.returncode == 0, result.stderr
    for level, count in (("gemeente", 1), ("deelgemeente", 8), ("wijk", 14), ("sector", 113)):
        assert any(line.split()[:2] == [level, str(count)] for line in result.stdout.splitlines()
                   ), result.stdout


def test_approximate_sectors_tile_their_wijk(tmp_path):
    settings = settings_for(tmp_path)
    geodata.import_geodata(SHARED_GEO, settings)
    wijken = geodata.load_level(settings.geo_dir, "wijk").to_crs(31370)
    sectors = geodata.load_level(settings.geo_dir, "sector").to_crs(31370)
    parents = geodata.expected_areas(settings).set_index("code")["parent_codes"]
    for wijk in wijken.itertuples():
        members = sectors[sectors["code"].map(lambda c: parents[c][0]) == wijk.code]
        union = members.geometry.union_all()
        # The cells cover the wijk (up to simplification) and do not overlap.
        assert abs(union.area - wijk.geometry.area) / wijk.geometry.area < 0.01, wijk.code
        assert members.geometry.area.sum() == pytest.approx(union.area, rel=1e-3)


def test_shared_borders_stay_shared_after_simplification(tmp_path):
    settings = settings_for(tmp_path)
    geodata.import_geodata(SHARED_GEO, settings)
    wijken = geodata.load_level(settings.geo_dir, "wijk").to_crs(31370)
    # No gaps or overlaps between neighbouring wijken beyond rounding.
    total = wijken.geometry.area.sum()
    union = wijken.geometry.union_all().area
    assert abs(total - union) / union < 1e-4


@pytest.mark.parametrize("kind", ["shp_zip", "shp", "gpkg", "lambert2008", "wgs84", "flanders"])
def test_supported_formats_and_crs(tmp_path, kind):
    src = tmp_path / "src"
    src.mkdir()
    wijken = gpd.read_file(WIJKEN)
    if kind == "shp_zip":
        shutil.copy(SHARED_GEO / "kortrijk_wijken_2024_shp.zip", src)
    elif kind == "shp":
        with zipfile.ZipFile(SHARED_GEO / "kortrijk_wijken_2024_shp.zip") as zf:
            zf.extractall(src)
    elif kind == "gpkg":
        wijken.to_file(src / "kortrijk_wijken_2024.gpkg", driver="GPKG")
    elif kind == "lambert2008":
        wijken.to_crs(3812).to_file(src / "kortrijk_wijken_2024.geojson", driver="GeoJSON")
    elif kind == "wgs84":
        wijken.to_crs(4326).to_file(src / "kortrijk_wijken_2024.geojson", driver="GeoJSON")
    elif kind == "flanders":  # the whole of Flanders: filtered to NIS 34022
        shutil.copy(SHARED_GEO / "vlaanderen_wijken_2024.geojson", src)
    settings = settings_for(tmp_path)
    reports = {r.level: r for r in geodata.import_geodata(src, settings)}
    assert reports["wijk"].count == 14 and reports["wijk"].quality == "official"
    assert reports["sector"].count == 113
    got = geodata.load_level(settings.geo_dir, "wijk").to_crs(31370)
    expected = wijken.geometry.union_all().area
    assert got.geometry.area.sum() == pytest.approx(expected, rel=0.01)


# ----------------------------------------------------------------------------- bad input
def _no_crs_shapefile(path: Path) -> None:
    with zipfile.ZipFile(SHARED_GEO / "kortrijk_wijken_2024_shp.zip") as src, \
            zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            if not item.filename.endswith(".prj"):
                dst.writestr(item, src.read(item))


def _no_crs_geojson(path: Path) -> None:
    data = json.loads(WIJKEN.read_text(encoding="utf-8"))
    data.pop("crs")
    path.write_text(json.dumps(data), encoding="utf-8")


def _wrong_municipality(path: Path) -> None:
    flanders = gpd.read_file(SHARED_GEO / "vlaanderen_wijken_2024.geojson")
    flanders[flanders["wijk_code"].str.startswith("36015")].to_file(path, driver="GeoJSON")


def _invalid_polygon(path: Path) -> None:
    wijken = gpd.read_file(WIJKEN)
    x, y = wijken.geometry.iloc[3].centroid.coords[0]
    bowtie = Polygon([(x, y), (x + 500, y + 500), (x + 500, y), (x, y + 500), (x, y)])
    wijken.loc[3, "geometry"] = bowtie
    wijken.to_file(path, driver="GeoJSON")


def _missing_wijk(path: Path) -> None:
    gpd.read_file(WIJKEN).iloc[1:].to_file(path, driver="GeoJSON")


def _unsupported_crs(path: Path) -> None:
    gpd.read_file(WIJKEN).to_crs(3035).to_file(path, driver="GeoJSON")


def _points_not_polygons(path: Path) -> None:
    w = gpd.read_file(WIJKEN)
    w.geometry = w.geometry.centroid
    w.to_file(path, driver="GeoJSON")


def _truncated_zip(path: Path) -> None:
    data = (SHARED_GEO / "kortrijk_wijken_2024_shp.zip").read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_json(path: Path) -> None:
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")


BAD_CASES = {
    # case: (file name, writer, words the message must contain)
    "missing_crs_shapefile": ("kortrijk_wijken_2024_shp.zip", _no_crs_shapefile, "CRS"),
    "missing_crs_geojson": ("kortrijk_wijken_2024.geojson", _no_crs_geojson, "WGS84"),
    "wrong_municipality": ("kortrijk_wijken_2024.geojson", _wrong_municipality, "34022"),
    "invalid_polygon": ("kortrijk_wijken_2024.geojson", _invalid_polygon, "ongeldige polygoon"),
    "missing_code": ("kortrijk_wijken_2024.geojson", _missing_wijk, "ontbrekende codes: 34022WA"),
    "unsupported_crs": ("kortrijk_wijken_2024.geojson", _unsupported_crs, "3035"),
    "points": ("kortrijk_wijken_2024.geojson", _points_not_polygons, "verwacht een polygoon"),
    "unknown_type": ("kortrijk_wijken_2024.kml", lambda p: p.write_text("<kml/>"),
                     "onbekend bestandstype '.kml'"),
    "empty_file": ("kortrijk_wijken_2024.geojson", lambda p: p.write_bytes(b""), "leeg bestand"),
    "truncated_zip": ("kortrijk_wijken_2024_shp.zip", _truncated_zip, "zip"),
    "broken_json": ("kortrijk_wijken_2024.geojson", _not_json, "onleesbaar"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_geodata_is_refused_and_writes_nothing(tmp_path, case):
    name, writer, words = BAD_CASES[case]
    settings = settings_for(tmp_path)
    geodata.import_geodata(SHARED_GEO, settings)  # a good store that must survive
    before = _tree_digest(settings.geo_dir)
    src = _source_with(tmp_path, name, writer)
    with pytest.raises(GeodataError) as info:
        geodata.import_geodata(src, settings)
    message = str(info.value)
    assert name in message, message
    assert words in message, message
    assert _tree_digest(settings.geo_dir) == before
    # The CLI says the same, exits non-zero and also writes nothing.
    result = _run_cli(make_env(tmp_path, None), "geodata", "--from", str(src))
    assert result.returncode == 2
    assert "niets geschreven" in result.stderr and name in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _tree_digest(settings.geo_dir) == before


def test_missing_folder_and_missing_layer(tmp_path):
    settings = settings_for(tmp_path)
    with pytest.raises(GeodataError, match="niet gevonden"):
        geodata.import_geodata(tmp_path / "nope", settings)
    (tmp_path / "empty").mkdir()
    with pytest.raises(GeodataError, match="geen wijkenlaag"):
        geodata.import_geodata(tmp_path / "empty", settings)
    assert not settings.geo_dir.exists() or not any(settings.geo_dir.glob("*.parquet"))


def test_download_offline_gives_clear_message(tmp_path):
    result = _run_cli({**make_env(tmp_path, None), "http_proxy": "http://127.0.0.1:9",
                       "https_proxy": "http://127.0.0.1:9"}, "geodata", "--download")
    assert result.returncode == 2
    assert "downloaden mislukt" in result.stderr
    assert not (tmp_path / "geo" / "manifest.json").exists()


def test_schematic_layers_without_any_geodata(tmp_path):
    settings = settings_for(tmp_path, geodata=None)
    manifest = geodata.ensure_geometry(settings)
    assert manifest["source"] == "schematic"
    assert {lv: info["count"] for lv, info in manifest["levels"].items()} == {
        "gemeente": 1, "deelgemeente": 8, "wijk": 14, "sector": 113}
    assert {info["quality"] for info in manifest["levels"].values()} == {"schematic"}


def test_first_start_replaces_schematic_with_official(tmp_path):
    geodata.ensure_geometry(settings_for(tmp_path, geodata=None))
    manifest = geodata.ensure_geometry(settings_for(tmp_path))
    assert manifest["levels"]["wijk"]["quality"] == "official"


def test_official_sector_polygons_give_wijken_by_dissolving(tmp_path):
    """With a Statbel-style sector layer (and nothing else) every level is derived from it."""
    first = settings_for(tmp_path / "first")
    geodata.import_geodata(SHARED_GEO, first)
    sectors = geodata.load_level(first.geo_dir, "sector").to_crs(31370)
    src = tmp_path / "statbel" / "unzipped"
    src.mkdir(parents=True)
    statbel = sectors.rename(columns={"code": "CS01012024", "name": "T_SEC_NL"})
    statbel[["CS01012024", "T_SEC_NL", "geometry"]].to_file(
        src / "sh_statbel_statistical_sectors_31370_20240101.geojson", driver="GeoJSON")
    settings = settings_for(tmp_path / "second")
    reports = {r.level: r for r in geodata.import_geodata(tmp_path / "statbel", settings)}
    assert {lv: (r.count, r.quality) for lv, r in reports.items()} == {
        "sector": (113, "official"), "wijk": (14, "official"),
        "deelgemeente": (8, "official"), "gemeente": (1, "official")}
    wijken = geodata.load_level(settings.geo_dir, "wijk")
    assert "Kortrijk Centrum" in set(wijken["name"])


def test_benchmark_group_boundaries_are_imported_with_the_city(tmp_path):
    """The 13 centrumsteden come from the Flanders municipalities layer, level 'peer'."""
    settings = settings_for(tmp_path)
    geodata.import_geodata(SHARED_GEO, settings)
    manifest = geodata.read_manifest(settings.geo_dir)
    assert manifest["benchmark"]["count"] == 13
    assert manifest["benchmark"]["source"] == "vlaanderen_gemeenten_2024.geojson"
    peers = geodata.load_level(settings.geo_dir, geodata.PEER_LEVEL)
    assert len(peers) == 13 and peers.crs.to_epsg() == 4326
    assert {"34022", "36015", "11002"} <= set(peers["code"])
    assert peers.loc[peers["code"] == "44021", "name"].iloc[0] == "Gent"


def test_a_benchmark_layer_missing_a_member_names_file_field_and_code(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for f in SHARED_GEO.glob("kortrijk_*"):
        shutil.copy(f, src / f.name)
    gemeenten = gpd.read_file(SHARED_GEO / "vlaanderen_gemeenten_2024.geojson")
    gemeenten[gemeenten["nis_code"].astype(str) != "36015"].to_file(
        src / "vlaanderen_gemeenten_2024.geojson", driver="GeoJSON")
    settings = settings_for(tmp_path / "store")
    with pytest.raises(GeodataError) as err:
        geodata.import_geodata(src, settings)
    problem = err.value.problems[0]
    assert problem.file.endswith("vlaanderen_gemeenten_2024.geojson")
    assert problem.field == "nis_code" and "36015" in problem.reason
    assert geodata.read_manifest(settings.geo_dir) is None  # nothing written
