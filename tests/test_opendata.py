"""Open data out: exports read back give the store's values (CSV, Parquet, GeoJSON), the
metadata describe the files, a pinned moment exports what was current then, the CLI writes
the files and the page serves them. Real builds, no mocks."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import time
import zipfile

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import shape

from dashboard.board import Board
from dashboard import cli, clock, geodata, loads, opendata, state
from dashboard.cityconfig import OpenData
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store, utc_now

from .conftest import SHARED_GEO, make_env, run_app

DISTRICT = "laadpunten"        # city and every district level, illustrative below the city
COMPARED = "sociale_woningen_per_100_hh"  # city only, with a comparison value
KEY = ["indicator_id", "area_code", "period"]
CREATED = dt.datetime(2030, 1, 1, 12, 0, 0)
PRECISE = 55.123456789012345  # a loaded value that only survives a full-precision export


@pytest.fixture(scope="module")
def exported(built_official):
    """One export of the official build, and the store's own view of the same data."""
    with Store(built_official.db_path, read_only=True) as store:
        reads = Board(store, built_official)  # what the app and the CLI export through
        board = reads.open_data(reads.view())
        values = store.values_at(None)
        areas = store.areas()
        indicators = store.indicators()
        goals = store.goals()
    expected = values.merge(areas[["code", "name", "level"]].rename(
        columns={"code": "area_code", "name": "area_name"}), on="area_code")
    expected["unit"] = expected["indicator_id"].map(dict(zip(indicators["id"],
                                                             indicators["unit"])))
    files = opendata.export_files(board, created=CREATED)
    return {"board": board, "zip": opendata.zip_bytes(files),
            "expected": expected.sort_values(KEY).reset_index(drop=True),
            "indicators": indicators, "goals": goals, "files": files,
            "settings": built_official}


def _same_rows(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Exactly the same keys, values, flags, names, units, sources and notes."""
    got = got.sort_values(KEY).reset_index(drop=True)
    assert len(got) == len(expected) and not got.duplicated(KEY).any()
    for col in ("indicator_id", "area_code", "area_name", "level", "unit", "source"):
        assert list(got[col]) == list(expected[col]), col
    assert list(got["period"].astype(int)) == list(expected["period"].astype(int))
    assert (got["value"].to_numpy() == expected["value"].to_numpy()).all()  # bit-exact
    assert list(got["illustrative"].astype(bool)) == list(expected["illustrative"])
    notes = [None if pd.isna(n) or n == "" else n for n in got["note"]]
    assert notes == [None if pd.isna(n) else n for n in expected["note"]]


# ------------------------------------------------------------------------ round trips
def test_parquet_round_trip_gives_the_store_values(exported):
    expected = exported["expected"]
    assert expected["illustrative"].any() and not expected["illustrative"].all()
    whole = pd.read_parquet(io.BytesIO(exported["files"]["alle-indicatoren.parquet"]))
    assert list(whole.columns) == list(opendata.COLUMNS)
    _same_rows(whole, expected)
    one = pd.read_parquet(io.BytesIO(exported["files"][f"indicatoren/{DISTRICT}.parquet"]))
    assert set(one["level"]) == {"gemeente", "deelgemeente", "wijk", "sector"}
    _same_rows(one, expected[expected["indicator_id"] == DISTRICT].reset_index(drop=True))
    meta = pq.read_schema(io.BytesIO(exported["files"]["alle-indicatoren.parquet"])).metadata
    assert meta[b"licence"].decode() == exported["settings"].city.open_data.licence


def test_csv_round_trip_gives_the_store_values(exported):
    text = exported["files"]["alle-indicatoren.csv"].decode("utf-8")
    assert not text.startswith("\ufeff") and "\r" not in text
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {r["illustrative"] for r in records} == {"true", "false"}
    got = pd.DataFrame({
        **{c: [r[c] for r in records] for c in ("indicator_id", "area_code", "area_name",
                                                 "level", "unit", "source", "note")},
        "period": [int(r["period"]) for r in records],
        "value": [float(r["value"]) for r in records],
        "illustrative": [r["illustrative"] == "true" for r in records],
    })
    _same_rows(got, exported["expected"])


def test_geojson_per_indicator_round_trip_and_rfc7946(exported, built_official):
    data = exported["files"][f"indicatoren/{DISTRICT}.geojson"]
    doc = json.loads(data)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["licence"] == built_official.city.open_data.licence
    expected = exported["expected"]
    expected = expected[expected["indicator_id"] == DISTRICT].reset_index(drop=True)
    props = pd.DataFrame([f["properties"] for f in doc["features"]])
    _same_rows(props, expected)  # every area of the official build has geometry
    assert set(props["geometry_quality"]) == {"official", "approximate"}
    assert set(props.loc[props["level"] == "sector", "geometry_quality"]) == {"approximate"}
    # Geometry: the geometry store's polygon of each area, counter-clockwise outer rings.
    store_shapes = {}
    for level in ("gemeente", "wijk", "sector"):
        gdf = geodata.load_level(built_official.geo_dir, level)
        store_shapes.update(zip(gdf["code"], gdf.geometry))
    seen = 0
    for feature in doc["features"]:
        geom = shape(feature["geometry"])
        rings = [geom.exterior] if geom.geom_type == "Polygon" else [
            p.exterior for p in geom.geoms]
        assert all(shapely.is_ccw(r) for r in rings)
        code = feature["properties"]["area_code"]
        if code in store_shapes:
            assert geom.hausdorff_distance(store_shapes[code]) < 2e-6
            seen += 1
    assert seen > 100
    # A GIS reader gets the same values, in WGS84.
    gdf = gpd.read_file(io.BytesIO(data))
    assert gdf.crs.to_epsg() == 4326
    _same_rows(pd.DataFrame(gdf.drop(columns="geometry")), expected)


def test_geojson_city_rows_use_the_gemeente_polygon(exported, built_official):
    doc = json.loads(exported["files"][f"indicatoren/{COMPARED}.geojson"])
    city = geodata.load_level(built_official.geo_dir, "gemeente").geometry.iloc[0]
    rows = [f for f in doc["features"] if f["properties"]["level"] == "gemeente"]
    assert rows
    for f in rows:
        assert f["properties"]["area_code"] == built_official.nis_code
        assert shape(f["geometry"]).hausdorff_distance(city) < 2e-6
    # Other levels (the benchmark group's members, when the store has them) never reuse
    # the city's polygon.
    for f in doc["features"]:
        if f["properties"]["level"] != "gemeente":
            assert f["properties"]["area_code"] != built_official.nis_code
            assert shape(f["geometry"]).hausdorff_distance(city) > 1e-3


def test_geojson_whole_board_one_feature_per_area(exported):
    doc = json.loads(exported["files"]["alle-indicatoren.geojson"])
    board = exported["board"]
    codes = [f["properties"]["area_code"] for f in doc["features"]]
    assert codes == list(board.areas["code"]) and len(codes) == len(set(codes))
    flat = pd.DataFrame([
        {**m, "area_code": f["properties"]["area_code"],
         "area_name": f["properties"]["area_name"], "level": f["properties"]["level"]}
        for f in doc["features"] for m in f["properties"]["measurements"]])
    _same_rows(flat, exported["expected"])


# --------------------------------------------------------------------------- metadata
def _check_against_schema(fields: list[dict], primary_key: list[str], text: str) -> int:
    """Validate a CSV against a Table Schema (names, types, required, enum, key)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert header == [f["name"] for f in fields]
    keys = set()
    n = 0
    for row in reader:
        n += 1
        for f, cell in zip(fields, row, strict=True):
            c = f.get("constraints", {})
            if cell == "":
                assert not c.get("required"), (f["name"], row)
                continue
            if f["type"] == "integer":
                int(cell)
            elif f["type"] == "number":
                float(cell)
            elif f["type"] == "boolean":
                assert cell in f["trueValues"] + f["falseValues"]
            if "enum" in c:
                assert cell in c["enum"]
        key = tuple(row[header.index(k)] for k in primary_key)
        assert key not in keys
        keys.add(key)
    return n


def test_indicator_metadata_describes_unit_source_licence_and_files(exported):
    files, settings = exported["files"], exported["settings"]
    meta = json.loads(files[f"indicatoren/{DISTRICT}.json"])
    ind = exported["indicators"].set_index("id").loc[DISTRICT]
    assert meta["indicator"]["unit"] == ind["unit"]
    assert meta["indicator"]["source"] == {"document": ind["source_document"],
                                           "section": ind["source_section"]}
    od = settings.city.open_data
    assert meta["licenses"] == [{"title": od.licence, "path": od.licence_url}]
    assert meta["publisher"] == od.publisher
    assert meta["geometry"]["attribution"] == " ".join(
        settings.city.geodata.attribution.split())
    assert meta["created"] == "2030-01-01T12:00:00Z" and meta["as_of"] is None
    goals = exported["goals"][exported["goals"]["indicator_id"] == DISTRICT]
    assert sorted((g["year"], g["value"], g["kind"]) for g in meta["indicator"]["goals"]) \
        == sorted(zip(goals["year"], goals["value"], goals["kind"]))
    rows = exported["expected"][exported["expected"]["indicator_id"] == DISTRICT]
    assert meta["rows"] == len(rows)
    assert meta["illustrative"]["rows"] == int(rows["illustrative"].sum()) > 0
    assert "geen officiële cijfers" in meta["illustrative"]["meaning"]
    # The files it names are the files written, byte for byte.
    for entry in [meta, *meta["distributions"]]:
        data = files["indicatoren/" + entry["path"]]
        assert entry["bytes"] == len(data)
        assert entry["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    # Its field list validates the data: CSV cell by cell, Parquet names and types.
    fields = meta["schema"]["fields"]
    text = files[f"indicatoren/{DISTRICT}.csv"].decode("utf-8")
    assert _check_against_schema(fields, meta["schema"]["primaryKey"], text) == len(rows)
    arrow = pq.read_schema(io.BytesIO(files[f"indicatoren/{DISTRICT}.parquet"]))
    kinds = {"string": "string", "integer": "int32", "number": "double", "boolean": "bool"}
    assert [(f.name, str(f.type)) for f in arrow] == [(f["name"], kinds[f["type"]])
                                                      for f in fields]
    compared = json.loads(files[f"indicatoren/{COMPARED}.json"])["indicator"]["comparison"]
    row = exported["indicators"].set_index("id").loc[COMPARED]
    assert compared["value"] == row["comparison_value"]
    assert compared["label"] == row["comparison_label"]


def test_datapackage_lists_every_file_with_its_hash(exported):
    files = exported["files"]
    package = json.loads(files["datapackage.json"])
    text = files["datapackage.json"].decode()
    for local in (SHARED_GEO, exported["settings"].geo_dir, exported["settings"].db_path):
        assert str(local) not in text  # no path of this machine in published metadata
    assert package["geometry"]["source"]["wijk"] == exported["board"].level_source["wijk"]
    assert package["licenses"][0]["title"] == exported["settings"].city.open_data.licence
    for resource in package["resources"]:
        data = files[resource["path"]]
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    listed = {p for i in package["indicators"] for p in [i["metadata"], *i["files"].values()]}
    assert listed | {r["path"] for r in package["resources"]} | {"datapackage.json"} \
        == set(files)
    assert [i["id"] for i in package["indicators"]] == list(exported["indicators"]["id"])
    counts = exported["expected"]["indicator_id"].value_counts()
    assert {i["id"]: i["rows"] for i in package["indicators"] if i["rows"]} \
        == counts.to_dict()
    csv_resource = package["resources"][0]
    assert _check_against_schema(csv_resource["schema"]["fields"],
                                 csv_resource["schema"]["primaryKey"],
                                 files[csv_resource["path"]].decode("utf-8")) \
        == len(exported["expected"])


def test_same_data_same_bytes(exported, built_official):
    with Store(built_official.db_path, read_only=True) as store:
        reads = Board(store, built_official)  # a second board: nothing shared
        again = opendata.export_files(reads.open_data(reads.view()), created=CREATED)
    assert again == exported["files"]
    assert opendata.zip_bytes(again) == exported["zip"]
    # Another generation time changes the "created" line of the metadata, nothing else.
    later = CREATED + dt.timedelta(days=1)
    board = exported["board"]
    for path, data in ((f"indicatoren/{DISTRICT}.json", opendata.metadata_bytes(
            opendata.indicator_metadata(board, DISTRICT, later))),
                       ("datapackage.json", opendata.metadata_bytes(
                           opendata.datapackage(board, later)))):
        old, new = exported["files"][path].decode().splitlines(), data.decode().splitlines()
        assert len(old) == len(new)
        diff = [(a, b) for a, b in zip(old, new) if a != b]
        assert [a.split(":")[0].strip() for a, _ in diff] == ['"created"'], path


def test_zip_bundle_holds_everything(exported):
    bundle = zipfile.ZipFile(io.BytesIO(exported["zip"]))
    assert sorted(bundle.namelist()) == sorted(exported["files"])
    assert bundle.read("alle-indicatoren.parquet") == exported["files"][
        "alle-indicatoren.parquet"]


def test_another_city_configuration_names_itself(exported):
    city = dataclasses.replace(exported["settings"].city, name="Teststad", nis_code="99999",
                               open_data=OpenData())
    settings = dataclasses.replace(exported["settings"], city=city)
    with Store(settings.db_path, read_only=True) as store:
        board = opendata.collect(store, settings)
    package = opendata.datapackage(board, CREATED)
    assert package["city"] == {"name": "Teststad", "nis_code": "99999"}
    assert "Teststad" in package["title"] and package["name"] == "teststad-open-data"
    assert package["licenses"] == []
    for path in (*sorted(str(p.relative_to(PROJECT_ROOT)) for p in
                         (PROJECT_ROOT / "src/dashboard/opendata").glob("*.py")),
                 "src/dashboard/ui/opendata.py",
                 "app_pages/opendata.py"):
        assert "kortrijk" not in (PROJECT_ROOT / path).read_text(encoding="utf-8").lower()


# -------------------------------------------------------------------- pinned moments
def _tick() -> dt.datetime:
    """A whole second (links carry whole seconds) strictly before what follows."""
    moment = utc_now().replace(microsecond=0)
    time.sleep(0.01)
    return moment


def _load_after_moment(settings) -> tuple[dt.datetime, str, str]:
    """A coordinator load (a changed and a new value) after a moment; returns both."""
    with Store(settings.db_path) as store:
        wijk = store.areas("wijk")["code"].iloc[0]
        before = _tick()
        text = (f"indicator;gebied;jaar;waarde\n{DISTRICT};{settings.nis_code};2024;701\n"
                f"{DISTRICT};{settings.nis_code};2025;733\n"
                f"{DISTRICT};{wijk};2025;{PRECISE!r}\n")
        validated = loads.validate_file(text.encode("utf-8"), "opendata-test.csv", store)
        assert validated.ok, validated.errors
        batch = loads.commit(store, validated, who="test", confirm_warnings=True)["batch_id"]
    return before, batch, wijk


def test_a_pinned_export_leaves_out_later_loads(built_copy, tmp_path, clean_env):
    before, _, wijk = _load_after_moment(built_copy)
    with Store(built_copy.db_path, read_only=True) as store:
        pinned = opendata.collect(store, built_copy, before)
        now = opendata.collect(store, built_copy)
    city = built_copy.nis_code

    def value(board, area, year):
        t = pd.read_parquet(io.BytesIO(opendata.parquet_bytes(board, DISTRICT)))
        hit = t[(t["area_code"] == area) & (t["period"] == year)]
        return None if hit.empty else (float(hit["value"].iloc[0]), hit["source"].iloc[0])

    assert value(now, city, 2024) == (701.0, "opendata-test.csv")
    assert value(now, city, 2025) == (733.0, "opendata-test.csv")
    assert value(pinned, city, 2024)[0] != 701.0
    assert value(pinned, city, 2025) is None and value(pinned, wijk, 2025) is None
    assert value(now, wijk, 2025) == (PRECISE, "opendata-test.csv")
    row = [r for r in csv.DictReader(io.StringIO(opendata.csv_bytes(now, DISTRICT).decode()))
           if (r["area_code"], r["period"]) == (wijk, "2025")]
    assert float(row[0]["value"]) == PRECISE
    with Store(built_copy.db_path, read_only=True) as store:
        stored = store.values_at(None)
    assert PRECISE in set(stored["value"])
    geo = json.loads(opendata.geojson_bytes(now, DISTRICT))
    assert PRECISE in {f["properties"]["value"] for f in geo["features"]}
    assert "opendata-test.csv" not in opendata.csv_bytes(pinned).decode()
    assert len(now.table) == len(pinned.table) + 2
    meta = opendata.indicator_metadata(pinned, DISTRICT, CREATED)
    assert meta["as_of"] == before.isoformat() + "Z"
    # The CLI's --stand (local time, as in a link) gives the same files.
    for k, v in make_env(built_copy.db_path.parent.parent).items():
        clean_env.setenv(k, v)
    stand = state.format_as_of(clock.to_local(before))
    assert cli.main(["export", "--out", str(tmp_path / "x"), "--indicator", DISTRICT,
                     "--stand", stand]) == 0
    assert (tmp_path / "x" / f"{DISTRICT}.parquet").read_bytes() == \
        opendata.parquet_bytes(pinned, DISTRICT)


# ------------------------------------------------------------------------------- CLI
def test_cli_writes_the_whole_export(built_official, tmp_path, clean_env, capsys, exported):
    for k, v in make_env(built_official.db_path.parent.parent).items():
        clean_env.setenv(k, v)
    out = tmp_path / "open"
    assert cli.main(["export", "--out", str(out)]) == 0
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == set(exported["files"])
    for name in ("alle-indicatoren.csv", "alle-indicatoren.parquet",
                 "alle-indicatoren.geojson", f"indicatoren/{DISTRICT}.geojson"):
        assert (out / name).read_bytes() == exported["files"][name], name
    assert "bestanden" in capsys.readouterr().out
    assert cli.main(["export", "--out", str(tmp_path / "none"), "--indicator",
                     "bestaat_niet"]) == 2
    assert not (tmp_path / "none").exists()
    assert "onbekende indicator" in capsys.readouterr().err


# ------------------------------------------------------------------------------ page
def _media_id(url: str) -> str:
    return url.rsplit("/", 1)[-1].split(".")[0]


def _served(button, data: bytes, mime: str, name: str) -> bool:
    """Whether a download button serves exactly ``data`` (Streamlit's media id is a hash
    of data, media type and file name)."""
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    return _media_id(button.proto.url) == _calculate_file_id(data, mime, name)


@pytest.fixture
def page_env(built_copy, clean_env):
    for k, v in make_env(built_copy.db_path.parent.parent).items():
        clean_env.setenv(k, v)
    return built_copy


def test_page_offers_the_downloads(page_env):
    at = run_app("app_pages/opendata.py")
    labels = [b.label for b in at.download_button]
    assert any("alle-indicatoren.csv" in label for label in labels)
    assert any("datapackage.json" in label for label in labels)
    text = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info])
    assert page_env.city.open_data.licence in text
    assert "illustrative" in text
    at.radio(key="od_format_board").set_value("zip").run()
    assert not at.exception
    zipped = at.download_button(key="od_data")
    assert zipped.label.startswith("Download ") and ".zip" in zipped.label
    at.selectbox(key="od_scope").select(DISTRICT).run()
    assert not at.exception
    at.radio(key="od_format_indicator").set_value("geojson").run()
    assert not at.exception
    labels = [b.label for b in at.download_button]
    assert any(f"{DISTRICT}.geojson" in label for label in labels)
    assert any(f"Metadata: {DISTRICT}.json" in label for label in labels)


def test_page_pinned_serves_what_was_current_then(page_env):
    before, _, _ = _load_after_moment(page_env)
    with Store(page_env.db_path, read_only=True) as store:
        pinned = opendata.collect(store, page_env, before)
        now = opendata.collect(store, page_env)
    expected = opendata.parquet_bytes(pinned, DISTRICT)
    assert len(pinned.table) == len(now.table) - 2  # the load's new rows are not pinned
    at = run_app("app_pages/opendata.py",
                 {"stand": state.format_as_of(clock.to_local(before))})
    assert any("Vastgepinde stand" in i.value for i in at.info)
    at.selectbox(key="od_scope").select(DISTRICT).run()
    at.radio(key="od_format_indicator").set_value("parquet").run()
    assert not at.exception
    button = at.download_button(key="od_data")
    assert _served(button, expected, "application/vnd.apache.parquet",
                   f"{DISTRICT}.parquet")
    assert not _served(button, opendata.parquet_bytes(now, DISTRICT),
                       "application/vnd.apache.parquet", f"{DISTRICT}.parquet")


def test_cli_export_while_the_app_writes_says_so(built_copy, tmp_path, monkeypatch, capsys):
    """A second process cannot open the file while another holds it for writing (DuckDB;
    a Store holds it only while it writes, so the holder here connects directly): after
    DASHBOARD_DB_LOCK_WAIT a clear message, exit 5, nothing written, no traceback."""
    import subprocess
    import sys

    from dashboard import cli
    from dashboard.store import Store

    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DASHBOARD_DB_LOCK_WAIT", "0.5")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()",
         str(built_copy.db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert cli.main(["export", "--out", str(tmp_path / "out")]) == 5
    finally:
        holder.communicate("", timeout=60)
    assert "in gebruik" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with Store(built_copy.db_path, read_only=True) as s:  # released again
        assert len(s.indicators())
