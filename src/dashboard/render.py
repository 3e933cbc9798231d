"""Render HTML to PNG and PDF with Debian's chromium, driven by Playwright.

Runs in its own process (``python -m dashboard.render JOB.json``): Playwright's sync API
must not run inside the app's threads, and a crash or a hang of the browser must never
take the app down. :func:`run` starts that process with a time limit and reports errors
as :class:`RenderError` with the browser's message.

A job (JSON)::

    {"shots": [{"html": "/tmp/x/map1.html", "png": "/tmp/x/map1.png",
                "wait_for": "path.leaflet-interactive", "width": 900, "height": 520}],
     "pdf": {"html": "/tmp/x/report.html", "out": "/tmp/x/report.pdf",
             "wait_for": ".js-plotly-plot .main-svg", "count": 12}}

Every page is a local file; the browser is offline (no network access is needed: Leaflet
and plotly.js are read from local files).

Every render of the app goes through :func:`run`, which bounds what anonymous clicks can
cost: at most :data:`MAX_CONCURRENT_RENDERS` browsers per process at once (a further job
waits up to :data:`QUEUE_WAIT_S` seconds for a slot, then gets :class:`RenderBusy`), and
the last :data:`CACHE_ENTRIES` results (at most :data:`CACHE_MAX_BYTES` in all) are kept,
keyed by a hash of the job's inputs (the HTML of every page, sizes, waits, output names),
so the same view is rendered once. Two identical jobs at the same time share one render.
Pages must be self-contained apart from fixed local assets (Leaflet, plotly.js) and
images the same job produces: other files they refer to are not part of the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections import OrderedDict
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000


# Limits on what renders may cost (see docs/security.md).
MAX_CONCURRENT_RENDERS = 2        # browsers per process at once
QUEUE_WAIT_S = 15.0               # how long a job waits for a free slot before RenderBusy
CACHE_ENTRIES = 32                # finished renders kept (least recently used dropped)
CACHE_MAX_BYTES = 64 * 1024 ** 2  # and at most this many bytes of them in all


class RenderError(RuntimeError):
    """The browser could not render (missing chromium, timeout, …)."""


class RenderBusy(RenderError):
    """Every render slot stayed taken for the whole wait: try again in a moment."""


_slots = threading.BoundedSemaphore(MAX_CONCURRENT_RENDERS)
_lock = threading.Lock()
_cache: OrderedDict[str, tuple[bytes, ...]] = OrderedDict()
_inflight: dict[str, threading.Event] = {}
_stats = {"started": 0, "active": 0, "peak": 0, "cache_hits": 0, "busy": 0}


def stats() -> dict[str, int]:
    """Counters of this process: render processes started, running now and at most at
    once, results served from the cache, jobs refused as busy."""
    with _lock:
        return dict(_stats)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _outputs(job: dict) -> list[Path]:
    outs = [Path(shot["png"]) for shot in job.get("shots", [])]
    if job.get("pdf"):
        outs.append(Path(job["pdf"]["out"]))
    return outs


def job_key(job: dict, chromium: Path) -> str:
    """A hash of everything that decides a job's result: each page's HTML (its bytes),
    sizes, waits, footer and the output names (a report refers to its map images by
    name)."""
    def page(spec: dict, out: str) -> dict:
        return {"html": hashlib.sha256(Path(spec["html"]).read_bytes()).hexdigest(),
                "out": Path(spec[out]).name,
                **{k: v for k, v in spec.items() if k not in ("html", out)}}

    canon = {"chromium": str(chromium),
             "shots": [page(shot, "png") for shot in job.get("shots", [])],
             "pdf": page(job["pdf"], "out") if job.get("pdf") else None}
    return hashlib.sha256(json.dumps(canon, sort_keys=True, default=str).encode()).hexdigest()


def _from_cache(key: str, outputs: list[Path]) -> bool:
    with _lock:
        held = _cache.get(key)
        if held is None:
            return False
        _cache.move_to_end(key)
        _stats["cache_hits"] += 1
    for path, data in zip(outputs, held):
        path.write_bytes(data)
    return True


def _to_cache(key: str, outputs: list[Path]) -> None:
    data = tuple(p.read_bytes() for p in outputs)
    size = sum(len(d) for d in data)
    if size > CACHE_MAX_BYTES:
        return
    with _lock:
        _cache[key] = data
        _cache.move_to_end(key)
        while len(_cache) > CACHE_ENTRIES or \
                sum(len(d) for v in _cache.values() for d in v) > CACHE_MAX_BYTES:
            _cache.popitem(last=False)


def run(job: dict, chromium: Path, timeout: float = 240.0, *,
        queue_wait: float = QUEUE_WAIT_S) -> None:
    """Render ``job`` (from the cache when the same job was rendered before); raise
    RenderBusy when no render slot frees up within ``queue_wait`` seconds and RenderError
    when the browser fails."""
    if not Path(chromium).exists():
        raise RenderError(f"chromium not found at {chromium} (apt-get install chromium)")
    outputs = _outputs(job)
    key = job_key(job, chromium)
    if _from_cache(key, outputs):
        return
    with _lock:
        running = _inflight.get(key)
        if running is None:
            _inflight[key] = threading.Event()
    if running is not None:
        # The same job is being rendered for someone else: wait for its result.
        running.wait(queue_wait + timeout)
        if _from_cache(key, outputs):
            return
    try:
        if not _slots.acquire(timeout=queue_wait):
            with _lock:
                _stats["busy"] += 1
            raise RenderBusy(f"all {MAX_CONCURRENT_RENDERS} render slots stayed busy for "
                             f"{queue_wait:g} s")
        try:
            with _lock:
                _stats["started"] += 1
                _stats["active"] += 1
                _stats["peak"] = max(_stats["peak"], _stats["active"])
            try:
                _render(job, chromium, timeout)
            finally:
                with _lock:
                    _stats["active"] -= 1
            _to_cache(key, outputs)
        finally:
            _slots.release()
    finally:
        if running is None:
            with _lock:
                _inflight.pop(key).set()


def _render(job: dict, chromium: Path, timeout: float) -> None:
    """Run one job in its own process (``python -m dashboard.render JOB.json``)."""
    job_file = Path(job.get("dir") or Path(job["pdf"]["out"]).parent) / "job.json"
    job_file.write_text(json.dumps({**job, "chromium": str(chromium)}), encoding="utf-8")
    # Its own process group: on a timeout the browser goes too, not only the driver (an
    # orphaned chromium would keep running outside the slot count).
    proc = subprocess.Popen([sys.executable, "-m", "dashboard.render", str(job_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        raise RenderError(f"rendering took longer than {timeout:g} s") from exc
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        raise RenderError((stderr or stdout).strip().splitlines()[-1]
                          if (stderr or stdout).strip() else "rendering failed")
    missing = [p.name for p in _outputs(job) if not p.is_file()]
    if missing:
        raise RenderError(f"the browser wrote no {', '.join(missing)}")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()


def _wait(page, selector: str | None, count: int = 1) -> None:
    if not selector:
        return
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[selector, count],
        timeout=TIMEOUT_MS)


def main(job_file: str) -> int:
    from playwright.sync_api import sync_playwright

    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=job["chromium"], headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(device_scale_factor=2)
            # Offline by construction: refuse anything that is not a local file.
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(("file:", "data:"))
                          else route.abort())
            page = context.new_page()
            for shot in job.get("shots", []):
                page.set_viewport_size({"width": shot.get("width", 900),
                                        "height": shot.get("height", 520)})
                page.goto(Path(shot["html"]).as_uri())
                _wait(page, shot.get("wait_for"))
                page.wait_for_timeout(shot.get("settle_ms", 300))
                page.screenshot(path=shot["png"])
            if job.get("pdf"):
                pdf = job["pdf"]
                page.set_viewport_size({"width": 1100, "height": 1400})
                page.goto(Path(pdf["html"]).as_uri())
                _wait(page, pdf.get("wait_for"), pdf.get("count", 1))
                # outline: a bookmark per heading; tagged: structure for screen readers.
                page.pdf(path=pdf["out"], format="A4", print_background=True,
                         outline=True, tagged=True,
                         margin={"top": "14mm", "bottom": "16mm", "left": "12mm",
                                 "right": "12mm"},
                         display_header_footer=True, header_template="<span></span>",
                         footer_template=pdf.get("footer", "<span></span>"))
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
