"""One visitor at a time, in a real browser, through the production stack: what a first
visit to ``/speerpunt-5`` costs on the wire and in the browser, against a minimal
Streamlit page measured the same way in the same run.

    python bench/first_visit.py [--runs 3] [--path /speerpunt-5] [--out FILE]
                                [--before REV] [--markers NAME]

Method
------
- **Stacks.** ``deploy/stack.py`` with one public replica behind nginx (gzip, caching
  headers as deployed), once for the board and once for a minimal Streamlit app (a title
  and one line of text, ``MINIMAL`` below) started the same way: the floor every
  Streamlit page pays.
- **A visit** launches a fresh headless Debian chromium (the flags of the browser tests),
  opens one context (empty HTTP cache) and a CDP session with ``Network`` enabled, goes
  to the page and waits until the run is over and every map component has drawn its
  polygons, unchanged for 1.5 s (``tests/browserkit.rendered``). Measured:
  - **bytes on the wire**: the sum of ``encodedDataLength`` of every finished response
    (headers and compressed bodies, as received; the page and same-origin frames);
  - **requests**: responses received;
  - **browser CPU**: utime + stime of every chromium process (``/proc``), from before the
    navigation to the end;
  - **first map / all maps**: seconds from ``goto`` until the first map frame and until
    every map frame has ``path.leaflet-interactive`` elements (polled every 100 ms).
  - **returning visitor**: the same context opens the page again (its HTTP cache warm):
    bytes and requests of that second visit.
- Runs alternate minimal page and board (``--runs`` each); medians are reported, with
  the ratios board / minimal. The machine's load average is recorded before and after.

A benchmark, not a test: nothing is asserted. ``--out`` writes the table between
``<!-- first-visit:start -->`` and ``<!-- first-visit:end -->``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from protocol_load import loadavg, process_cpu_s, write_doc  # noqa: E402

from deploy import stack as stack_mod  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
MARKERS = ("<!-- first-visit:start -->", "<!-- first-visit:end -->")
MINIMAL = '''import streamlit as st

st.title("Kortrijk 2040")
st.write("Een minimale Streamlit-pagina: de ondergrens van elke pagina.")
'''
# --map-floor: the minimal page plus one map of the 14 wijken, drawn as the board draws
# maps (maps.area_map: Leaflet from the static folder, streamlit-folium): what one map adds
# to the floor, to read the board's CPU ratio against.
MINIMAL_MAP = MINIMAL + '''
import os

import geopandas as gpd
from streamlit_folium import st_folium

from dashboard import maps

wijken = gpd.read_file(os.path.join(os.environ["DASHBOARD_GEODATA_DIR"],
                                    "kortrijk_wijken_2024.geojson")).to_crs(4326)
wijken = wijken.rename(columns={"wijk_code": "code", "wijk_naam": "name"})
wijken["geometry"] = wijken.geometry.simplify(0.0005)
st_folium(maps.area_map(wijken, static_url="/app/static", attribution="bron",
                        quality="official"), height=480, returned_objects=[])
'''
BROWSER_VERSIONS: set[str] = set()  # the chromium versions the visits ran in (for the block)
_MAPS = """() => [...document.querySelectorAll('iframe[title*="streamlit_folium"]')]
    .map(f => { try { return f.contentDocument.querySelectorAll(
        'path.leaflet-interactive').length > 0; } catch (e) { return false; } })"""


def _chromium_cpu() -> float:
    """CPU seconds of every chromium process on the machine (the visit's browser)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"chromium" in cmd.split(b"\0", 1)[0]:
            total += process_cpu_s(int(entry.name))
    return total


def visit(playwright, url: str, maps_expected: bool) -> dict:
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests import browserkit

    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=ARGS)
    BROWSER_VERSIONS.add(browser.version)
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        sizes: dict[str, float] = {}
        cdp.on("Network.loadingFinished",
               lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        cpu0 = _chromium_cpu()
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        first = done = None
        deadline = start + 120
        while time.perf_counter() < deadline:
            drawn = page.evaluate(_MAPS) if maps_expected else []
            now = time.perf_counter() - start
            if drawn and any(drawn) and first is None:
                first = now
            if drawn and all(drawn):
                done = now
                break
            if not maps_expected and page.locator("h1").count():
                done = first = now
                break
            if maps_expected and not drawn and now > 10 and page.locator("h1").count():
                break  # a page with a title and no map frame after 10 s has no map
                # (a presentation screen of a city-only indicator): times stay empty
            page.wait_for_timeout(100)
        browserkit.rendered(page, timeout=120)
        out = {"bytes": sum(sizes.values()), "requests": len(sizes),
               "cpu_s": _chromium_cpu() - cpu0, "first_map_s": first, "all_maps_s": done}
        sizes.clear()
        page.goto(url, wait_until="commit")
        browserkit.rendered(page, timeout=120)
        out.update({"return_bytes": sum(sizes.values()), "return_requests": len(sizes)})
        return out
    finally:
        browser.close()


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def _worktree(rev: str, root: Path) -> Path:
    """A git worktree of ``rev`` under ``root`` (made once), with Leaflet in its static/."""
    import shutil
    import subprocess

    target = root / f"worktree-{rev}"
    if not target.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(target), rev],
                       cwd=PROJECT_ROOT, check=True, capture_output=True)
    if (PROJECT_ROOT / "static").exists() and not (target / "static").exists():
        shutil.copytree(PROJECT_ROOT / "static", target / "static")
    return target


def render(board: list[dict], minimal: list[dict], path: str, load: tuple[str, str],
           runs: int, before: list[dict] = (), before_rev: str | None = None,
           markers: tuple[str, str] = MARKERS, floor_map: list[dict] = ()) -> str:
    def row(name: str, rows: list[dict]) -> str:
        m = {k: _median(rows, k) for k in rows[0]}
        def t(v: float | None) -> str:
            return "–" if v is None else f"{v:.2f}"
        return (f"| {name} | {m['bytes'] / 1e6:.2f} | {m['requests']:.0f} | "
                f"{m['cpu_s']:.2f} | {t(m['first_map_s'])} | {t(m['all_maps_s'])} | "
                f"{m['return_bytes'] / 1e3:.0f} | {m['return_requests']:.0f} |")
    b = {k: _median(board, k) for k in board[0]}
    mi = {k: _median(minimal, k) for k in minimal[0]}
    return "\n".join([
        markers[0], "",
        f"`python bench/first_visit.py --runs {runs} --path {path}`, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
        f"{load[0]} before, {load[1]} after. Medians of {runs} visits each, through "
        "nginx (brotli where the browser takes it, else gzip) in front of one replica; fresh "
        f"chromium per visit (Debian's Chromium {', '.join(sorted(BROWSER_VERSIONS)) or '?'}).",
        "",
        "| page | MB on the wire | requests | browser CPU s | first map s (minimal: title) | "
        "all maps s | "
        "returning visitor KB | returning requests |",
        "|---|---|---|---|---|---|---|---|",
        row("minimal Streamlit page", minimal),
        *([row("minimal page + one map (14 wijken)", floor_map)] if floor_map else []),
        *([row(f"`{path}` before (`{before_rev}`)", before)] if before else []),
        row(f"`{path}`", board), "",
        f"Ratios to the minimal page: bytes {b['bytes'] / mi['bytes']:.2f}×, browser CPU "
        f"{b['cpu_s'] / mi['cpu_s']:.2f}×"
        + (f"; the minimal page with one map: browser CPU "
           f"{_median(floor_map, 'cpu_s') / mi['cpu_s']:.2f}×" if floor_map else "")
        + ".", "", _spread(board, minimal, before, before_rev), "", markers[1]])


def _paired(rows: list[dict], minimal: list[dict]) -> list[float]:
    """Browser CPU of each visit over the minimal page's visit of the same round (the
    visits of a round follow each other, so a slow minute slows both)."""
    return sorted(r["cpu_s"] / m["cpu_s"] for r, m in zip(rows, minimal))


def _spread(board: list[dict], minimal: list[dict], before: list[dict] = (),
            before_rev: str | None = None) -> str:
    """How far the CPU ratio moves from round to round: the median of the per-round
    ratios and their range, for the board (and the earlier commit)."""
    def one(name: str, rows: list[dict]) -> str:
        r = _paired(rows, minimal)
        return (f"{name} median {statistics.median(r):.2f}×, range {r[0]:.2f}–{r[-1]:.2f}× "
                f"({len(r)} rounds)")
    parts = [one("the board", board)]
    if before:
        parts.append(one(f"`{before_rev}`", before))
    return ("Browser CPU ratio per round (each visit over the minimal page's visit of its "
            "round): " + "; ".join(parts) + ".")


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--path", default="/speerpunt-5")
    ap.add_argument("--root", default="/tmp/board-first-visit")
    ap.add_argument("--before", help="also measure this earlier commit (a git worktree of "
                    "it, on the same snapshot), for a before/after in one run")
    ap.add_argument("--out")
    ap.add_argument("--markers", default="first-visit",
                    help="the block in --out: between <!-- NAME:start --> and <!-- NAME:end -->")
    ap.add_argument("--map-floor", action="store_true",
                    help="also measure the minimal page with one map (MINIMAL_MAP)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    markers = (f"<!-- {args.markers}:start -->", f"<!-- {args.markers}:end -->")
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    minimal_app = root / "minimal_app.py"
    minimal_app.write_text(MINIMAL)
    load_before = loadavg()
    board, minimal, before, floor_map = [], [], [], []
    old = _worktree(args.before, root) if args.before else None
    with contextlib.ExitStack() as running:
        s = running.enter_context(stack_mod.running(root, 1, editor=False))
        m = running.enter_context(stack_mod.running(root / "minimal", 1, editor=False,
                                                    app=minimal_app, prepare_data=False))
        p = running.enter_context(sync_playwright())
        stacks = [(s.base, board, True), (m.base, minimal, False)]
        if args.map_floor:
            folder = root / "map-floor"
            folder.mkdir(exist_ok=True)
            (folder / "map_app.py").write_text(MINIMAL_MAP)
            if not (folder / "static").exists():  # Streamlit serves static/ beside the app
                (folder / "static").symlink_to(PROJECT_ROOT / "static")
            f = running.enter_context(stack_mod.running(
                folder, 1, editor=False, app=folder / "map_app.py", prepare_data=False))
            stacks.append((f.base, floor_map, "/"))
        if old is not None:
            (root / "old").mkdir(exist_ok=True)
            (root / "old" / "snapshots").unlink(missing_ok=True)
            (root / "old" / "snapshots").symlink_to(root / "snapshots")
            o = stack_mod.running(root / "old", 1, editor=False, prepare_data=False,
                                  project=old)
            stacks.append((o.__enter__().base, before, True))
        try:
            def url(base: str, maps) -> str:  # maps: True (the board), False, or a path
                return base + (maps if isinstance(maps, str) else
                               args.path if maps else "/")

            for base, _, maps in stacks:  # warm each replica's caches (not counted)
                visit(p, url(base, maps), bool(maps))
            for _ in range(args.runs):
                for base, rows, maps in stacks:
                    rows.append(visit(p, url(base, maps), bool(maps)))
        finally:
            if old is not None:
                o.__exit__(None, None, None)
    block = render(board, minimal, args.path, (load_before, loadavg()), args.runs,
                   before, args.before, markers, floor_map)
    print(json.dumps({"board": board, "minimal": minimal, "before": before}, indent=1))
    print(block)
    if args.json:
        Path(args.json).write_text(json.dumps({"board": board, "minimal": minimal,
                                               "before": before}))
    if args.out:
        write_doc(Path(args.out), block, markers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
