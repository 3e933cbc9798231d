"""Benchmark of coordinator loads: read + validate, preview, commit and undo.

    python bench/loads_bench.py [--out docs/performance_loads.md] [--keep] [--no-profile]

Everything happens in ONE process on a fresh temporary folder, with the app's own code and
nothing relaxed:

1. build the DuckDB file and the geometry store there (``dashboard.build.build``, official
   geodata from ``../shared/geo`` through ``DASHBOARD_GEODATA_DIR``);
2. **the largest valid file** the catalog and the areas allow. Keys (indicator, area, year)
   must be unique, years run 2000..this year and an indicator may only be loaded at the
   levels in its ``levels`` (plus the benchmark peers for the 9 compared indicators): 92
   indicators exist at ``gemeente`` level only, 7 at every level (136 areas), so the
   maximum is 92·1·Y + 7·136·Y + 9·12·Y rows (31,104 for Y = 27 years, 2000–2026; the
   run computes it from the store with ``dashboard.loads.samples.max_valid_rows``). Values are
   plausible (inside ``plausible_min``..``plausible_max``), change
   −2..+3 %/year (no jump warnings) and district values add up to the city total (no sum
   warnings). Timed: ``loads.validate_file``, ``loads.preview``, ``loads.commit``,
   ``Store.undo_batch``;
3. **the 1,000,000-row file** asked for (semicolon, Dutch decimals): the valid rows above
   repeated until 1,000,000 rows. Every row is valid on its own, but a valid file of that
   size cannot exist, so validation reports the duplicates and ``loads.commit`` refuses it.
   Timed: ``loads.validate_file`` (read + validate), ``loads.preview``, the refused commit;
4. **1,000,000 rows through the real path**: as many valid files as needed (33 files:
   32 × 31,104 + 4,672 rows), values 0.2 % apart from one file to the next so every row
   really replaces one), each read + validated + committed (``loads.validate_file`` +
   ``loads.commit``), then undone newest first;
5. **store level, one transaction of 1,000,000 rows** (``Store.commit_load`` and
   ``Store.undo_batch`` called directly, on a fresh copy of the built database): distinct
   keys need years up to 2960, which validation refuses, so this is NOT a path the app
   offers; it isolates what one big DuckDB transaction costs;
6. cProfile of the slow phases (where the time goes), peak RSS per phase (``VmHWM``, reset
   before each phase), machine facts;
7. the results in ``--out`` between ``<!-- bench:start -->`` and ``<!-- bench:end -->``
   (the prose around them is kept; a missing file is created).

A benchmark, not a test: nothing is asserted about time. A phase whose outcome is not the
expected one (a valid file refused, a count that does not add up) is an error, because its
timings would mean nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.metadata
import os
import platform
import pstats
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "src"))
sys.path.insert(0, str(PROJECT_ROOT))

from bench.memory import peak_mb, reset_peak  # noqa: E402
from bench.stats import count  # noqa: E402
from dashboard import loads  # noqa: E402
from dashboard.build import build  # noqa: E402
from dashboard.settings import load_settings  # noqa: E402
from dashboard.store import Store  # noqa: E402

from dashboard.loads.samples import (  # noqa: E402
    FIRST_YEAR, max_valid_rows, to_csv, valid_frame,
)

SHARED_GEO = (PROJECT_ROOT.parent / "shared" / "geo").resolve()
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
BIG_ROWS = 1_000_000
REAL_PATH = "1,000,000 rows in valid Kortrijk-sized loads"
TARGET_SECONDS = 10.0          # validate + commit of 1,000,000 rows on this 2-core machine


class Phases:
    """Wall time, CPU time and peak RSS of named phases; a phase may run several times."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def _entry(self, group: str, name: str, rows: int) -> dict:
        for r in self.rows:
            if r["group"] == group and r["phase"] == name:
                return r
        r = {"group": group, "phase": name, "rows": rows, "samples": []}
        self.rows.append(r)
        return r

    def run(self, group: str, name: str, rows: int, fn, *args, **kwargs):
        reset_peak()
        cpu, t = time.process_time(), time.perf_counter()
        result = fn(*args, **kwargs)
        self.add(group, name, rows, time.perf_counter() - t, time.process_time() - cpu,
                 peak_mb())
        return result

    def add(self, group: str, name: str, rows: int, seconds: float, cpu: float,
            peak_mb: float) -> None:
        self._entry(group, name, rows)["samples"].append((seconds, cpu, peak_mb))
        print(f"  {group:<33} {name:<38} {rows:>9,} rows {seconds:7.2f} s "
              f"(cpu {cpu:6.2f} s)", flush=True)

    def get(self, group: str, name: str) -> dict:
        """The phase with its best (lowest) wall time as ``seconds``."""
        r = next(r for r in self.rows if r["group"] == group and r["phase"] == name)
        best = min(r["samples"])
        return {**r, "seconds": best[0], "cpu": best[1],
                "peak_mb": max(p for _, _, p in r["samples"]),
                "all": [w for w, _, _ in r["samples"]]}


def profile(fn, *args, **kwargs) -> tuple[object, pstats.Stats]:
    pr = cProfile.Profile()
    pr.enable()
    try:
        result = fn(*args, **kwargs)
    finally:
        pr.disable()
    return result, pstats.Stats(pr)


def top_functions(stats: pstats.Stats, n: int = 12) -> list[tuple[str, float, float, int]]:
    """(function, own seconds, cumulative seconds, calls), by own time."""
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append((f"{_short(file)}:{line}({func})", tt, ct, nc))
    rows.sort(key=lambda r: r[1], reverse=True)
    return rows[:n]


def _short(file: str) -> str:
    for marker in ("site-packages/", "/src/", "lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def callees(stats: pstats.Stats, file_suffix: str, func: str, n: int = 12
            ) -> list[tuple[str, float, int]]:
    """Direct callees of one function: (callee, cumulative s spent from it, calls)."""
    key = next((k for k in stats.stats if k[0].endswith(file_suffix) and k[2] == func), None)
    if key is None:
        return []
    rows = []
    for (file, line, name), (*_, callers) in stats.stats.items():
        if key in callers:
            c = callers[key]
            rows.append((f"{_short(file)}:{line}({name})", c[3], c[1]))
    rows.sort(key=lambda r: r[1], reverse=True)
    return rows[:n]


def project_functions(stats: pstats.Stats, n: int = 10) -> list[tuple[str, float, float, int]]:
    """The project's own functions (src/dashboard), by cumulative time."""
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        if "/src/dashboard/" in file:
            rows.append((f"{file.split('/src/', 1)[1]}:{line}({func})", tt, ct, nc))
    rows.sort(key=lambda r: r[2], reverse=True)
    return rows[:n]


# -- the phases ------------------------------------------------------------------------
def build_db(root: Path):
    env = {
        "DASHBOARD_DB_PATH": str(root / "data" / "dashboard.duckdb"),
        "DASHBOARD_GEO_DIR": str(root / "geo"),
        "DASHBOARD_STATIC_DIR": str(PROJECT_ROOT / "static"),
        "DASHBOARD_GEODATA_DIR": str(SHARED_GEO),
    }
    settings = load_settings(env)
    build(settings)
    return settings


def copy_db(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    dst = dst_dir / src.name
    shutil.copy2(src, dst)
    return dst


def current_count(store: Store, batch_id: str) -> int:
    return count(store, "SELECT count(*) FROM current_measurement WHERE batch_id = ?",
                 [batch_id])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "performance_loads.md"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile runs")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each single-file phase; the best wall time is reported")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="loads-bench-"))
    phases = Phases()
    profiles: dict[str, pstats.Stats] = {}
    facts: dict[str, object] = {}
    t_all = time.perf_counter()
    facts["code"] = code_fingerprint()
    facts["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        print(f"Temporary folder: {tmp}", flush=True)
        settings = phases.run("setup", "build (catalog + official geodata)", 0,
                              build_db, tmp / "base")
        pristine = settings.db_path

        # Data.
        with Store(pristine, read_only=True) as store:
            frame = valid_frame(store, seed=1)
            max_rows = max_valid_rows(store)
            facts["areas"] = store.area_counts()
            facts["indicators"] = len(store.indicators())
            facts["indicators_all_levels"] = int(
                (store.indicators()["levels"].map(len) > 1).sum())
        assert len(frame) == max_rows, (len(frame), max_rows)
        facts["max_valid_rows"] = max_rows
        years = dt.date.today().year - FIRST_YEAR + 1
        facts["years"] = years
        repeats = -(-BIG_ROWS // len(frame))
        big = pd.concat([frame] * repeats, ignore_index=True).iloc[:BIG_ROWS]
        t = time.perf_counter()
        max_csv = to_csv(frame)
        big_csv = to_csv(big)
        (tmp / "max_valid.csv").write_bytes(max_csv)
        (tmp / "one_million.csv").write_bytes(big_csv)
        facts["generate_seconds"] = time.perf_counter() - t
        facts["max_csv_mb"] = len(max_csv) / 2**20
        facts["big_csv_mb"] = len(big_csv) / 2**20
        print(f"  files: max valid {len(frame):,} rows ({facts['max_csv_mb']:.1f} MiB), "
              f"big {len(big):,} rows ({facts['big_csv_mb']:.1f} MiB)", flush=True)

        # 2. The largest valid file: validate, preview, commit, undo (fresh copy each run).
        g = f"largest valid file ({max_rows:,})"
        for rep in range(args.repeat):
            db = copy_db(pristine, tmp / f"max{rep}")
            with Store(db) as store:
                v = phases.run(g, "read + validate (validate_file)", max_rows,
                               loads.validate_file, max_csv, "max_valid.csv", store)
                if not v.ok or len(v.warnings):
                    raise SystemExit(f"the largest valid file was not clean: "
                                     f"{v.error_list(5)} {v.warning_list(5)}")
                pv = phases.run(g, "preview", max_rows, loads.preview, store, v)
                assert int(pv[["toegevoegd", "vervangen", "ongewijzigd"]].to_numpy().sum()) \
                    == max_rows
                res = phases.run(g, "commit (loads.commit)", max_rows, loads.commit, store, v,
                                 who="bench", confirm_warnings=True)
                assert res["rows"] == max_rows, res
                facts["max_replaced"] = res["replaced"]
                phases.run(g, "undo (Store.undo_batch)", max_rows, store.undo_batch,
                           res["batch_id"])
                assert current_count(store, res["batch_id"]) == 0

        # 3. The 1,000,000-row file: validate, preview, refused commit.
        g = "1,000,000-row file"
        db = copy_db(pristine, tmp / "big")

        def refused(store, validated):
            try:
                loads.commit(store, validated, who="bench", confirm_warnings=True)
            except loads.LoadRefused as exc:
                return str(exc)
            raise SystemExit("a file with errors was committed")

        with Store(db) as store:
            before = store.table_checksums()
            for _rep in range(args.repeat):
                vb = phases.run(g, "read + validate (validate_file)", BIG_ROWS,
                                loads.validate_file, big_csv, "one_million.csv", store)
                reasons = vb.errors["reason"].str.extract(r"^(\w+)")[0].value_counts()
                facts["big_errors"] = len(vb.errors)
                facts["big_error_kinds"] = reasons.to_dict()
                assert len(vb.errors) == BIG_ROWS - max_rows, facts["big_errors"]
                assert set(facts["big_error_kinds"]) == {"dubbel"}, facts["big_error_kinds"]
                phases.run(g, "preview", BIG_ROWS, loads.preview, store, vb)
                facts["big_refused"] = phases.run(g, "commit (refused: errors)", BIG_ROWS,
                                                  refused, store, vb)
                vb = None
            assert store.table_checksums() == before

        # 4. 1,000,000 rows through the real path: valid loads, then undo them all.
        g = REAL_PATH
        db = copy_db(pristine, tmp / "real")
        files = []
        left, k = BIG_ROWS, 0
        while left > 0:
            n = min(left, len(frame))
            files.append(to_csv(frame.iloc[:n], scale=1 + 0.002 * (k + 1)))
            left -= n
            k += 1
        facts["real_files"] = len(files)
        batch_ids: list[str] = []
        t_validate = t_commit = c_validate = c_commit = 0.0
        per_load: list[tuple[int, float, float]] = []
        reset_peak()
        with Store(db) as store:
            for i, data in enumerate(files):
                c, t = time.process_time(), time.perf_counter()
                val = loads.validate_file(data, f"load_{i:02d}.csv", store)
                c1, t1 = time.process_time(), time.perf_counter()
                if not val.ok:
                    raise SystemExit(f"load {i} refused: {val.error_list(5)}")
                res = loads.commit(store, val, who="bench", confirm_warnings=True)
                c2, t2 = time.process_time(), time.perf_counter()
                batch_ids.append(res["batch_id"])
                t_validate += t1 - t
                t_commit += t2 - t1
                c_validate += c1 - c
                c_commit += c2 - c1
                per_load.append((len(val.rows), t1 - t, t2 - t1))
            peak = peak_mb()
            facts["real_per_load"] = per_load
            batches = store.batches()
            facts["real_committed"] = int(
                batches.loc[batches["kind"] == "load", "row_count"].sum())
            assert facts["real_committed"] <= BIG_ROWS
            phases.add(g, f"read + validate ({len(files)} × validate_file)", BIG_ROWS,
                       t_validate, c_validate, peak)
            phases.add(g, f"commit ({len(files)} × loads.commit)", BIG_ROWS, t_commit,
                       c_commit, peak)

            def undo_all():
                for b in reversed(batch_ids):
                    store.undo_batch(b)

            phases.run(g, f"undo ({len(files)} × undo_batch, newest first)", BIG_ROWS,
                       undo_all)
            facts["real_db_mb"] = db.stat().st_size / 2**20

        # 5. Store level: one transaction of 1,000,000 rows (validation bypassed).
        g = "store level, 1 transaction"
        with Store(pristine, read_only=True) as store:
            ind = store.indicators()
            areas = store.areas()
        keys = [(i, a) for i, levels in zip(ind["id"], ind["levels"])
                for a in areas.loc[areas["level"].isin(list(levels)), "code"]]
        n_years = -(-BIG_ROWS // len(keys))
        rows = pd.DataFrame({
            "indicator_id": np.tile([k[0] for k in keys], n_years)[:BIG_ROWS],
            "area_code": np.tile([k[1] for k in keys], n_years)[:BIG_ROWS],
            "period": np.repeat(np.arange(FIRST_YEAR, FIRST_YEAR + n_years),
                                len(keys))[:BIG_ROWS],
            "value": np.random.default_rng(2).uniform(0, 10, BIG_ROWS).round(2),
            "source": "", "note": "",
        })
        facts["store_last_year"] = int(rows["period"].max())
        for rep in range(args.repeat):
            db = copy_db(pristine, tmp / f"store{rep}")
            with Store(db) as store:
                batch = {"id": "load-bench-store-level", "loaded_at": dt.datetime(2026, 1, 1),
                         "who": "bench", "file_name": "store_level", "sha256": "0" * 64}
                res = phases.run(g, "commit (Store.commit_load)", BIG_ROWS, store.commit_load,
                                 batch, rows)
                # A random value can equal the current one: the store keeps that row
                # as unchanged instead of writing it again.
                assert res["rows"] + res.get("unchanged", 0) == BIG_ROWS, res
                phases.run(g, "undo (Store.undo_batch)", BIG_ROWS, store.undo_batch,
                           batch["id"])
                assert current_count(store, batch["id"]) == 0

        # 5b. One valid 1,000,000-row file at Flanders scale (src/dashboard/scale.py): the app path.
        g = "1,000,000-row valid file (Flanders scale)"
        from dashboard.scale import scale_store

        with scale_store(tmp / "scale_src.duckdb", SHARED_GEO) as store:
            scale_csv = to_csv(valid_frame(store).iloc[:BIG_ROWS])
        facts["scale_mb"] = len(scale_csv) / 2**20
        for rep in range(args.repeat):
            db = copy_db(tmp / "scale_src.duckdb", tmp / f"scale{rep}")
            with Store(db) as store:
                val = phases.run(g, "read + validate (validate_file)", BIG_ROWS,
                                 loads.validate_file, scale_csv, "vlaanderen.csv", store)
                if not val.ok:
                    raise SystemExit(f"scale file refused: {val.error_list(5)}")
                res = phases.run(g, "commit (loads.commit)", BIG_ROWS, loads.commit, store,
                                 val, who="bench", confirm_warnings=True)
                assert res["rows"] == BIG_ROWS, res
                phases.run(g, "undo (undo_batch)", BIG_ROWS, store.undo_batch,
                           res["batch_id"])

        # 6. Profiles of the slow phases.
        if not args.no_profile:
            print("  profiling …", flush=True)
            db = copy_db(pristine, tmp / "profile")
            with Store(db) as store:
                _, profiles["validate_file, 1,000,000-row file"] = profile(
                    loads.validate_file, big_csv, "one_million.csv", store)
                v, profiles[f"validate_file, largest valid file ({max_rows:,})"] = profile(
                    loads.validate_file, max_csv, "max_valid.csv", store)
                _, profiles[f"loads.commit, largest valid file ({max_rows:,})"] = profile(
                    loads.commit, store, v, who="bench", confirm_warnings=True)
        facts["total_seconds"] = time.perf_counter() - t_all
        text = report(phases, profiles, facts)
        write_report(Path(args.out), text)
        print(f"\nResults written to {args.out}")
        print(verdict_lines(phases, facts))
    finally:
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


# -- report ----------------------------------------------------------------------------
def verdict_lines(phases: Phases, facts: dict) -> str:
    big_v = phases.get("1,000,000-row file", "read + validate (validate_file)")["seconds"]
    g = REAL_PATH
    n = facts["real_files"]
    real = (phases.get(g, f"read + validate ({n} × validate_file)")["seconds"]
            + phases.get(g, f"commit ({n} × loads.commit)")["seconds"])
    store_c = phases.get("store level, 1 transaction", "commit (Store.commit_load)")["seconds"]
    ok = "met" if real <= TARGET_SECONDS else "NOT met"
    gs = "1,000,000-row valid file (Flanders scale)"
    scale = (phases.get(gs, "read + validate (validate_file)")["seconds"]
             + phases.get(gs, "commit (loads.commit)")["seconds"])
    scale_ok = "met" if scale <= TARGET_SECONDS else "NOT met"
    return "\n".join([
        f"Target: validate + commit of 1,000,000 rows <= {TARGET_SECONDS:g} s.",
        f"- one valid 1,000,000-row file at Flanders scale (2,730 wijken, src/dashboard/scale.py): "
        f"validate + commit {scale:.1f} s: target {scale_ok}.",
        f"- one 1,000,000-row file: cannot be valid (largest valid file: "
        f"{facts['max_valid_rows']:,} rows); read + validate alone takes {big_v:.1f} s "
        f"({'over' if big_v > TARGET_SECONDS else 'within'} the target) and commit refuses it.",
        f"- 1,000,000 rows in {facts['real_files']} valid loads: validate + commit "
        f"{real:.1f} s: target {ok}.",
        f"- 1,000,000-row validate ({big_v:.1f} s) + store-level 1-transaction commit "
        f"({store_c:.1f} s) = {big_v + store_c:.1f} s: target "
        f"{'met' if big_v + store_c <= TARGET_SECONDS else 'NOT met'} (not an app path).",
    ])


def _versions() -> str:
    out = []
    for name in ("duckdb", "pandas", "numpy", "pyarrow"):
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(out)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def code_fingerprint() -> str:
    """sha256 (12 hex) of the code measured, so numbers can be matched to a version."""
    import hashlib

    h = hashlib.sha256()
    files = sorted((PROJECT_ROOT / "src" / "dashboard" / "loads").glob("*.py"))
    for f in [*files, PROJECT_ROOT / "src" / "dashboard" / "store.py"]:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def report(phases: Phases, profiles: dict[str, pstats.Stats], facts: dict) -> str:
    lines = [
        f"Run: {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores ({_cpu()}), "
        f"Python {platform.python_version()}, {_versions()}; load average at start "
        f"{facts['loadavg']}; whole run {facts['total_seconds']:.0f} s. Code measured: "
        f"`src/dashboard/loads/*.py` + `store.py` sha256 `{facts['code']}`.",
        "",
        f"Areas: {facts['areas']}; {facts['indicators']} indicators, of which "
        f"{facts['indicators_all_levels']} allowed below the city level; years "
        f"{FIRST_YEAR}–{FIRST_YEAR + facts['years'] - 1} ({facts['years']}). **Largest valid "
        f"file: {facts['max_valid_rows']:,} rows** ({facts['max_csv_mb']:.1f} MiB); the "
        f"1,000,000-row file is {facts['big_csv_mb']:.1f} MiB (generated in "
        f"{facts['generate_seconds']:.1f} s, not timed below).",
        "",
        "| scenario | phase | rows | best s | rows/s | CPU s | all runs, s | "
        "peak RSS (MiB) |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    for raw in phases.rows:
        r = phases.get(raw["group"], raw["phase"])
        rate = (f"{r['rows'] / r['seconds']:,.0f}" if r["rows"] and r["seconds"] >= 0.005
                and "refused" not in r["phase"] else "—")
        runs = ", ".join(f"{w:.2f}" for w in r["all"])
        lines.append(f"| {r['group']} | {r['phase']} | {r['rows']:,} | {r['seconds']:.2f} | "
                     f"{rate} | {r['cpu']:.2f} | {runs} | {r['peak_mb']:,.0f} |")
    lines += [
        "",
        "Best s: the lowest wall time over the runs (the machine is shared: other work "
        "slows single runs down; CPU s is the process's CPU time in that run, DuckDB's "
        "threads included). Peak RSS: the process's high-water mark reset before each "
        f"phase (for the {facts['real_files']} loads: over validate + commit of all of "
        "them together).",
        "",
        f"The 1,000,000-row file: {facts['big_errors']:,} errors, all "
        f"{', '.join(repr(k) for k in facts['big_error_kinds'])} (the same indicator, area "
        f"and year as an earlier row); `loads.commit` answered “{facts['big_refused']}”.",
        f"The largest valid file replaced {facts['max_replaced']:,} current values (the "
        f"catalog and illustrative rows). After the {facts['real_files']} loads the "
        "database file was "
        f"{facts['real_db_mb']:.0f} MiB.",
        "",
        f"Per load in the {facts['real_files']}-load run (rows, validate s, commit s): "
        "first 3 and last 3:",
        "",
        "| load | rows | validate s | commit s |",
        "|---:|---:|---:|---:|",
    ]
    per = facts["real_per_load"]
    for i in [0, 1, 2, len(per) - 3, len(per) - 2, len(per) - 1]:
        n, tv, tc = per[i]
        lines.append(f"| {i + 1} | {n:,} | {tv:.2f} | {tc:.2f} |")
    lines += ["", "**Target (≤ 10 s for validate + commit of 1,000,000 rows):**", ""]
    lines += verdict_lines(phases, facts).splitlines()[1:]
    lines += ["", f"(Times are the best of the runs; the {facts['real_files']}-load path "
              "ran once.)"]
    for name, stats in profiles.items():
        total = stats.total_tt
        lines += ["", f"Profile: {name} (cProfile, {total:.1f} s under the profiler)", "",
                  "Project functions by cumulative time:", "",
                  "| function | own s | cumulative s | calls |", "|---|---:|---:|---:|"]
        for f, tt, ct, nc in project_functions(stats):
            if ct >= 0.005:
                lines.append(f"| `{f}` | {tt:.2f} | {ct:.2f} | {nc:,} |")
        for suffix, func in (("loads/measurements.py", "validate_file"),
                             ("loads/measurements.py", "validate"),
                             ("loads/measurements.py", "_warnings"),
                             ("store.py", "commit_load")):
            rows = [r for r in callees(stats, suffix, func) if r[1] >= 0.005]
            if rows:
                lines += ["", f"Direct callees of `{func}` (time spent in them from it):", "",
                          "| callee | cumulative s | calls |", "|---|---:|---:|"]
                lines += [f"| `{f}` | {ct:.2f} | {nc:,} |" for f, ct, nc in rows]
        lines += ["", "All functions by own time:", "",
                  "| function | own s | cumulative s | calls |", "|---|---:|---:|---:|"]
        for f, tt, ct, nc in top_functions(stats):
            lines.append(f"| `{f}` | {tt:.2f} | {ct:.2f} | {nc:,} |")
    return "\n".join(lines)


def write_report(path: Path, text: str) -> None:
    block = f"{START}\n{text}\n{END}"
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if START in old and END in old:
            new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, old,
                         flags=re.S)
            path.write_text(new, encoding="utf-8")
            return
        path.write_text(old.rstrip() + "\n\n" + block + "\n", encoding="utf-8")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Performance of coordinator loads\n\n" + block + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
