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
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 60_000


class RenderError(RuntimeError):
    """The browser could not render (missing chromium, timeout, …)."""


def run(job: dict, chromium: Path, timeout: float = 240.0) -> None:
    """Render ``job`` in a separate process; raise RenderError when it fails."""
    if not Path(chromium).exists():
        raise RenderError(f"chromium not found at {chromium} (apt-get install chromium)")
    job_file = Path(job.get("dir") or Path(job["pdf"]["out"]).parent) / "job.json"
    job_file.write_text(json.dumps({**job, "chromium": str(chromium)}), encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, "-m", "dashboard.render", str(job_file)],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"rendering took longer than {timeout:g} s") from exc
    if proc.returncode != 0:
        raise RenderError((proc.stderr or proc.stdout).strip().splitlines()[-1]
                          if (proc.stderr or proc.stdout).strip() else "rendering failed")


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
