"""Finding 11 (unlimited renders): every PDF/PNG export starts a browser, so the number of
browsers per process is bounded, a job that finds no free slot waits briefly and then is
refused as busy, and the same view is rendered once.

Real chromium (/usr/bin/chromium) through ``render.run``; a deliberately slow page (the
element the job waits for appears after a ``setTimeout``). The render processes are
counted from ``/proc`` (children of this process running ``dashboard.render``), not from
the module's own counters."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from dashboard import render

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


def _render_children() -> set[int]:
    """PIDs of this process's children that run ``python -m dashboard.render``."""
    me, found = os.getpid(), set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            if b"dashboard.render" in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.add(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


class Sampler:
    """Samples the render processes every 20 ms: the most at once and every one seen."""

    def __init__(self) -> None:
        self.peak = 0
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = _render_children()
            self.peak = max(self.peak, len(now))
            self.seen |= now
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _slow_job(folder: Path, label: str, delay_ms: int) -> dict:
    """A page whose #ready element (what the job waits for) appears after ``delay_ms``."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "slow.html"
    page.write_text(
        f"<!doctype html><html><body><h1>{label}</h1><script>"
        f"setTimeout(() => {{ const d = document.createElement('div'); d.id = 'ready';"
        f" d.textContent = 'klaar'; document.body.appendChild(d); }}, {delay_ms});"
        "</script></body></html>", encoding="utf-8")
    return {"dir": str(folder), "shots": [{"html": str(page), "png": str(folder / "out.png"),
                                           "width": 320, "height": 200,
                                           "wait_for": "#ready", "settle_ms": 50}]}


def _in_threads(jobs: list[dict], **kwargs) -> list[object]:
    """Start every job at the same moment, each in its own thread; the result per job is
    the PNG bytes or the exception it raised."""
    results: list[object] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs))

    def work(i: int) -> None:
        barrier.wait()
        try:
            render.run(jobs[i], CHROMIUM, **kwargs)
            results[i] = Path(jobs[i]["shots"][0]["png"]).read_bytes()
        except Exception as exc:  # noqa: BLE001 (the test inspects it)
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    return results


def test_finding_11_concurrent_renders_are_bounded_and_the_rest_wait(tmp_path):
    tag = uuid.uuid4().hex
    jobs = [_slow_job(tmp_path / f"job{i}", f"{tag}-{i}", 2500) for i in range(4)]
    with Sampler() as sampler:
        results = _in_threads(jobs)
    # Four different views: four renders, never more than two browsers at once, and the
    # two that found no slot waited for one (the default wait outlasts a render).
    assert len(sampler.seen) == 4, sampler.seen
    assert sampler.peak <= 2, f"{sampler.peak} render processes ran at once"
    assert all(isinstance(r, bytes) and r.startswith(b"\x89PNG") for r in results), results


def test_finding_11_a_render_that_finds_no_slot_is_refused_as_busy(tmp_path):
    tag = uuid.uuid4().hex
    jobs = [_slow_job(tmp_path / f"job{i}", f"{tag}-{i}", 5000) for i in range(3)]
    with Sampler() as sampler:
        results = _in_threads(jobs, queue_wait=0.5)
    busy = [r for r in results if isinstance(r, render.RenderBusy)]
    done = [r for r in results if isinstance(r, bytes)]
    assert len(busy) == 1 and len(done) == 2, results
    assert "busy" in str(busy[0])
    assert sampler.peak <= 2 and len(sampler.seen) == 2, (sampler.peak, sampler.seen)


def test_finding_11_the_same_view_is_rendered_once(tmp_path):
    tag = uuid.uuid4().hex
    first = _slow_job(tmp_path / "first", tag, 1500)
    with Sampler() as sampler:
        render.run(first, CHROMIUM)
    assert len(sampler.seen) == 1
    png = Path(first["shots"][0]["png"]).read_bytes()
    # The same page again (another folder, as every export uses a fresh temporary one):
    # the cached bytes, no browser.
    again = _slow_job(tmp_path / "again", tag, 1500)
    started = time.monotonic()
    with Sampler() as sampler:
        render.run(again, CHROMIUM)
    elapsed = time.monotonic() - started
    assert not sampler.seen, f"a render process started: {sampler.seen}"
    assert elapsed < 1.0, f"took {elapsed:.1f} s: rendered again"
    assert Path(again["shots"][0]["png"]).read_bytes() == png
    # Two identical requests at the same moment share one render.
    twins = [_slow_job(tmp_path / f"twin{i}", tag + "-twin", 1500) for i in range(2)]
    with Sampler() as sampler:
        results = _in_threads(twins)
    assert len(sampler.seen) == 1, sampler.seen
    assert isinstance(results[0], bytes) and results[0] == results[1]
