"""Load test: N concurrent browser sessions open the spearhead-5 page of a real server.

    python bench/loadtest.py [--sessions 40] [--waves 2] [--out docs/performance.md] [--keep]
    python bench/loadtest.py --sessions 5 --waves 1 --streamlit-option runner.postScriptGC=false
    python bench/loadtest.py --render results.json --out docs/performance.md   # no run

Method
------
1. **Server.** A fresh temporary folder gets the database and the geometry store (nothing
   is built in advance: like a fresh clone, the first session builds them from the
   catalog and the official geodata in ``../shared/geo``). ``python -m streamlit run
   app.py`` starts on a free port in its own process group, with every ``DASHBOARD_*``
   setting of the outer environment removed and the writable paths pointing into the
   folder (as ``tests/test_browser.py`` does), and with the production file watcher
   setting (``--server.fileWatcherType none``, ``deploy/config.toml``).
2. **Warm-up.** One browser session opens ``/`` and waits for the home map (the first
   session builds the DuckDB file and the geometry store), then opens ``/speerpunt-5``
   and waits for its three maps, so the shared caches (``st.cache_resource`` /
   ``st.cache_data``: the database connection, geometry and the three folium maps) hold
   what every later session needs. Then ``--solo`` single sessions run one after
   another: what one visitor costs (time and CPU) without competition. The server's RSS
   is read after that: the baseline for memory growth.
3. **Waves.** Each wave creates N browser contexts (one Streamlit session each, no
   shared HTTP cache, like N different visitors) in ONE headless Debian chromium
   process, then starts all N page loads of ``/speerpunt-5`` at the same moment
   (``asyncio.gather``; ``--ramp`` spreads them). A probe script injected into every page
   records, every 50 ms, when the page title appeared, when the websocket opened and got
   its first message, when the first and the third ``streamlit_folium`` component frame
   appeared, and when the first and the last of the three maps had drawn
   ``path.leaflet-interactive`` polygons. **Time-to-map** runs from just before
   ``page.goto`` until the last map has polygons (browser ``Date.now()`` against Python
   ``time.time()``: the same clock). A session that shows a Streamlit exception, has not
   drawn its maps within ``--timeout`` seconds or raises in the browser counts as failed.
   After every session has finished, the script reads the server's RSS (VmRSS of the
   server process and its children, ``/proc/<pid>/status``) and CPU time, closes the
   contexts (the websockets close), waits ``--settle`` seconds (the server is started
   with ``--server.disconnectedSessionTTL`` shorter than that, so closed sessions are
   dropped) and reads the RSS again. A second wave shows whether memory keeps growing
   (a leak) or plateaus.
4. **Where the time goes.** Per wave: CPU seconds of the server (split into its main
   thread, the asyncio event loop of Streamlit's Starlette/uvicorn server that handles
   HTTP requests and websockets, and all other threads: the script runs, the worker
   threads that read static files, DuckDB), CPU seconds of the browser processes,
   the machine's busy share of its cores (``/proc/stat``) and the per-session milestones
   above. Browser and server share the same cores: the browser's CPU is taken from
   the server.

One browser process with N contexts rather than N browser processes: N contexts in one
browser still give every session its own renderer process, cookies, HTTP cache and
websocket, which is what the server sees, while every extra browser process brings its
own browser, network and GPU (software compositing) processes onto the same cores
(``BROWSER_CHOICE`` below has the measurement). ``--browsers K`` spreads the contexts
over K browser processes to compare.

A benchmark, not a test: nothing is asserted. The results table is printed and, with
``--out``, written between ``<!-- loadtest:start -->`` and ``<!-- loadtest:end -->``
(the rest of the file is kept; markers are appended if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(PROJECT_ROOT))
from bench.stats import free_port, health, pct  # noqa: E402
SHARED_GEO = (PROJECT_ROOT.parent / "shared" / "geo").resolve()
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGE_PATH = "/speerpunt-5"
N_MAPS = 3                      # spearhead 5 has three map sections (data/city.yaml)
POLYGONS = "path.leaflet-interactive"
START, END = "<!-- loadtest:start -->", "<!-- loadtest:end -->"
HEALTH_TIMEOUT = 60.0
WARMUP_TIMEOUT = 180.0
SESSION_TTL = 2                 # --server.disconnectedSessionTTL (s); default is 120
CLK_TCK = os.sysconf("SC_CLK_TCK")
BROWSER_CHOICE = (
    "One browser process with N contexts rather than N browser processes: each context is "
    "still its own visitor (own renderer process, cookies, HTTP cache, websocket), while "
    "every extra browser process adds its own browser, network and GPU processes (software "
    "compositing) on the same cores. Measured with 5 sessions on 2026-11-22 (`--browsers 5` "
    "against the default): 89 against 55 CPU-seconds on the browser side (GPU processes 37 "
    "against 13), 5.5 against 3.0 GB browser RSS, time-to-map p50 66 against 57 s.")

# Targets from the issue.
TARGET_SESSIONS = 40
TARGET_SUCCESS = 1.0
TARGET_P95_S = 3.0
TARGET_RSS_PER_SESSION_MB = 3.0

# Injected into every frame before any page script; records milestones (epoch ms) in the
# top frame only. The component frames are same-origin (sandbox allow-same-origin), so
# the top frame can look into them.
PROBE_JS = """
(() => {
  if (window !== window.top) return;
  const t = {ws_msgs: 0, ws_bytes: 0, ws_sent: 0, js_errors: []};
  window.__loadtest = t;
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      t.ws_new = t.ws_new || Date.now();
      this.addEventListener('open', () => { t.ws_open = t.ws_open || Date.now(); });
      this.addEventListener('message', (e) => {
        const now = Date.now();
        t.ws_first = t.ws_first || now;
        t.ws_last = now;
        t.ws_msgs += 1;
        const d = e.data;
        t.ws_bytes += d.byteLength || d.size || d.length || 0;
      });
    }
    send(data) { t.ws_sent += 1; return super.send(data); }
  };
  window.addEventListener('error', (e) => t.js_errors.push(String(e.message)));
  const tick = () => {
    const now = Date.now();
    if (!t.title && document.querySelector('h1')) t.title = now;
    const frames = [...document.querySelectorAll('iframe')]
      .filter((f) => (f.src || '').includes('streamlit_folium'));
    if (!t.frame1 && frames.length) t.frame1 = now;
    if (!t.frames && frames.length >= N_MAPS) t.frames = now;
    let drawn = 0;
    const counts = [];
    for (const f of frames) {
      let c = 0;
      try { c = f.contentDocument.querySelectorAll('POLYGONS').length; } catch (e) {}
      counts.push(c);
      if (c > 0) drawn += 1;
    }
    t.drawn = drawn;
    if (!t.map1 && drawn) t.map1 = now;
    const exc = document.querySelector('[data-testid="stException"]');
    if (exc && !t.exception) t.exception = exc.innerText.slice(0, 500);
    if (drawn >= N_MAPS) {
      t.maps = now; t.ws_done = t.ws_last; t.counts = counts; clearInterval(timer);
    }
  };
  const timer = setInterval(tick, 50);
  // Bytes the page and its frames fetched over HTTP (body bytes as sent, all frames).
  window.__loadtestResources = () => {
    let n = 0, bytes = 0;
    const wins = [window, ...[...document.querySelectorAll('iframe')]
      .map((f) => { try { return f.contentWindow; } catch (e) { return null; } })];
    for (const w of wins) {
      try {
        for (const e of w.performance.getEntriesByType('navigation')
                          .concat(w.performance.getEntriesByType('resource'))) {
          n += 1; bytes += e.encodedBodySize || 0;
        }
      } catch (e) {}
    }
    return {requests: n, bytes: bytes};
  };
})();
""".replace("N_MAPS", str(N_MAPS)).replace("POLYGONS", POLYGONS)

# Milestones in the order a page reaches them (label for the table).
MILESTONES = [
    ("title", "page title shown (first script output)"),
    ("ws_open", "websocket open"),
    ("ws_first", "first websocket message"),
    ("frame1", "first map component frame"),
    ("frames", "all 3 map component frames"),
    ("map1", "first map drawn"),
    ("ws_done", "last websocket message before all maps drew"),
    ("maps", "all 3 maps drawn (time-to-map)"),
]


# ------------------------------------------------------------------ server
def server_env(root: Path) -> dict[str, str]:
    """The outer environment without any DASHBOARD_* setting, paths pointing into root."""
    sys.path.insert(0, str(PROJECT_ROOT / "src"))
    from dashboard.settings import environ_without_settings

    env = environ_without_settings()
    env.update({
        "DASHBOARD_DB_PATH": str(root / "data" / "dashboard.duckdb"),
        "DASHBOARD_GEO_DIR": str(root / "geo"),
        # Streamlit serves <project>/static at /app/static; Leaflet is copied there.
        "DASHBOARD_STATIC_DIR": str(PROJECT_ROOT / "static"),
        "DASHBOARD_GEODATA_DIR": str(SHARED_GEO),
        "PYTHONUNBUFFERED": "1",
    })
    return env


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log_dir: Path

    def output(self) -> str:
        parts = []
        for name in ("stdout", "stderr"):
            text = (self.log_dir / f"server.{name}").read_text("utf-8", errors="replace")
            parts.append(f"--- server {name} ---\n{text[-4000:]}")
        return "\n".join(parts)


def start_server(root: Path, options: list[str] = ()) -> Server:
    """``streamlit run app.py`` on a free port; ``options``: extra ``KEY=VALUE`` settings."""
    port = free_port()
    extra = [a for kv in options for a in (f"--{kv.split('=', 1)[0]}", kv.split("=", 1)[1])]
    base = f"http://127.0.0.1:{port}"
    log_dir = root / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "server.stdout").open("wb") as out, \
            (log_dir / "server.stderr").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
             "--server.disconnectedSessionTTL", str(SESSION_TTL), *extra],
            cwd=PROJECT_ROOT, env=server_env(root), stdout=out, stderr=err,
            stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(proc, base, log_dir)
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while health(base) != "ok":
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"streamlit did not become healthy at {base} "
                               f"(exit code {proc.poll()})\n{server.output()}")
        time.sleep(0.2)
    return server


def stop_server(server: Server) -> None:
    proc = server.proc
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # the server leads its own process group
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------------ /proc readings
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(d.name))
    return tree


def _descendants(pid: int, exclude: set[int] = frozenset()) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        if p in exclude:
            continue
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(stat_path: str) -> float:
    """utime + stime of a process (dead threads included) or of one thread."""
    try:
        fields = Path(stat_path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def server_rss_mb(server: Server) -> float:
    return sum(_rss_kb(p) for p in _descendants(server.proc.pid)) / 1024


def browser_rss_mb(server: Server) -> float:
    """VmRSS of every process this script started except the server (chromium, driver);
    shared pages are counted once per process, so this overstates chromium's real use."""
    me = os.getpid()
    return sum(_rss_kb(p) for p in _descendants(me, exclude={server.proc.pid}) if p != me) / 1024


def server_threads(server: Server) -> int:
    return len(list(Path(f"/proc/{server.proc.pid}/task").iterdir()))


def _chromium_type(pid: int) -> str:
    """renderer, gpu-process, utility, ... for chromium; 'driver' for Playwright's node."""
    try:  # chromium rewrites its argv into one space-separated string
        args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return "gone"
    if args and b"playwright" in args[0]:
        return "driver"
    for a in args:
        if a.startswith(b"--type="):
            kind = a[7:].decode()
            return "renderer" if kind == "renderer" else (
                "gpu" if kind == "gpu-process" else "other")
    return "browser"


@dataclass
class CpuSample:
    """CPU seconds consumed so far by the server, the browser side and the machine."""

    wall: float
    server: float           # server process tree
    server_main: float      # its main thread: the asyncio event loop (HTTP, websockets)
    browser: dict           # chromium process kind -> CPU s (live processes)
    busy: float             # whole machine, busy core-seconds
    cores: int

    @classmethod
    def take(cls, server: Server) -> CpuSample:
        pid, me = server.proc.pid, os.getpid()
        browser: dict[str, float] = {}
        for p in _descendants(me, exclude={pid}):
            if p != me:
                kind = _chromium_type(p)
                browser[kind] = browser.get(kind, 0.0) + _cpu_s(f"/proc/{p}/stat")
        with open("/proc/stat") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:]]
        idle = ticks[3] + ticks[4]  # idle + iowait
        return cls(time.monotonic(),
                   sum(_cpu_s(f"/proc/{p}/stat") for p in _descendants(pid)),
                   _cpu_s(f"/proc/{pid}/task/{pid}/stat"), browser,
                   (sum(ticks[:8]) - idle) / CLK_TCK, len(os.sched_getaffinity(0)))

    def since(self, start: CpuSample) -> dict:
        """CPU used between ``start`` and this sample. Browser processes that exited in
        between are missing, so take both samples while the pages are open."""
        wall = self.wall - start.wall
        server = self.server - start.server
        main = self.server_main - start.server_main
        kinds = {k: v - start.browser.get(k, 0.0) for k, v in self.browser.items()}
        browser = sum(kinds.values())
        busy = self.busy - start.busy
        return {"wall_s": wall, "server_s": server, "server_main_s": main,
                "server_other_s": server - main, "browser_s": browser,
                "browser_kinds": kinds, "machine_busy_s": busy,
                "others_s": max(0.0, busy - server - browser),
                "machine_busy_share": busy / (wall * self.cores) if wall > 0 else None}


# ------------------------------------------------------------------ browser sessions
@dataclass
class SessionResult:
    index: int
    ok: bool
    time_to_map: float | None                    # seconds
    marks: dict = field(default_factory=dict)    # milestone -> seconds after goto start
    counts: list[int] = field(default_factory=list)
    ws: dict = field(default_factory=dict)       # websocket messages / bytes
    http: dict = field(default_factory=dict)     # requests / body bytes of all frames
    error: str | None = None


async def _new_context(browser):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.add_init_script(PROBE_JS)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


async def _open_and_wait(page, url: str, timeout: float) -> tuple[float, dict]:
    """goto url; wait until the probe saw all maps (or an exception); (t0, probe data)."""
    t0 = time.time()
    await page.goto(url, wait_until="commit", timeout=timeout * 1000)
    await page.wait_for_function(
        "() => window.__loadtest && (window.__loadtest.maps || window.__loadtest.exception)",
        polling=200, timeout=max(1.0, timeout - (time.time() - t0)) * 1000)
    return t0, await page.evaluate("() => window.__loadtest")


async def run_session(index: int, page, errors: list[str], url: str, timeout: float,
                      delay: float) -> SessionResult:
    if delay:
        await asyncio.sleep(delay)
    try:
        t0, probe = await _open_and_wait(page, url, timeout)
        http = await page.evaluate("() => window.__loadtestResources()")
    except Exception as exc:  # noqa: BLE001 - a timeout or a crashed page is a failure
        return SessionResult(index, False, None,
                             error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    marks = {k: (probe[k] / 1000 - t0) for k, _ in MILESTONES if probe.get(k)}
    ws = {k: probe.get(k) or 0 for k in ("ws_msgs", "ws_bytes", "ws_sent")}
    error = probe.get("exception") or ("; ".join(errors + probe.get("js_errors", [])) or None)
    ok = "maps" in marks and not error
    return SessionResult(index, ok, marks.get("maps") if ok else None, marks,
                         probe.get("counts") or [], ws, http, error)


def _check_warm_up(path: str, probe: dict) -> None:
    if probe.get("exception"):
        raise RuntimeError(f"the app raised on {path} during the warm-up (an edit in "
                           f"progress? retry later):\n{probe['exception']}")


async def warm_up(browser, base: str) -> dict:
    """First session: '/' (builds the database) then the spearhead-5 page (fills caches)."""
    context, page, _ = await _new_context(browser)
    out = {}
    try:
        t = time.perf_counter()
        await page.goto(base + "/", timeout=WARMUP_TIMEOUT * 1000)
        await page.wait_for_function(
            "() => window.__loadtest && (window.__loadtest.drawn || window.__loadtest.exception)",
            polling=200, timeout=WARMUP_TIMEOUT * 1000)
        out["home_s"] = time.perf_counter() - t
        _check_warm_up("/", await page.evaluate("() => window.__loadtest"))
        t0, probe = await _open_and_wait(page, base + PAGE_PATH, WARMUP_TIMEOUT)
        _check_warm_up(PAGE_PATH, probe)
        out["spearhead5_s"] = probe["maps"] / 1000 - t0
    finally:
        await context.close()
    return out


async def run_wave(browsers: list, server: Server, n: int, timeout: float,
                   ramp: float) -> dict:
    """N contexts opened first (not timed), then all N page loads at once."""
    url = server.base + PAGE_PATH
    opened = await asyncio.gather(*(_new_context(browsers[i % len(browsers)])
                                    for i in range(n)))
    rss_start = server_rss_mb(server)
    cpu0 = CpuSample.take(server)
    results = await asyncio.gather(*(
        run_session(i, page, errors, url, timeout, ramp * i / n)
        for i, (_ctx, page, errors) in enumerate(opened)))
    cpu1 = CpuSample.take(server)  # before closing: closed renderers take their CPU along
    wave = {"results": results, "summary": summarize(results), "rss_start": rss_start,
            "rss_open": server_rss_mb(server), "threads_open": server_threads(server),
            "browser_rss_open": browser_rss_mb(server),
            "cpu": cpu1.since(cpu0)}
    await asyncio.gather(*(ctx.close() for ctx, _p, _e in opened))
    return wave


async def drive(server: Server, args) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browsers = [await p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=CHROMIUM_ARGS)
                    for _ in range(args.browsers)]
        try:
            print("[loadtest] warm-up: / then /speerpunt-5 in one session …", flush=True)
            warm = await warm_up(browsers[0], server.base)
            print(f"  / {warm['home_s']:.1f} s (builds the database), /speerpunt-5 "
                  f"{warm['spearhead5_s']:.1f} s", flush=True)
            solo = []
            for i in range(args.solo):
                solo.append(await run_wave(browsers[:1], server, 1, args.timeout, 0.0))
                print_wave(f"solo {i + 1}", solo[-1])
                await asyncio.sleep(1)
            await asyncio.sleep(args.settle)
            rss_base = server_rss_mb(server)
            print(f"[loadtest] server RSS after warm-up: {rss_base:.0f} MB", flush=True)
            waves = []
            for w in range(args.waves):
                print(f"[loadtest] wave {w + 1}: {args.sessions} sessions at once …",
                      flush=True)
                wave = await run_wave(browsers, server, args.sessions, args.timeout,
                                      args.ramp)
                await asyncio.sleep(args.settle)
                wave["rss_closed"] = server_rss_mb(server)
                waves.append(wave)
                print_wave(f"wave {w + 1}", wave)
        finally:
            for b in browsers:
                await b.close()
    return {"warmup": warm, "solo": solo, "rss_base": rss_base, "waves": waves}


# ------------------------------------------------------------------ statistics
def _stats(values: list[float]) -> dict | None:
    if not values:
        return None
    return {"p50": statistics.median(values), "p95": pct(values, 95), "min": min(values),
            "max": max(values)}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def summarize(results: list[SessionResult]) -> dict:
    ok = [r for r in results if r.ok]
    return {
        "n": len(results), "ok": len(ok), "success": len(ok) / len(results),
        "ttm": _stats([r.time_to_map for r in ok]),
        "milestones": {k: _stats([r.marks[k] for r in ok if k in r.marks])
                       for k, _ in MILESTONES},
        "ws": {k: _median([r.ws[k] for r in ok]) for k in ("ws_msgs", "ws_bytes", "ws_sent")},
        "http": {k: _median([r.http.get(k, 0) for r in ok]) for k in ("requests", "bytes")},
        "errors": sorted({r.error for r in results if r.error})[:5],
        "counts": sorted({tuple(r.counts) for r in ok})[:3],
    }


def per_session(waves: list[dict]) -> dict:
    """Mean CPU seconds per session over ``waves`` (server, its parts, browser kinds)."""
    n = sum(w["summary"]["n"] for w in waves)
    out = {k: sum(w["cpu"][k] for w in waves) / n
           for k in ("server_s", "server_main_s", "server_other_s", "browser_s")}
    kinds: dict[str, float] = {}
    for w in waves:
        for k, v in w["cpu"]["browser_kinds"].items():
            kinds[k] = kinds.get(k, 0.0) + v / n
    out["browser_kinds"] = kinds
    return out


def print_wave(label: str, wave: dict) -> None:
    s, cpu = wave["summary"], wave["cpu"]
    n = s["n"]
    ttm = s["ttm"]
    times = ("–" if not ttm else
             f"p50 {ttm['p50']:.2f} s, p95 {ttm['p95']:.2f} s, max {ttm['max']:.2f} s")
    print(f"  {label}: success {s['ok']}/{n}; time-to-map {times}", flush=True)
    print(f"    server RSS {wave['rss_start']:.0f} → {wave['rss_open']:.0f} MB with the "
          f"sessions open ({(wave['rss_open'] - wave['rss_start']) / n:+.2f} MB/session)"
          + (f", {wave['rss_closed']:.0f} MB after closing" if "rss_closed" in wave else "")
          + f"; browser side RSS {wave['browser_rss_open']:.0f} MB", flush=True)
    print(f"    CPU over {cpu['wall_s']:.1f} s: server {cpu['server_s']:.1f} s (main thread "
          f"{cpu['server_main_s']:.1f}, other threads {cpu['server_other_s']:.1f}), browser "
          f"{cpu['browser_s']:.1f} s ("
          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu["browser_kinds"].items()))
          + f"), other processes {cpu['others_s']:.1f} s; machine busy "
          f"{cpu['machine_busy_share'] * 100:.0f} %", flush=True)
    if n > 1:
        for k, lab in MILESTONES:
            m = s["milestones"].get(k)
            if m:
                print(f"      {lab:<46} p50 {m['p50']:6.2f}  p95 {m['p95']:6.2f}  "
                      f"max {m['max']:6.2f} s", flush=True)
    for e in s["errors"]:
        print(f"    error: {e}", flush=True)


# ------------------------------------------------------------------ report
def machine_facts() -> dict:
    cpu, mem_kb = "unknown", 0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    versions = {}
    for pkg in ("streamlit", "streamlit-folium", "folium", "duckdb", "playwright"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "chromium (version unknown)"
    return {"cores": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gb": mem_kb / 1024 ** 2,
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions, "chromium": chromium,
            "loadavg": " / ".join(f"{x:.2f}" for x in os.getloadavg())}


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _kinds(k: dict) -> str:
    order = ["renderer", "gpu", "browser", "other", "driver"]
    return ", ".join(f"{name} {k[name]:.2f}" for name in order if k.get(name, 0) >= 0.005)


def _command(args: dict) -> str:
    cmd = f"python bench/loadtest.py --sessions {args['sessions']} --waves {args['waves']}"
    for flag, default in (("browsers", 1), ("ramp", 0.0), ("solo", 3)):
        if args[flag] != default:
            cmd += f" --{flag} {args[flag]:g}"
    cmd += "".join(f" --streamlit-option {kv}" for kv in args.get("streamlit_option", []))
    return cmd + (f" --out {args['out']}" if args.get("out") else "")


def _head(r: dict) -> list[str]:
    mf, args, v = r["machine"], r["args"], r["machine"]["versions"]
    return [
        START, "## Load test: concurrent visitors on the spearhead-5 page", "",
        f"*Generated by `{_command(args)}` on {r['date']} (total run "
        f"{r['elapsed_s']:.0f} s).*", "",
        f"Targets (issue 5, point 7): **{TARGET_SESSIONS} concurrent sessions, 100 % "
        f"success, time-to-map p95 ≤ {TARGET_P95_S:g} s, server RSS growth ≤ "
        f"{TARGET_RSS_PER_SESSION_MB:g} MB per session.**", "",
        "**How.** `bench/loadtest.py` (its docstring has the details) starts `python -m "
        "streamlit run app.py` as a real server on a fresh temporary folder (production "
        "setting `--server.fileWatcherType none`), warms it up "
        "with one browser session (`/`, which builds the database, then `/speerpunt-5`, "
        "which fills the shared map caches) and then, per wave, opens N browser contexts "
        "(N new visitors: own Streamlit session, own HTTP cache) and starts all N page "
        "loads of `/speerpunt-5` at the same moment. *Time-to-map* runs from `page.goto` "
        "until the last of the page's three `streamlit_folium` maps has drawn its "
        "`path.leaflet-interactive` polygons (a probe script in the page checks every "
        "50 ms). A session fails if it shows a Streamlit exception, raises in the browser "
        f"or has no maps after {args['timeout']:g} s. *Solo* runs are single sessions on "
        "the warm server, one after another: the cost of one visitor without competition.",
        "",
        f"**Machine.** {mf['cores']} cores ({mf['cpu']}), {mf['ram_gb']:.0f} GB RAM, "
        f"Python {mf['python']}, {mf['platform']}; streamlit {v['streamlit']}, "
        f"streamlit-folium {v['streamlit-folium']}, folium {v['folium']}, duckdb "
        f"{v['duckdb']}, playwright {v['playwright']}, {mf['chromium']} (headless). "
        f"Load average (1/5/15 min) {r['loadavg_start']} at the start, {mf['loadavg']} "
        "at the end; other processes on the machine (the *other processes* column) "
        "compete for the same cores. **The browsers and the server share these "
        f"{mf['cores']} cores**: all the CPU a browser spends on Streamlit's JavaScript, "
        "Plotly and Leaflet is taken from the server, which a real deployment (visitors on "
        "their own machines) would not see.", "",
        f"**Browser set-up.** {args['browsers']} chromium process"
        f"{'es' if args['browsers'] != 1 else ''} with {args['sessions']} contexts "
        f"per wave" + (f", page loads spread over {args['ramp']:g} s" if args["ramp"] else "")
        + ". "
        + BROWSER_CHOICE, ""]


def _targets(r: dict) -> list[str]:
    waves = r["waves"]
    worst_success = min(w["summary"]["success"] for w in waves)
    p95s = [w["summary"]["ttm"]["p95"] for w in waves if w["summary"]["ttm"]]
    worst_p95 = max(p95s) if p95s else float("inf")
    growth = max((w["rss_open"] - w["rss_start"]) / w["summary"]["n"] for w in waves)
    held = (waves[-1]["rss_closed"] - r["rss_base"]) / sum(w["summary"]["n"] for w in waves)
    n = r["args"]["sessions"]
    return [
        "### Targets (worst wave)", "", "| target | measured | result |", "|---|---|---|",
        f"| {TARGET_SESSIONS} concurrent sessions, 100 % success | {n} sessions: "
        f"{worst_success * 100:.0f} % | "
        f"{_verdict(worst_success >= TARGET_SUCCESS and n >= TARGET_SESSIONS)} |",
        f"| time-to-map p95 ≤ {TARGET_P95_S:g} s | {worst_p95:.1f} s"
        + ("" if worst_p95 <= TARGET_P95_S else f" ({worst_p95 / TARGET_P95_S:.0f}× the "
           "target)") + f" | {_verdict(worst_p95 <= TARGET_P95_S)} |",
        f"| server RSS growth ≤ {TARGET_RSS_PER_SESSION_MB:g} MB per session | "
        f"{growth:+.2f} MB per open session (worst wave); {held:+.2f} MB per session "
        f"still held after every wave closed | "
        f"{_verdict(growth <= TARGET_RSS_PER_SESSION_MB)} |", ""]


def _wave_table(r: dict) -> list[str]:
    cores = r["machine"]["cores"]
    out = ["### Per wave", "",
           "| run | sessions | success | time-to-map p50 / p95 / max s "
           "| server RSS start → open → closed MB | RSS growth per open session MB "
           "| CPU s: server (main / other) | browser | other processes | machine busy |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [(f"solo {i}", w) for i, w in enumerate(r["solo"], 1)]
    rows += [(f"wave {i}", w) for i, w in enumerate(r["waves"], 1)]
    for label, w in rows:
        s, cpu = w["summary"], w["cpu"]
        t = s["ttm"]
        times = "–" if not t else f"{t['p50']:.2f} / {t['p95']:.2f} / {t['max']:.2f}"
        closed = f" → {w['rss_closed']:.0f}" if "rss_closed" in w else ""
        out.append(
            f"| {label} | {s['n']} | {s['ok']}/{s['n']} | {times} "
            f"| {w['rss_start']:.0f} → {w['rss_open']:.0f}{closed} "
            f"| {(w['rss_open'] - w['rss_start']) / s['n']:+.2f} "
            f"| {cpu['server_s']:.1f} ({cpu['server_main_s']:.1f} / "
            f"{cpu['server_other_s']:.1f}) | {cpu['browser_s']:.1f} | {cpu['others_s']:.1f} "
            f"| {cpu['machine_busy_share'] * 100:.0f} % of {cores} cores over "
            f"{cpu['wall_s']:.0f} s |")
    out += ["", "RSS = VmRSS of the server process and its children (`/proc/<pid>/status`): "
            "*start* when the wave begins, *open* once every session has drawn its maps "
            f"(all still connected), *closed* {r['args']['settle']:g} s after the contexts "
            f"closed (the server runs with `--server.disconnectedSessionTTL {SESSION_TTL}`, "
            "so the closed sessions are gone by then; the default keeps them 120 s). "
            "Server CPU *main* is the main thread (the asyncio event loop of Streamlit's "
            "Starlette/uvicorn server: HTTP requests, websocket messages), *other* every other "
            "thread (script runs, the worker threads that read static files, DuckDB). "
            "*Browser*: every "
            "chromium process and the Playwright driver. *Other processes*: the rest of the "
            "machine's busy time (`/proc/stat`).", ""]
    return out


def _cost_table(r: dict) -> list[str]:
    solo, wave = per_session(r["solo"]), per_session(r["waves"][:1])
    ss, ws = _merge_summaries(r["solo"]), r["waves"][0]["summary"]
    ttm_solo = ss["ttm"]["p50"] if ss["ttm"] else float("nan")
    ttm_wave = ws["ttm"]["p50"] if ws["ttm"] else float("nan")
    return [
        "### Cost of one visitor (per session)", "",
        f"| per session | solo (mean of {len(r['solo'])}) | wave 1 "
        f"({r['args']['sessions']} at once) |", "|---|---:|---:|",
        f"| time-to-map, median s | {ttm_solo:.2f} | {ttm_wave:.2f} |",
        f"| server CPU s (main thread / other threads) | {solo['server_s']:.2f} "
        f"({solo['server_main_s']:.2f} / {solo['server_other_s']:.2f}) "
        f"| {wave['server_s']:.2f} ({wave['server_main_s']:.2f} / "
        f"{wave['server_other_s']:.2f}) |",
        f"| browser CPU s | {solo['browser_s']:.2f} ({_kinds(solo['browser_kinds'])}) "
        f"| {wave['browser_s']:.2f} ({_kinds(wave['browser_kinds'])}) |",
        f"| HTTP until the last map drew: requests, body MB | {ss['http']['requests']:.0f}, "
        f"{ss['http']['bytes'] / 1e6:.1f} | {ws['http']['requests']:.0f}, "
        f"{ws['http']['bytes'] / 1e6:.1f} |",
        f"| websocket: messages in, KB in, messages out | {ss['ws']['ws_msgs']:.0f}, "
        f"{ss['ws']['ws_bytes'] / 1024:.0f}, {ss['ws']['ws_sent']:.0f} "
        f"| {ws['ws']['ws_msgs']:.0f}, {ws['ws']['ws_bytes'] / 1024:.0f}, "
        f"{ws['ws']['ws_sent']:.0f} |", "",
        "Browser CPU by chromium process kind: *renderer* (page JavaScript: Streamlit's "
        "React app, Plotly, Leaflet in the three component frames; layout), *gpu* "
        "(software compositing: `--disable-gpu`), *browser* (the browser process), "
        "*other* (network service), *driver* (Playwright). A busy machine raises the "
        "browser's CPU per visitor: the compositor keeps producing frames (loading "
        "animations) for as long as a page waits. HTTP counts what the page and its frames "
        "had fetched when the last map drew (`performance` resource entries); under load "
        "the lazily loaded Plotly bundle (4.7 MB) often comes later.", ""]


def _merge_summaries(waves: list[dict]) -> dict:
    return summarize([res for w in waves for res in w["results"]])


def _milestone_table(r: dict) -> list[str]:
    ss, ws = _merge_summaries(r["solo"]), r["waves"][0]["summary"]
    out = ["### Where the time goes (seconds after `page.goto` started, successful "
           "sessions)", "", "| milestone | solo p50 | wave 1 p50 | wave 1 p95 | wave 1 max |",
           "|---|---:|---:|---:|---:|"]
    for k, label in MILESTONES:
        a, b = ss["milestones"].get(k), ws["milestones"].get(k)
        if a or b:
            cell = lambda m, q: "–" if not m else f"{m[q]:.2f}"  # noqa: E731
            out.append(f"| {label} | {cell(a, 'p50')} | {cell(b, 'p50')} | {cell(b, 'p95')} "
                       f"| {cell(b, 'max')} |")
    if ws["counts"]:
        out += ["", "Paths drawn per map (warmtenet, ontharding, laadpunten; polygons plus "
                "overlay lines and markers): "
                + "; ".join(", ".join(str(c) for c in cs) for cs in ws["counts"]) + "."]
    errors = sorted({e for w in r["solo"] + r["waves"] for e in w["summary"]["errors"]})
    if errors:
        out += ["", "Failures seen: " + "; ".join(f"`{e[:160]}`" for e in errors[:5]) + "."]
    return out + [""]


def _reading(r: dict) -> list[str]:
    """What the figures imply: CPU floors derived from the solo cost of one visitor."""
    cores, n = r["machine"]["cores"], r["args"]["sessions"]
    solo = per_session(r["solo"])
    srv, brw = solo["server_s"], solo["browser_s"]
    both = srv + brw
    floor_machine = n * both / cores
    floor_server = n * srv
    wave = r["waves"][0]
    http = _merge_summaries(r["solo"])["http"]
    others = wave["cpu"]["others_s"] / (wave["cpu"]["wall_s"] * cores)
    ttm = wave["summary"]["ttm"]
    p95 = ttm["p95"] if ttm else float("nan")
    return [
        "### Reading the results", "",
        f"- **CPU, not waiting, sets the time.** One visitor costs {both:.1f} CPU-seconds "
        f"on this machine: {brw:.1f} s in the browser and {srv:.2f} s in the server. {n} "
        f"visitors at once therefore need at least {n} × {both:.1f} s ÷ {cores} cores = "
        f"**{floor_machine:.0f} s** of wall time before the last map can draw, whatever the "
        f"app does with its caches; wave 1 measured p95 {p95:.1f} s with the machine "
        f"{wave['cpu']['machine_busy_share'] * 100:.0f} % busy, {others * 100:.0f} % of it "
        "other processes (other work on the machine at the time). With browsers and server on "
        f"the same {cores} cores, a p95 of {TARGET_P95_S:g} s "
        + (f"allows about {TARGET_P95_S * cores / both:.0f} simultaneous first visits."
           if TARGET_P95_S * cores / both >= 1 else
           f"is out of reach even for one visitor: its {both:.1f} CPU-seconds are more than "
           f"{cores} cores deliver in {TARGET_P95_S:g} s."),
        f"- **The server alone.** Without the browsers, {n} simultaneous first visits would "
        f"still cost the server {n} × {srv:.2f} s = **{floor_server:.0f} CPU-seconds**, "
        "almost all of it Python holding the GIL (the event loop serving files and "
        "websockets, the script threads), so about one core's worth no matter how many "
        f"cores: the server alone could serve about {TARGET_P95_S / srv:.0f} simultaneous "
        f"first visits within {TARGET_P95_S:g} s. The main thread's share "
        f"({solo['server_main_s']:.2f} s per visitor) is mostly HTTP: a new browser "
        f"fetches {http['requests']:.0f} files ({http['bytes'] / 1e6:.0f} MB, mostly "
        "Streamlit's JavaScript, sent uncompressed) through Starlette, because every "
        "context starts with an empty cache.",
        _memory_bullet(r), "",
        f"Reproduce: `{_command({**r['args'], 'out': None})}` (add `--out docs/performance.md` "
        f"to rewrite this section; this run took {r['elapsed_s'] / 60:.0f} minutes). Only "
        "the text between "
        "the `loadtest` markers is rewritten.", "", END]


def _memory_bullet(r: dict) -> str:
    waves, base = r["waves"], r["rss_base"]
    closed = [w["rss_closed"] for w in waves]
    text = (f"- **Memory.** Server RSS after the warm-up {base:.0f} MB; with "
            f"{r['args']['sessions']} sessions open "
            + ", ".join(f"{w['rss_open']:.0f}" for w in waves)
            + " MB (per wave); after each wave closed " + ", ".join(f"{c:.0f}" for c in closed)
            + " MB.")
    if len(waves) > 1:
        step = (closed[-1] - closed[0]) / sum(w["summary"]["n"] for w in waves[1:])
        verdict = ("memory plateaus (no leak visible)" if abs(step) < 0.5 else
                   "memory keeps growing from wave to wave: a possible leak")
        text += (f" From the first wave's end to the last: {step:+.2f} MB per further "
                 f"session, so {verdict}.")
    return text


def render_block(r: dict) -> str:
    return "\n".join(_head(r) + _targets(r) + _wave_table(r) + _cost_table(r)
                     + _milestone_table(r) + _reading(r))


def write_doc(path: Path, block: str) -> None:
    """Replace the block between the markers (append it at the end if they are missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if START not in text or END not in text:
        text = text.rstrip("\n") + "\n\n" + START + "\n" + END + "\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    path.write_text(pattern.sub(lambda _m: block, text, count=1), encoding="utf-8")


# ------------------------------------------------------------------ main
def _jsonable(r: dict) -> dict:
    return json.loads(json.dumps(r, default=lambda o: o.__dict__
                                 if isinstance(o, SessionResult) else str(o)))


def _load_report(path: Path) -> dict:
    """A report saved with --json, with its session results as SessionResult again."""
    report = json.loads(path.read_text(encoding="utf-8"))
    for w in report["solo"] + report["waves"]:
        w["results"] = [SessionResult(**x) for x in w["results"]]
    return report


def _publish(report: dict, out: str | None) -> None:
    block = render_block(report)
    print("\n" + block)
    if out:
        write_doc(Path(out), block)
        print(f"[loadtest] wrote {out}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=TARGET_SESSIONS,
                    help="concurrent sessions per wave")
    ap.add_argument("--waves", type=int, default=2,
                    help="waves of sessions (does memory plateau or keep growing?)")
    ap.add_argument("--out", help="Markdown file whose loadtest section is (re)written")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--browsers", type=int, default=1,
                    help="chromium processes the contexts are spread over (default 1)")
    ap.add_argument("--solo", type=int, default=3,
                    help="single sessions measured one after another before the waves")
    ap.add_argument("--ramp", type=float, default=0.0,
                    help="spread the page loads of a wave over this many seconds")
    ap.add_argument("--timeout", type=float, default=900.0, help="per-session timeout (s)")
    ap.add_argument("--streamlit-option", action="append", default=[], metavar="KEY=VALUE",
                    help="extra Streamlit setting for the server, e.g. runner.postScriptGC=false "
                         "(repeatable; to try a configuration change)")
    ap.add_argument("--settle", type=float, default=SESSION_TTL + 8.0,
                    help="seconds to wait after closing before reading the RSS")
    ap.add_argument("--json", help="also write the raw results as JSON to this file")
    ap.add_argument("--render", metavar="JSON",
                    help="only re-render a report saved with --json (to --out); no run")
    args = ap.parse_args(argv)
    if args.render:
        _publish(_load_report(Path(args.render)), args.out)
        return 0
    if any("=" not in kv for kv in args.streamlit_option):
        ap.error("--streamlit-option takes KEY=VALUE")
    if args.sessions < 1 or args.waves < 1 or args.solo < 1 \
            or not 1 <= args.browsers <= args.sessions:
        ap.error("need --sessions, --waves and --solo ≥ 1 and 1 ≤ --browsers ≤ --sessions")
    if not SHARED_GEO.is_dir():
        ap.error(f"official geodata not found: {SHARED_GEO}")
    if not Path(CHROMIUM).exists():
        ap.error(f"{CHROMIUM} not found (apt-get install chromium)")

    started = time.perf_counter()
    loadavg_start = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    root = Path(tempfile.mkdtemp(prefix="kortrijk-loadtest-"))
    print(f"[loadtest] starting the server in {root} …", flush=True)
    server = start_server(root, args.streamlit_option)
    try:
        print(f"[loadtest] server at {server.base} (pid {server.proc.pid}), RSS "
              f"{server_rss_mb(server):.0f} MB before any session", flush=True)
        result = asyncio.run(drive(server, args))
        if server.proc.poll() is not None:
            raise RuntimeError("the server exited during the run")
    except BaseException:
        print(server.output(), file=sys.stderr)
        raise
    finally:
        stop_server(server)
        if args.keep:
            print(f"[loadtest] kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    report = {**result, "machine": machine_facts(), "loadavg_start": loadavg_start,
              "args": vars(args), "elapsed_s": time.perf_counter() - started,
              "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    if args.json:  # first, so a failing render loses nothing
        Path(args.json).write_text(json.dumps(_jsonable(report), indent=2), encoding="utf-8")
    _publish(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
