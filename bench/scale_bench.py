"""Flanders-scale benchmark (issue 6, point 7 "Scale"): one big map, ten million rows.

    python bench/scale_bench.py [--geo DIR] [--out docs/performance.md] [--repeat N]
                                [--json FILE] [--keep]
    python bench/run.py --scale [same options]          (the same thing)

Targets: the Flanders-wide wijk layer (2,730 polygons) on one map for a Flanders-wide
indicator within a **payload of 2 MB**, and a **DuckDB aggregation over 10 million
measurement rows in 0.5 s**. Everything runs in ONE process; the databases live in a fresh
temporary folder (removed unless ``--keep``); nothing derived from ``../shared`` is
written into the project.

1. **Map.** ``dashboard.scale.flanders_wijken`` reads ``vlaanderen_wijken_2024.geojson``
   (EPSG:31370) with the app's reader, coverage-simplifies it in Lambert 72 with the app's
   wijk tolerance and reprojects it to WGS84; ``dashboard.scale.flanders_map`` colours it by
   an ILLUSTRATIVE indicator (seeded numpy) with the app's ``maps.choropleth`` (Leaflet from
   the app's static folder, no tiles). Payload = ``len(m.get_root().render().encode())``,
   plus what ``st_folium`` would ship to its component (script + HTML + header). Three
   builds: *naive* (official polygons as published, full float precision), *builder
   default* (simplified, coordinates rounded to 1e-5°, plain GeoJSON) and *polyline*
   (the same rounded coordinates, ``geometry_encoding="polyline"``).
2. **Ten million rows.** Two stores with the app's schema (``dashboard.store.Store``, real
   catalog, the 2,730 wijken as areas; ``dashboard.scale.scale_store``) each get the same
   10.27 million illustrative rows (``dashboard.scale.fill_measurements``): one in *arrival*
   order (wijk by wijk), one *sorted* by (indicator, year, wijk). The sorted store also
   gets two derived tables the app could maintain at load time: a *compact* copy of the
   current values (integer keys, SMALLINT year) and a *rollup* per (indicator, level, year).
3. **Queries.** (A) per indicator and year over all wijken: count, mean, min, max — reads
   every row; (B) one indicator per gemeente (the wijk code's 5-digit NIS prefix) and
   year; (C) one indicator in one year for all wijken (what the map needs). Each variant:
   the first run on a fresh read-only connection (*cold*: DuckDB's buffers empty; the file
   was just written, so the OS page cache is warm) and ``--repeat`` warm runs, the
   variants interleaved round by round so that load from other processes hits them alike;
   wall time and process CPU time (all DuckDB threads). Query A also with ``SET threads =
   1`` (what one free core gives). Every variant must return the same result.
4. Peak RSS per phase (``VmHWM``, reset before each phase) and of the whole process;
   machine facts and load average.
5. The results in ``--out`` between ``<!-- scale:start -->`` and ``<!-- scale:end -->``.

A benchmark, not a test: nothing is asserted about time; a wrong count or differing query
results stop it, because its timings would mean nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "src"))
sys.path.insert(0, str(PROJECT_ROOT))

from bench.memory import peak_mb, reset_peak  # noqa: E402
from bench.run import _loadavg, _payload_sizes, machine_facts  # noqa: E402
from bench.stats import count, pct  # noqa: E402
from dashboard.scale import (  # noqa: E402
    ATTRIBUTION, FLANDERS_TITLE, FLANDERS_UNIT, FLANDERS_WIJK_COUNT, LAST_PERIOD,
    fill_measurements, flanders_map, flanders_wijken, illustrative_values, scale_store,
)
from dashboard.store import LEVELS  # noqa: E402

SHARED_GEO = (PROJECT_ROOT.parent / "shared" / "geo").resolve()
START, END = "<!-- scale:start -->", "<!-- scale:end -->"
TARGET_PAYLOAD_BYTES = 2_000_000   # "≤ 2 MB", read strictly as 2,000,000 bytes
TARGET_QUERY_S = 0.5


# ------------------------------------------------------------------ memory
def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ 1. map
def _comma(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _map(gdf, static_url: str, encoding: str, precision: str = "rounded"):
    """``flanders_map``, or the same choropleth with ``precision`` passed on (the naive
    build: ``maps.choropleth(precision="full")``, coordinates as given); ``flanders_map``
    takes no builder keywords, so its call is repeated here, and :func:`_check_same_map`
    checks that the repetition draws exactly what ``flanders_map`` draws."""
    if precision == "rounded":
        return flanders_map(gdf, static_url=static_url, geometry_encoding=encoding)
    from dashboard import maps

    return maps.choropleth(
        gdf, illustrative_values(gdf["code"]), title=FLANDERS_TITLE, unit=FLANDERS_UNIT,
        fmt=_comma, scheme="quantiles", static_url=static_url, attribution=ATTRIBUTION,
        quality="official", illustrative=True, tiles="none", geometry_encoding=encoding,
        precision=precision)


def _check_same_map(gdf, static_url: str) -> None:
    """The repeated call with the app's rounding renders byte for byte what
    ``flanders_map`` renders (else the naive row would not be flanders_map's map)."""
    def page(m) -> str:  # folium's element names are random per build
        return re.sub(r"_[0-9a-f]{32}", "_", m.get_root().render())

    from dashboard import maps

    mine = maps.choropleth(
        gdf, illustrative_values(gdf["code"]), title=FLANDERS_TITLE, unit=FLANDERS_UNIT,
        fmt=_comma, scheme="quantiles", static_url=static_url, attribution=ATTRIBUTION,
        quality="official", illustrative=True, tiles="none", geometry_encoding="geojson")
    if page(mine) != page(flanders_map(gdf, static_url=static_url,
                                       geometry_encoding="geojson")):
        raise SystemExit("bench/scale_bench.py: its naive map call no longer matches "
                         "dashboard.scale.flanders_map")


def measure_map(geo: Path, static_url: str, repeat: int) -> dict:
    import shapely

    from dashboard import geodata

    t = time.perf_counter()
    simplified = flanders_wijken(geo)
    read_s = time.perf_counter() - t
    raw = flanders_wijken(geo, tolerance_m=0)
    if len(simplified) != FLANDERS_WIJK_COUNT or len(raw) != FLANDERS_WIJK_COUNT:
        raise SystemExit(f"expected {FLANDERS_WIJK_COUNT} wijken, got {len(simplified)}")

    def vertices(gdf) -> int:
        return int(shapely.get_num_coordinates(gdf.geometry.to_numpy()).sum())

    variants = [
        ("naive", "official polygons as published, full float precision, plain GeoJSON",
         raw, "geojson", True),
        ("builder default", f"coverage-simplified ({geodata.TOLERANCE_M['wijk']:g} m), "
         "rounded to 1e-5°, plain GeoJSON", simplified, "geojson", False),
        ("polyline", f"coverage-simplified ({geodata.TOLERANCE_M['wijk']:g} m), rounded to "
         "1e-5°, `geometry_encoding=\"polyline\"`", simplified, "polyline", False),
    ]
    _check_same_map(simplified, static_url)
    rows = []
    for key, label, gdf, encoding, naive in variants:
        precision = "full" if naive else "rounded"
        builds, renders, sizes = [], [], set()
        m = None
        for _ in range(repeat):
            gc.collect()
            t = time.perf_counter()
            m = _map(gdf, static_url, encoding, precision)
            builds.append(time.perf_counter() - t)
            t = time.perf_counter()
            html_bytes = len(m.get_root().render().encode())
            renders.append(time.perf_counter() - t)
            sizes.add(html_bytes)
        if len(sizes) != 1:
            raise SystemExit(f"{key}: payload differs between builds: {sorted(sizes)}")
        m = _map(gdf, static_url, encoding, precision)
        _html, wire = _payload_sizes(m)
        rows.append({"key": key, "label": label, "encoding": encoding,
                     "polygons": len(gdf), "vertices": vertices(gdf),
                     "html_bytes": sizes.pop(), "wire_bytes": wire,
                     "build_s": statistics.median(builds), "render_s": statistics.median(renders),
                     "total_s": statistics.median(b + r for b, r in zip(builds, renders)),
                     "n": repeat})
        del m
    return {"read_s": read_s, "rows": rows, "tolerance_m": geodata.TOLERANCE_M["wijk"]}


# ------------------------------------------------------------------ 2. databases
# The compact copy of the current values: integer keys instead of strings, the level as an
# ENUM of the store's four levels, sorted by (indicator, level, year, area) so a filter on
# one indicator and year skips every other row group.
COMPACT_SQL = """
CREATE TYPE area_level AS ENUM ({levels});
CREATE TABLE indicator_key AS
    SELECT (row_number() OVER (ORDER BY id) - 1)::USMALLINT AS ind, id AS indicator_id
    FROM indicator;
CREATE TABLE area_key AS
    SELECT (row_number() OVER (ORDER BY code) - 1)::USMALLINT AS area, code AS area_code,
           level::area_level AS level, left(code, 5) AS gemeente
    FROM area;
CREATE TABLE measurement_compact AS
    SELECT k.ind, a.level, m.period::SMALLINT AS period, a.area, m.value
    FROM current_measurement m
    JOIN indicator_key k ON k.indicator_id = m.indicator_id
    JOIN area_key a ON a.area_code = m.area_code
    ORDER BY k.ind, a.level, period, a.area;
""".format(levels=", ".join(f"'{lv}'" for lv in LEVELS))
ROLLUP_SQL = """
CREATE TABLE measurement_rollup AS
    SELECT m.indicator_id, a.level, m.period, count(*) AS n, sum(m.value) AS total,
           min(m.value) AS lo, max(m.value) AS hi
    FROM current_measurement m JOIN area a ON a.code = m.area_code
    GROUP BY ALL ORDER BY ALL;
"""
# DuckDB aggregates with a "perfect hash" table (an array indexed by the group keys, no
# hashing, no probing) only when the group keys fit in perfect_ht_threshold bits (default
# 12). Indicator (7 bits for 99 ids) and year (6 bits for 38 years) plus a null bit each
# need 15.
PERFECT_HT_BITS = 18
# What one load of one indicator would cost to keep both derived tables current.
REFRESH_SQL = """
DELETE FROM measurement_compact WHERE ind = (SELECT ind FROM indicator_key
                                             WHERE indicator_id = $ind);
INSERT INTO measurement_compact
    SELECT k.ind, a.level, m.period::SMALLINT, a.area, m.value
    FROM current_measurement m
    JOIN indicator_key k ON k.indicator_id = m.indicator_id
    JOIN area_key a ON a.area_code = m.area_code
    WHERE m.indicator_id = $ind
    ORDER BY a.level, m.period, a.area;
DELETE FROM measurement_rollup WHERE indicator_id = $ind;
INSERT INTO measurement_rollup
    SELECT m.indicator_id, a.level, m.period, count(*), sum(m.value), min(m.value),
           max(m.value)
    FROM current_measurement m JOIN area a ON a.code = m.area_code
    WHERE m.indicator_id = $ind
    GROUP BY ALL ORDER BY ALL;
"""


class _RollBack(Exception):
    """Leaves a store transaction without committing (Store.transaction rolls back)."""


def build_stores(geo: Path, root: Path) -> dict:
    out: dict = {"stores": {}}
    for order in ("arrival", "sorted"):
        path = root / f"{order}.duckdb"
        gc.collect()
        reset_peak()
        t, c = time.perf_counter(), time.process_time()
        store = scale_store(path, geo, wijk_indicators=10**6)  # every indicator at wijk level
        try:
            info = fill_measurements(store, order)
            store.checkpoint()
            elapsed, cpu = time.perf_counter() - t, time.process_time() - c
            written = count(store, "SELECT count(*) FROM measurement "
                                   "WHERE batch_id = 'illustrative-scale'")
            if written != info["rows"]:
                raise SystemExit(f"{order}: {written} rows written, {info['rows']} expected")
            rec = {**info, "build_s": elapsed, "build_cpu_s": cpu, "peak_mb": peak_mb(),
                   "total_rows": count(store, "SELECT count(*) FROM measurement")}
            if order == "sorted":
                for name, sql in (("compact", COMPACT_SQL), ("rollup", ROLLUP_SQL)):
                    reset_peak()
                    t = time.perf_counter()
                    with store.transaction() as cur:  # COMMIT, then the store's CHECKPOINT
                        cur.execute(sql)
                    rec[f"{name}_s"] = time.perf_counter() - t
                    rec[f"{name}_peak_mb"] = peak_mb()
                rec["compact_rows"] = count(store, "SELECT count(*) FROM measurement_compact")
                rec["rollup_rows"] = count(store, "SELECT count(*) FROM measurement_rollup")
                # Incremental upkeep for one indicator (what a load would add), rolled back
                # so the timed tables stay sorted as built.
                with store.transaction() as cur:
                    ind = cur.execute("SELECT min(indicator_id) FROM measurement_rollup"
                                      ).fetchone()[0]
                try:
                    with store.transaction() as cur:
                        t = time.perf_counter()
                        for stmt in filter(str.strip, REFRESH_SQL.split(";")):
                            cur.execute(stmt.replace("$ind", "?"), [ind] * stmt.count("$ind"))
                        rec["refresh_one_indicator_s"] = time.perf_counter() - t
                        raise _RollBack
                except _RollBack:
                    pass
        finally:
            store.close()
        rec["file_mb"] = path.stat().st_size / 2**20
        out["stores"][order] = rec
        print(f"  {order:<8} {rec['rows']:,} rows in {rec['build_s']:.1f} s, "
              f"{rec['file_mb']:.0f} MB file", flush=True)
    return out


# ------------------------------------------------------------------ 3. queries
AGG = "count(*) AS n, avg(m.value) AS mean, min(m.value) AS lo, max(m.value) AS hi"


def queries(indicator: str) -> list[dict]:
    """Every query variant: id, query (A/B/C), variant, database, SQL, connection settings."""
    lit = indicator.replace("'", "''")  # a constant of this benchmark, not user input
    app_a = (f"SELECT m.indicator_id, m.period, {AGG} FROM current_measurement m "
             "JOIN area a ON a.code = m.area_code WHERE a.level = 'wijk' "
             "GROUP BY m.indicator_id, m.period ORDER BY 1, 2")
    app_b = ("SELECT left(m.area_code, 5) AS gemeente, m.period, count(*) AS n, "
             "avg(m.value) AS mean FROM current_measurement m "
             "JOIN area a ON a.code = m.area_code "
             f"WHERE a.level = 'wijk' AND m.indicator_id = '{lit}' GROUP BY ALL ORDER BY 1, 2")
    app_c = ("SELECT m.area_code, m.value FROM current_measurement m "
             "JOIN area a ON a.code = m.area_code "
             f"WHERE a.level = 'wijk' AND m.indicator_id = '{lit}' AND m.period = {LAST_PERIOD} "
             "ORDER BY 1")
    compact_a = ("SELECT k.indicator_id, g.period::INTEGER AS period, g.n, g.mean, g.lo, g.hi "
                 f"FROM (SELECT m.ind, m.period, {AGG} FROM measurement_compact m "
                 "WHERE m.level = 'wijk' GROUP BY m.ind, m.period) g "
                 "JOIN indicator_key k USING (ind) ORDER BY 1, 2")
    one_ind = f"m.ind = (SELECT ind FROM indicator_key WHERE indicator_id = '{lit}')"
    compact_b = ("SELECT a.gemeente, m.period::INTEGER AS period, count(*) AS n, "
                 "avg(m.value) AS mean FROM measurement_compact m JOIN area_key a USING (area) "
                 f"WHERE m.level = 'wijk' AND {one_ind} GROUP BY ALL ORDER BY 1, 2")
    compact_c = ("SELECT a.area_code, m.value FROM measurement_compact m "
                 f"JOIN area_key a USING (area) WHERE m.level = 'wijk' AND {one_ind} "
                 f"AND m.period = {LAST_PERIOD} ORDER BY 1")
    rollup_a = ("SELECT indicator_id, period, n, total / n AS mean, lo, hi "
                "FROM measurement_rollup WHERE level = 'wijk' ORDER BY 1, 2")
    perfect = {"perfect_ht_threshold": PERFECT_HT_BITS}
    one = {"threads": 1}
    rows = [  # (query, variant, database, SQL, settings)
        ("A", "naive", "arrival", app_a, {}),
        ("A", "sorted", "sorted", app_a, {}),
        ("A", "compact", "sorted", compact_a, {}),
        ("A", "compact + perfect hash", "sorted", compact_a, perfect),
        ("A", "rollup", "sorted", rollup_a, {}),
        ("A", "naive", "arrival", app_a, one),
        ("A", "sorted", "sorted", app_a, one),
        ("A", "compact + perfect hash", "sorted", compact_a, {**perfect, **one}),
        ("B", "naive", "arrival", app_b, {}),
        ("B", "sorted", "sorted", app_b, {}),
        ("B", "compact", "sorted", compact_b, {}),
        ("C", "naive", "arrival", app_c, {}),
        ("C", "sorted", "sorted", app_c, {}),
        ("C", "compact", "sorted", compact_c, {}),
    ]
    out = []
    for q, variant, db, sql, settings in rows:
        suffix = ", 1 thread" if settings.get("threads") == 1 else ""
        out.append({"id": f"{q} {variant}{suffix}", "query": q, "variant": variant,
                    "db": db, "sql": sql, "settings": settings,
                    "threads": settings.get("threads")})
    return out


def _same(a: list[tuple], b: list[tuple]) -> bool:
    """Equal results; floats equal up to summation order (relative 1e-9)."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if len(ra) != len(rb):
            return False
        for x, y in zip(ra, rb):
            if isinstance(x, float) or isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    return False
            elif x != y:
                return False
    return True


def measure_queries(root: Path, repeat: int) -> dict:
    import duckdb

    probe = duckdb.connect(str(root / "sorted.duckdb"), read_only=True)
    try:
        indicator = probe.execute("SELECT min(indicator_id) FROM measurement "
                                  "WHERE batch_id = 'illustrative-scale'").fetchone()[0]
        defaults = {name: int(probe.execute(f"SELECT current_setting('{name}')").fetchone()[0])
                    for name in ("threads", "perfect_ht_threshold")}
    finally:
        probe.close()
    variants = queries(indicator)

    def settle(con, v) -> None:
        # Both settings are GLOBAL in DuckDB (shared by every connection to the same file
        # in this process): set them before every run, outside the timed part.
        for name, value in {**defaults, **v["settings"]}.items():
            con.execute(f"SET {name} = {int(value)}")

    def timed(con, v) -> tuple[float, float, list[tuple]]:
        t, c = time.perf_counter(), time.process_time()
        res = con.execute(v["sql"]).fetchall()
        return time.perf_counter() - t, time.process_time() - c, res

    reset_peak()
    results: dict[str, list] = {}
    for v in variants:  # cold: first query of a freshly opened database instance
        gc.collect()
        con = duckdb.connect(str(root / f"{v['db']}.duckdb"), read_only=True)
        try:
            settle(con, v)
            v["cold_s"], v["cold_cpu_s"], res = timed(con, v)
        finally:
            con.close()  # the last connection: DuckDB drops the instance and its buffers
        v["rows"] = len(res)
        results[v["id"]] = res
        v["wall"], v["cpu"] = [], []
    cons = {db: duckdb.connect(str(root / f"{db}.duckdb"), read_only=True)
            for db in {v["db"] for v in variants}}
    try:
        for _ in range(repeat):  # warm: round by round, every variant once per round
            for v in variants:
                settle(cons[v["db"]], v)
                wall, cpu, _res = timed(cons[v["db"]], v)
                v["wall"].append(wall)
                v["cpu"].append(cpu)
    finally:
        for con in cons.values():
            con.close()
    peak = peak_mb()
    # Every variant of a query must give the same answer (rows, keys and values).
    for q in ("A", "B", "C"):
        ids = [v["id"] for v in variants if v["query"] == q]
        ref = results[ids[0]]
        for i in ids[1:]:
            if not _same(results[i], ref):
                raise SystemExit(f"query {q}: '{i}' differs from '{ids[0]}'")
    for v in variants:
        v["median_s"] = statistics.median(v["wall"])
        v["p95_s"] = pct(v["wall"], 95)
        v["min_s"], v["max_s"] = min(v["wall"]), max(v["wall"])
        v["cpu_median_s"] = statistics.median(v["cpu"])
    return {"indicator": indicator, "defaults": defaults, "repeat": repeat,
            "variants": variants, "peak_mb": peak}


# ------------------------------------------------------------------ 4. report
def _mb(b: float) -> str:
    return f"{b / 1_000_000:,.2f}"


QUERY_TEXT = {
    "A": "per indicator and year over all wijken: count, mean, min, max (one row per "
         "indicator and year; reads every row)",
    "B": "one indicator per gemeente (NIS prefix of the wijk code) and year: count, mean",
    "C": f"one indicator, year {LAST_PERIOD}, every wijk (the values a Flanders map needs)",
}
VARIANT_TEXT = {
    "naive": "app schema and query (`current_measurement` view ⋈ `area`), rows in arrival "
             "order (wijk by wijk)",
    "sorted": "the same schema and query, rows written sorted by (indicator, year, wijk)",
    "compact": "`measurement_compact`: the current values only, integer keys (USMALLINT "
               "indicator and area, SMALLINT year, the level as an ENUM), sorted by "
               "(indicator, level, year, area)",
    "compact + perfect hash": "the same with `SET perfect_ht_threshold = "
                              f"{PERFECT_HT_BITS}` (DuckDB's default is 12 bits), so DuckDB "
                              "aggregates into an array indexed by (indicator, year) instead "
                              "of a hash table",
    "rollup": "`measurement_rollup`: count/sum/min/max per (indicator, level, year), "
              "written at load time (no aggregation over the rows at query time)",
}


def render_block(r: dict) -> str:
    mf, mp, db, q = r["machine"], r["map"], r["db"], r["queries"]
    out = [START, f"*Generated by `{r['command']}` on {r['date']} "
           f"(total run {r['elapsed_s']:.0f} s).*", ""]
    v = mf["versions"]
    out += [f"**Machine.** {mf['nproc']} CPUs (affinity {mf['affinity']}), {mf['cpu']}; "
            f"load average (1/5/15 min) {r['loadavg_start']} at the start and "
            f"{mf['loadavg']} at the end (this benchmark accounts for up to 2 while DuckDB "
            "runs its threads; more means other processes compete for the cores); Python "
            f"{mf['python']}; duckdb {v.get('duckdb')}, folium {v.get('folium')}, "
            f"geopandas {v.get('geopandas')}, shapely {v.get('shapely')}.", ""]

    # map
    out += ["#### Flanders-wide wijk map (2,730 polygons, one illustrative indicator, no tiles)",
            "", f"Reading, simplifying ({mp['tolerance_m']:g} m) and reprojecting the layer: "
            f"{mp['read_s']:.1f} s (once).", "",
            "| build | geometry | vertices | HTML bytes (MB) | st_folium payload MB | "
            "build + render s (median of " + str(mp["rows"][0]["n"]) + ") | target ≤ 2 MB |",
            "|---|---|---:|---:|---:|---:|---|"]
    for row in mp["rows"]:
        ok = row["html_bytes"] <= TARGET_PAYLOAD_BYTES
        wire = "n/a" if row["wire_bytes"] is None else _mb(row["wire_bytes"])
        out.append(f"| {row['key']} | {row['label']} | {row['vertices']:,} | "
                   f"{row['html_bytes']:,} ({_mb(row['html_bytes'])}) | {wire} | "
                   f"{row['total_s']:.2f} ({row['build_s']:.2f} + {row['render_s']:.2f}) | "
                   f"{'**met**' if ok else 'not met'} |")
    out += ["", "HTML bytes = `len(m.get_root().render().encode())`; MB = 10⁶ bytes. "
            "*st_folium payload* = what `st_folium` sends to its component (Leaflet script + "
            "HTML + header). *Build* = `maps.choropleth` (through `dashboard.scale.flanders_map`), "
            "*render* = `get_root().render()`.", ""]

    # databases
    st = db["stores"]
    a, s = st["arrival"], st["sorted"]
    out += ["#### Ten million measurement rows (DuckDB, the app's schema)", "",
            f"Each store: {a['indicators']} catalog indicators × {a['areas']:,} wijken × "
            f"{a['periods']} years ({1 + LAST_PERIOD - a['periods']}–{LAST_PERIOD}) = "
            f"**{a['rows']:,} illustrative rows** (+ {a['total_rows'] - a['rows']} catalog "
            "rows), one batch, written by one `INSERT … SELECT` in one store transaction.", "",
            "| store | write s (CPU s) | peak RSS MB | file MB |", "|---|---:|---:|---:|",
            f"| arrival order | {a['build_s']:.1f} ({a['build_cpu_s']:.1f}) | "
            f"{a['peak_mb']:,.0f} | {a['file_mb']:,.0f} |",
            f"| sorted | {s['build_s']:.1f} ({s['build_cpu_s']:.1f}) | {s['peak_mb']:,.0f} | "
            f"{s['file_mb']:,.0f} |",
            f"| + `measurement_compact` ({s['compact_rows']:,} rows) | {s['compact_s']:.1f} | "
            f"{s['compact_peak_mb']:,.0f} | (same file) |",
            f"| + `measurement_rollup` ({s['rollup_rows']:,} rows) | {s['rollup_s']:.1f} | "
            f"{s['rollup_peak_mb']:,.0f} | (same file, total {s['file_mb']:,.0f}) |", "",
            "Keeping both derived tables current for one re-loaded indicator (delete its "
            "rows, insert them again from `current_measurement`, in one transaction): "
            f"{s['refresh_one_indicator_s']:.2f} s.", ""]

    out += [f"#### Query times ({q['repeat']} warm runs per variant, interleaved; DuckDB "
            f"threads = {q['defaults']['threads']} unless noted)", "",
            "| query | variant | rows out | cold s | warm median s | p95 s | min–max s | "
            "CPU median s | ≤ 0.5 s (median) |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for x in q["variants"]:
        ok = x["median_s"] <= TARGET_QUERY_S
        name = x["variant"] + (" (1 thread)" if x["threads"] == 1 else "")
        out.append(f"| {x['query']} | {name} | {x['rows']:,} | {x['cold_s']:.3f} | "
                   f"{x['median_s']:.3f} | {x['p95_s']:.3f} | {x['min_s']:.3f}–{x['max_s']:.3f}"
                   f" | {x['cpu_median_s']:.3f} | {'met' if ok else '**not met**'} |")
    out += ["", "Queries: " + "; ".join(f"**{k}** {t}" for k, t in QUERY_TEXT.items())
            + f" (B and C for `{q['indicator']}`).", "",
            "Variants: " + "; ".join(f"*{k}*: {t}" for k, t in VARIANT_TEXT.items()) + ".", "",
            "*Cold* = first query on a fresh read-only connection (DuckDB's buffer pool "
            "empty; the OS page cache holds the file, which was just written). *CPU* = "
            "process CPU time, all DuckDB threads: more CPU than wall time means both cores "
            "worked. Every variant of a query returned the same rows (checked).", ""]

    # targets
    by = {x["id"]: x for x in q["variants"]}
    poly = next(x for x in mp["rows"] if x["encoding"] == "polyline")
    default = next(x for x in mp["rows"] if x["key"] == "builder default")

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    out += ["#### Targets", "", "Query targets are judged on the warm median.", "",
            "| target (issue 6, point 7) | measured | result |",
            "|---|---|---|",
            f"| Flanders-wide wijk map ≤ 2 MB | {poly['html_bytes']:,} bytes with "
            f"`geometry_encoding=\"polyline\"` ({default['html_bytes']:,} with the builder's "
            f"default GeoJSON) | {verdict(poly['html_bytes'] <= TARGET_PAYLOAD_BYTES)} |"]
    for vid in ("A naive", "A sorted", "A compact", "A compact + perfect hash",
                "A naive, 1 thread", "A sorted, 1 thread", "A compact + perfect hash, 1 thread",
                "A rollup"):
        x = by[vid]
        what = (f"query A from the rollup (reads {x['rows']:,} rows aggregated when the data "
                "were written; no aggregation at query time)" if x["variant"] == "rollup" else
                f"aggregation over {a['rows'] / 1e6:.1f} M rows ≤ 0.5 s ({x['variant']}"
                f"{', 1 thread' if x['threads'] == 1 else ''})")
        out.append(f"| {what} | median {x['median_s']:.3f} s (CPU {x['cpu_median_s']:.3f} s), "
                   f"p95 {x['p95_s']:.3f} s, cold {x['cold_s']:.3f} s "
                   f"| {verdict(x['median_s'] <= TARGET_QUERY_S)} |")
    out += ["", "#### Memory", "",
            f"Peak RSS (`VmHWM`, reset before each phase): map phase {r['rss']['map']:,.0f} MB; "
            f"writing the arrival store {a['peak_mb']:,.0f} MB, the sorted store "
            f"{s['peak_mb']:,.0f} MB, the compact table {s['compact_peak_mb']:,.0f} MB; "
            f"queries (both databases open) {q['peak_mb']:,.0f} MB. "
            f"Whole process (the largest of these): {r['rss']['process']:,.0f} MB.", "",
            END]
    return "\n".join(out)


def write_doc(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if START not in text or END not in text:
        text = text.rstrip("\n") + "\n\n## Flanders scale\n\n" + START + "\n" + END + "\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    text = pattern.sub(lambda _m: block, text, count=1)
    path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------ main
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    return ap


def add_arguments(ap: argparse.ArgumentParser, out_default: bool = True) -> None:
    ap.add_argument("--geo", default=str(SHARED_GEO),
                    help="folder with vlaanderen_wijken_2024.geojson (read only)")
    if out_default:
        ap.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "performance.md"),
                        help="Markdown file whose scale block is regenerated")
        ap.add_argument("--json", help="also write the raw results as JSON to this file")
        ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--query-repeat", type=int, default=15,
                    help="warm runs per query variant")
    ap.add_argument("--map-repeat", type=int, default=3, help="builds per map variant")


def run(args: argparse.Namespace, command: str) -> int:
    geo = Path(args.geo).resolve()
    if not (geo / "vlaanderen_wijken_2024.geojson").is_file():
        raise SystemExit(f"vlaanderen_wijken_2024.geojson not found in {geo}")
    if args.query_repeat < 2 or args.map_repeat < 1:
        raise SystemExit("--query-repeat must be at least 2, --map-repeat at least 1")
    started = time.perf_counter()
    loadavg_start = _loadavg()
    root = Path(tempfile.mkdtemp(prefix="kortrijk-scale-"))
    try:
        print(f"[scale] map ({args.map_repeat} builds per variant) …", flush=True)
        reset_peak()
        mp = measure_map(geo, "/app/static", args.map_repeat)
        rss = {"map": peak_mb()}
        for row in mp["rows"]:
            print(f"  {row['key']:<16} {row['html_bytes']:>10,} bytes  "
                  f"{row['total_s']:.2f} s", flush=True)
        gc.collect()
        print(f"[scale] writing two stores in {root} …", flush=True)
        db = build_stores(geo, root)
        print(f"[scale] queries ({args.query_repeat} warm runs per variant) …", flush=True)
        qs = measure_queries(root, args.query_repeat)
        for x in qs["variants"]:
            print(f"  {x['id']:<20} cold {x['cold_s']:.3f} s  median {x['median_s']:.3f} s  "
                  f"CPU {x['cpu_median_s']:.3f} s", flush=True)
        # Resetting VmHWM resets ru_maxrss too: the process peak is the largest phase peak.
        st = db["stores"]
        rss["process"] = max(rss["map"], qs["peak_mb"], _max_rss_mb(),
                             *(st[o]["peak_mb"] for o in st), st["sorted"]["compact_peak_mb"],
                             st["sorted"]["rollup_peak_mb"])
        report = {"command": command,
                  "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                  "map": mp, "db": db, "queries": qs, "rss": rss,
                  "machine": machine_facts(), "loadavg_start": loadavg_start,
                  "elapsed_s": time.perf_counter() - started}
        out = Path(args.out)
        write_doc(out, render_block(report))
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2, default=str),
                                       encoding="utf-8")
        print(f"[scale] process peak RSS {rss['process']:.0f} MB; wrote {out} in "
              f"{report['elapsed_s']:.0f} s", flush=True)
    finally:
        if args.keep:
            print(f"[scale] kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    shown = " ".join(["python bench/scale_bench.py", *(argv if argv is not None
                                                     else sys.argv[1:])])
    return run(args, shown)


if __name__ == "__main__":
    sys.exit(main())
