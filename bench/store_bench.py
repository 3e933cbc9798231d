"""What holding the database only per call costs: a page's queries, old vs new Store.

    python bench/store_bench.py [--repeat N] [--out docs/performance.md]

Issue 12 point 5 made the Store hold the DuckDB file only while a call runs (so a
scheduled ``python -m dashboard import`` can write beside the running app). This measures
the price, in ONE process on a fresh temporary folder:

1. build the database (catalog + official geodata from ``../shared/geo``);
2. record the top-level Store calls the spearhead-5 page makes with every query cache
   empty (``AppTest``: home, then the page at ``speerpunt-5`` once, every ``st.cache_data``
   and ``st.cache_resource`` cleared, the page again; the calls ``build`` makes when the
   app reopens are not counted), and how often a warm rerun reads the data version;
3. replay exactly those calls (and, for the warm rerun, that many data-version reads),
   interleaved, ``--repeat`` times each, against
   - **old**: the Store of commit ``5eb1c73`` (one persistent ``duckdb.connect``),
     loaded from git into this process;
   - **new, per call**: the Store as it is now (attach the file to the in-memory host,
     query, detach), the app's way;
   - **new, one session**: the same calls inside one ``Store.session()``;
   - **new, kept open**: ``Store(keep_open=True)`` (the published-snapshot way), on its
     own copy of the file (a kept-open Store would hold the others' file too);
4. the raw cost of opening: ``duckdb.connect`` + close vs ``ATTACH`` + ``DETACH``;
5. the table between ``<!-- store-bench:start -->`` and ``<!-- store-bench:end -->`` of
   ``--out`` (the prose around it is kept).

A benchmark, not a test: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(PROJECT_ROOT))
from bench.stats import pct  # noqa: E402

SHARED_GEO = (PROJECT_ROOT.parent / "shared" / "geo").resolve()
OLD_COMMIT = "5eb1c73"  # the last Store with one persistent connection
PAGE = "speerpunt-5"
START, END = "<!-- store-bench:start -->", "<!-- store-bench:end -->"
QUERIES = ("spearheads", "indicators", "indicator", "goals", "spearhead_summary", "areas",
           "area_counts", "measurements", "city_measurements", "values_at",
           "peer_measurements", "periods", "layer_features", "meetings", "batches",
           "current_values", "meta", "all_meta")


def _loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _old_store_class(tmp: Path):
    """The Store class of OLD_COMMIT, imported from git as ``dashboard.store_v0``."""
    source = subprocess.run(["git", "show", f"{OLD_COMMIT}:src/dashboard/store.py"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    path = tmp / "store_v0.py"
    path.write_text(source.stdout, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("dashboard.store_v0", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["dashboard.store_v0"] = module
    spec.loader.exec_module(module)
    return module.Store


def _inside_build() -> bool:
    """Whether the running Store call comes from ``dashboard.build`` (the idempotent build
    check the app makes when it (re)opens: not a query of the page)."""
    from dashboard import build as build_mod

    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == build_mod.__file__:
            return True
        frame = frame.f_back
    return False


def _counting_meta(board) -> list[int]:
    """Count the data-version reads of one Board: its ``meta`` method wrapped on the
    instance (what ``Board.data_version`` calls, every view of a rerun)."""
    reads = [0]
    original = board.meta

    def counting_meta():
        reads[0] += 1
        return original()
    board.meta = counting_meta
    return reads


def _record() -> tuple[list, int]:
    """The top-level Store calls of the spearhead-5 page with cold caches, and how many
    times a warm rerun reads the data version (``Board.meta`` of the app's board)."""
    import threading

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench.run import open_page
    from dashboard import store as store_mod
    from dashboard.ui import appstate

    calls: list = []
    depth = threading.local()
    originals = {name: getattr(store_mod.Store, name) for name in QUERIES}
    for name, original in originals.items():
        def wrapper(self, *args, _name=name, _original=original, **kwargs):
            level = getattr(depth, "n", 0)
            # not a call made inside another Store call, nor by the app's build check
            if level == 0 and not _inside_build():
                calls.append((_name, args, kwargs))
            depth.n = level + 1
            try:
                return _original(self, *args, **kwargs)
            finally:
                depth.n = level
        setattr(store_mod.Store, name, wrapper)
    try:
        at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300)
        open_page(at, PAGE)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        st.cache_data.clear()
        st.cache_resource.clear()  # maps and charts too: every query of the page runs
        calls.clear()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        cold = list(calls)
        # The board the page just read through (the App the cold run opened, cached per
        # process: the same object outside the script run).
        meta_reads = _counting_meta(appstate.board())
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        warm = meta_reads[0]
    finally:
        for name, original in originals.items():
            setattr(store_mod.Store, name, original)
    return cold, warm


def _replay(store, calls: list) -> None:
    for name, args, kwargs in calls:
        getattr(store, name)(*args, **kwargs)


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _open_costs(db: Path, repeat: int) -> dict[str, list[float]]:
    import duckdb

    host = duckdb.connect(":memory:")
    literal = "'" + str(db).replace("'", "''") + "'"

    def connect():
        con = duckdb.connect(str(db), read_only=True)
        con.execute("SELECT count(*) FROM meta").fetchall()
        con.close()

    def attach():
        host.execute(f"ATTACH {literal} AS bench_db (READ_ONLY)")
        host.execute("SELECT count(*) FROM bench_db.meta").fetchall()
        host.execute("DETACH bench_db")

    out: dict[str, list[float]] = {"connect": [], "attach": []}
    for _ in range(repeat):  # interleaved
        out["connect"] += _time(connect, 1)
        out["attach"] += _time(attach, 1)
    host.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="store-bench-"))
    started = time.monotonic()
    load_start = _loadavg()
    try:
        os.environ.update({
            "DASHBOARD_DB_PATH": str(tmp / "data" / "dashboard.duckdb"),
            "DASHBOARD_GEO_DIR": str(tmp / "geo"),
            "DASHBOARD_GEODATA_DIR": str(SHARED_GEO),
            "DASHBOARD_STATIC_DIR": str(PROJECT_ROOT / "static"),
        })
        from dashboard.build import build
        from dashboard.settings import load_settings
        from dashboard.store import Store

        settings = load_settings()
        build(settings)
        db_new = settings.db_path
        db_old = tmp / "old" / "dashboard.duckdb"
        db_old.parent.mkdir()
        shutil.copy2(db_new, db_old)  # the old Store's own copy: never two instances on a file
        db_held = tmp / "held" / "dashboard.duckdb"
        db_held.parent.mkdir()
        shutil.copy2(db_new, db_held)  # its own file: a kept-open Store would pin db_new
        OldStore = _old_store_class(tmp)
        cold, warm = _record()
        print(f"recorded {len(cold)} Store calls (cold page), {warm} data-version reads "
              "(warm rerun)", file=sys.stderr)
        from dashboard.board import Board

        old = OldStore(db_old)
        new = Store(db_new)
        board = Board(new, settings)  # Board.meta: the app's data-version read
        held = Store(db_held, read_only=True, keep_open=True)

        def in_session():
            with new.session():
                _replay(new, cold)

        variants = {
            "cold page": {
                "old (one persistent connection)": lambda: _replay(old, cold),
                "new, per call (the app)": lambda: _replay(new, cold),
                "new, one session": in_session,
                "new, kept open": lambda: _replay(held, cold),
            },
            "warm rerun (data version only)": {
                # before: every data_version() call ran all_meta on the open connection
                "old (one persistent connection)": lambda: [old.all_meta()
                                                            for _ in range(warm)],
                "new, per call, no memo": lambda: [new.all_meta() for _ in range(warm)],
                "new, memo on the file's stat (the app)": lambda: [
                    board.meta() for _ in range(warm)],
            },
        }
        results: dict[tuple[str, str], list[float]] = {}
        for label, group in variants.items():
            for _ in range(2):  # warm DuckDB and the OS page cache for every variant
                for fn in group.values():
                    fn()
            for _ in range(args.repeat):  # interleaved, so load changes hit every variant
                for name, fn in group.items():
                    results.setdefault((label, name), []).extend(_time(fn, 1))
        opens = _open_costs(db_new, args.repeat * 3)
        held.close()
        old.close()
        size_kb = db_new.stat().st_size / 1024
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    import duckdb

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} by `python bench/store_bench.py --repeat "
        f"{args.repeat}`: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, database {size_kb:,.0f} KB; load average (1/5/15 min) "
        f"{load_start} at the start, {_loadavg()} at the end; whole run "
        f"{time.monotonic() - started:.0f} s. The page: `{PAGE}` with every query cache "
        f"empty ({len(cold)} Store calls) and a warm rerun ({warm} data-version reads); "
        f"n = {args.repeat} per row, interleaved.",
        "",
        "| Store calls of | variant | median ms | p90 ms | max ms |",
        "|---|---|---:|---:|---:|",
    ]
    for (label, name), values in results.items():
        lines.append(f"| {label} | {name} | {statistics.median(values):.1f} | "
                     f"{pct(values, 90):.1f} | {max(values):.1f} |")
    lines += ["", "| opening the file once (read-only, one query, close) | median ms | "
              "p90 ms |", "|---|---:|---:|"]
    for name, label in (("connect", "`duckdb.connect` + close (a new DuckDB instance)"),
                        ("attach", "`ATTACH` + `DETACH` on the in-memory host (the Store)")):
        lines.append(f"| {label} | {statistics.median(opens[name]):.2f} | "
                     f"{pct(opens[name], 90):.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        block = f"{START}\n{table}\n{END}"
        if START in text and END in text:
            text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
