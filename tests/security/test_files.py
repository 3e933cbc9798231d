"""Issue 11, reading outside files: one GDAL driver per extension with the content checked
first (finding 2), zip archives bounded from their directory (low: testzip), and layer
validation that refuses what the public spearhead-5 page cannot draw (finding 7).

Every file here is made by the test; the secret a hostile file tries to read is a file in
the test's own temp folder standing in for /etc/passwd or a server's configuration.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from dashboard import geodata, loads
from dashboard.board import mapdata
from dashboard.store import Store

from ..conftest import SHARED_GEO, make_env, run_app

SECRET = "root:x:0:0:GEHEIM-7f3a9c"
ZIP_MEMBERS, ZIP_RATIO = 20, 100  # as docs/loads.md states them


def test_zip_limits_are_the_documented_ones():
    assert (getattr(geodata, "MAX_ZIP_MEMBERS", None),
            getattr(geodata, "MAX_ZIP_RATIO", None)) == (ZIP_MEMBERS, ZIP_RATIO)


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def areas(built_official):
    return (geodata.load_level(built_official.geo_dir, "gemeente"),
            geodata.load_level(built_official.geo_dir, "sector"))


@pytest.fixture
def secret_csv(tmp_path) -> Path:
    """A server file with a secret in a column a layer load reports when not a number."""
    path = tmp_path / "secret.csv"
    path.write_text(f"id,naam,aantal,x,y\nlp-1,{SECRET},{SECRET},3.2649,50.8278\n")
    return path


def _validate(data: bytes, file: str, layer: str, areas):
    return loads.validate_layer_file(data, file, layer, *areas)


def _everything(v) -> str:
    """All a layer load shows: its error table and its features."""
    return v.errors.to_string() + "\n" + v.features.to_string()


def _good_points(**props) -> dict:
    base = {"id": "lp-1", "naam": "Grote Markt", "aantal": 4, "vermogen_kw": 22}
    base.update(props)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": base,
         "geometry": {"type": "Point", "coordinates": [3.2649, 50.8278]}}]}


def _vrt(secret: Path) -> str:
    return ("<OGRVRTDataSource><OGRVRTLayer name='s'>"
            f"<SrcDataSource>{secret}</SrcDataSource><SrcLayer>{secret.stem}</SrcLayer>"
            "<GeometryType>wkbPoint</GeometryType>"
            "<LayerSRS>EPSG:4326</LayerSRS>"
            "<GeometryField encoding='PointFromColumns' x='x' y='y'/>"
            "</OGRVRTLayer></OGRVRTDataSource>")


def _shapefile_zip(tmp: Path, extra: dict[str, bytes] | None = None, folder: str = ""
                   ) -> bytes:
    """A valid charging-point Shapefile (two points in Kortrijk), zipped with ``extra``
    members, its parts under ``folder``."""
    shp = tmp / "shp"
    shp.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"id": ["lp-1", "lp-2"], "naam": ["Markt", "Station"], "aantal": [4, 6]},
                     geometry=[shapely.Point(3.2649, 50.8278), shapely.Point(3.2640, 50.8240)],
                     crs=4326).to_file(shp / "laadpunten.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(shp.iterdir()):
            zf.write(part, folder + part.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


# ------------------------------------------------------------------ finding 2: drivers
def test_finding_02_vrt_in_geojson_is_refused(areas, secret_csv):
    v = _validate(_vrt(secret_csv).encode(), "laadpunten.geojson", "laadpunten", areas)
    assert not v.ok
    assert SECRET not in _everything(v)
    assert "geen geldige GeoJSON" in " ".join(v.errors["reason"])


def test_finding_02_vrt_in_geojson_is_refused_by_the_geodata_import(built_copy, secret_csv,
                                                                    tmp_path):
    folder = tmp_path / "geo_in"
    folder.mkdir()
    (folder / "kortrijk_wijken_2024.geojson").write_text(_vrt(secret_csv).replace(
        "<GeometryField", "<Field name='wijk_code' src='aantal'/>"
        "<Field name='wijk_naam' src='naam'/><GeometryField"))
    with pytest.raises(geodata.GeodataError) as caught:
        geodata.import_geodata(folder, built_copy)
    assert SECRET not in str(caught.value)
    assert "geen geldige GeoJSON" in str(caught.value)


def test_finding_02_gdalg_pipeline_in_geojson_is_refused(areas, secret_csv):
    doc = {"type": "gdal_streamed_alg",
           "command_line": f"gdal vector pipeline ! read {secret_csv} ! "
                           "write --of stream streamed_dataset"}
    v = _validate(json.dumps(doc).encode(), "laadpunten.geojson", "laadpunten", areas)
    assert not v.ok
    assert SECRET not in _everything(v)
    assert "geen GeoJSON-FeatureCollection" in " ".join(v.errors["reason"])


def test_finding_02_vrt_named_gpkg_is_refused(areas, secret_csv):
    v = _validate(_vrt(secret_csv).encode(), "laadpunten.gpkg", "laadpunten", areas)
    assert not v.ok
    assert SECRET not in _everything(v)
    assert "geen GeoPackage" in " ".join(v.errors["reason"])


def test_finding_02_vrt_named_shp_in_zip_is_refused(areas, secret_csv):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("laadpunten.shp", _vrt(secret_csv))
    v = _validate(buf.getvalue(), "laadpunten.zip", "laadpunten", areas)
    assert not v.ok
    assert SECRET not in _everything(v)
    assert "geen Shapefile" in " ".join(v.errors["reason"])


def test_finding_02_plain_sqlite_named_gpkg_is_refused(areas, tmp_path):
    """An SQLite database that is not a GeoPackage (the SQLite driver would read it)."""
    path = tmp_path / "punten.sqlite"
    gpd.GeoDataFrame({"id": ["lp-1"], "naam": ["Markt"], "aantal": [4]},
                     geometry=[shapely.Point(3.2649, 50.8278)], crs=4326
                     ).to_file(path, driver="SQLite", engine="pyogrio")
    v = _validate(path.read_bytes(), "laadpunten.gpkg", "laadpunten", areas)
    assert not v.ok
    assert "GeoPackage-kenmerk" in " ".join(v.errors["reason"])


def test_finding_02_real_geopackage_is_still_read(areas, tmp_path):
    path = tmp_path / "punten.gpkg"
    gpd.GeoDataFrame({"id": ["lp-1"], "naam": ["Markt"], "aantal": [4]},
                     geometry=[shapely.Point(3.2649, 50.8278)], crs=4326
                     ).to_file(path, driver="GPKG", engine="pyogrio")
    v = _validate(path.read_bytes(), "laadpunten.gpkg", "laadpunten", areas)
    assert v.ok, v.errors


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
                         b'298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",'
                         b'0.0174532925199433]]')

    def log_message(self, *args):
        pass


def test_finding_02_geojson_link_crs_fetches_nothing(areas):
    """GDAL fetches a GeoJSON 'link' CRS over HTTP (a request from the server to any
    address); only a CRS by name is accepted."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        doc = _good_points()
        doc["crs"] = {"type": "link", "properties": {
            "href": f"http://127.0.0.1:{server.server_address[1]}/intern.wkt",
            "type": "ogcwkt"}}
        v = _validate(json.dumps(doc).encode(), "laadpunten.geojson", "laadpunten", areas)
    finally:
        server.shutdown()
    assert _Recorder.hits == []
    assert not v.ok
    assert "geen verwijzing" in " ".join(v.errors["reason"])


def test_finding_02_zip_holding_other_than_shapefile_parts_is_refused(areas, tmp_path):
    assert _validate(_shapefile_zip(tmp_path), "laadpunten.zip", "laadpunten", areas).ok
    for data, phrase in ((_shapefile_zip(tmp_path, {"extra.vrt": b"<OGRVRTDataSource/>"}),
                          "alleen de delen van een Shapefile"),
                         (_shapefile_zip(tmp_path, folder="laadpunten/"), "zip bevat mappen")):
        v = _validate(data, "laadpunten.zip", "laadpunten", areas)
        assert not v.ok
        assert phrase in " ".join(v.errors["reason"]), v.errors


def test_finding_02_official_shapefile_zip_is_still_read():
    gdf = geodata.read_layer(SHARED_GEO / "kortrijk_wijken_2024_shp.zip")
    assert len(gdf) == 14


# --------------------------------------------------------------------- low: zip caps
def test_low_zip_member_count_is_capped_from_the_directory(areas, tmp_path):
    extra = {f"meta{i}.xml": b"<x/>" for i in range(ZIP_MEMBERS)}
    v = _validate(_shapefile_zip(tmp_path, extra), "laadpunten.zip", "laadpunten", areas)
    assert not v.ok
    assert f"de grens is {ZIP_MEMBERS}" in " ".join(v.errors["reason"])


def test_low_zip_bomb_member_is_refused_before_decompressing(areas, tmp_path):
    """A 150 MB member compressed to 0.15 MB: refused from the directory, within a second
    (testzip decompressed all of it first)."""
    path = tmp_path / "bom.zip"
    path.write_bytes(_shapefile_zip(tmp_path))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("laadpunten.shp.xml", "w", force_zip64=True) as fh:
        block = b"\0" * (1 << 20)
        for _ in range(150):
            fh.write(block)
    started = time.perf_counter()
    v = _validate(path.read_bytes(), "laadpunten.zip", "laadpunten", areas)
    elapsed = time.perf_counter() - started
    assert not v.ok
    assert f"de grens is {ZIP_RATIO}:1" in " ".join(v.errors["reason"])
    assert elapsed < 1.0, elapsed


# ------------------------------------------------------- finding 7: what can be drawn
@pytest.mark.parametrize("aantal, phrase", [
    (-4, "aantal -4 is kleiner dan 0"),
    (None, "aantal ontbreekt"),
    (2.5, "aantal '2.5' is geen geheel getal"),
    ("1e999", "'1e999' is geen eindig getal"),
])
def test_finding_07_charging_point_count_that_cannot_be_drawn_is_refused(areas, aantal,
                                                                         phrase):
    v = _validate(json.dumps(_good_points(aantal=aantal)).encode(), "laadpunten.geojson",
                  "laadpunten", areas)
    assert not v.ok
    rows = list(zip(v.errors["row"], v.errors["field"], v.errors["reason"]))
    assert [(r, f) for r, f, _ in rows] == [(1, "aantal")], rows
    assert phrase in rows[0][2]


def test_finding_07_charging_points_without_a_count_column_are_refused(areas):
    doc = _good_points()
    del doc["features"][0]["properties"]["aantal"]
    v = _validate(json.dumps(doc).encode(), "laadpunten.geojson", "laadpunten", areas)
    assert not v.ok
    assert list(zip(v.errors["row"], v.errors["field"])) == [(0, "aantal")]


def test_finding_07_polygon_unsealing_project_is_drawn(built_copy, areas, clean_env,
                                                       monkeypatch):
    """docs/loads.md allows polygon unsealing projects: validation accepts one, the page
    draws it at a point inside it (the page crashed with IndexError)."""
    x, y, d = 3.2649, 50.8278, 0.001
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "op-1", "naam": "Plein", "m2": 1200,
                                           "jaar": 2025},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    v = _validate(json.dumps(doc).encode(), "ontharding.geojson", "ontharding_project", areas)
    assert v.ok, v.errors
    with Store(built_copy.db_path) as store:
        loads.commit(store, v, who="test")
        features = store.layer_features("ontharding_project")
    points = mapdata.points(features.assign(illustrative=False), "m2")
    assert len(points) == 1
    assert shapely.Polygon(ring).contains(shapely.Point(points[0]["lon"], points[0]["lat"]))
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    at = run_app("speerpunt-5")
    assert not at.exception


def test_finding_07_null_optional_property_is_left_out(areas):
    v = _validate(json.dumps(_good_points(vermogen_kw=None)).encode(), "laadpunten.geojson",
                  "laadpunten", areas)
    assert v.ok, v.errors
    assert json.loads(v.features["properties"].iloc[0]) == {"aantal": 4}
    assert isinstance(pd.Series(v.features["name"]).iloc[0], str)
