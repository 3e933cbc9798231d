"""Accessibility: axe-core (through ``axe-playwright-python``) on every page of the app, in a
real browser; 0 violations of impact *serious* or *critical* (issue 5, point 4).

How it runs. One app server for the module (official geodata from ``../shared/geo``, like
``test_browser.py``; an editor password hash so the *Beheer* pages can be opened logged in;
Streamlit's file watcher off so an edit elsewhere cannot pop up a "File change" prompt
mid-test), warmed up with "/" (the first deep link after a start shows "page not found").
Every page is its own test case. The pages are audited a few at a time in one browser
context (each in its own tab = its own Streamlit session), when the first test needs them:
open the page (log in first for *Beheer*), wait until it has finished rendering (script run
over, ``h1`` shown, every map iframe has drawn its paths), make the viewport as tall as the
content, run axe.

Two things axe would otherwise miss silently, handled here:

- *Iframes.* The package injects axe into the top document only, and axe skips frames
  that have no axe of their own, so the maps (streamlit-folium component iframes) would go
  unchecked. axe is injected into every frame first; the top-level run then covers them.
- *Text below the fold.* axe checks colour contrast only inside the viewport (Streamlit
  scrolls its main area), without reporting the rest even as "incomplete". The viewport is
  therefore resized to the full content height before axe runs.

Three page states are audited in a phone-sized window (390 × 844, mobile emulation):
the overview, spearhead 5 (three maps) and the benchmark page. Every page must also have
``<html lang>`` in its language (Streamlit serves "en"; axe only checks that it is valid)
and must not be wider than its window (no sideways scrolling).

What fails. All of axe's default rules run (WCAG 2.0/2.1/2.2 A and AA plus best practices);
every violation with impact serious or critical fails its page's test, listing rule,
impact, help, and the first targets with their HTML. Moderate and minor ones are printed
(``-s``) but are not part of the acceptance.

Third-party content (Streamlit's own chrome, Leaflet, plotly) is checked like our own: what
the app renders is what users get, and so far every serious/critical violation in it can be
fixed from the app (theme colours in ``.streamlit/config.toml``, HTML we pass in, the shape
of the navigation we give ``st.navigation``). There is no blanket exclusion. A violation that
is truly internal to a library and cannot be changed from the app may go into
``KNOWN_THIRD_PARTY``: one rule id plus a CSS selector the failing node must match, with the
reason; such nodes are printed as skipped, never dropped silently. The list is empty.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page

from dashboard.auth import hash_password

from .browserkit import Render, rendered, serve_with, show_everything
from .conftest import SHARED_GEO
from .test_browser import CHROMIUM, browser  # noqa: F401  (module-scoped fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed "
                       "(apt-get install chromium); browser tests need Debian's chromium"),
]

FAILING_IMPACTS = {"serious", "critical"}
EDITOR_PASSWORD = "toegankelijk-testwachtwoord"
LOGIN_FORM = 'input[type="password"]'
PARALLEL = 4          # pages rendering at the same time (each its own Streamlit session)
PAGE_TIMEOUT = 90.0   # per page, from opening to drawn (the pages share the server's CPU)
SHOW_NODES = 4        # nodes listed per violation
SNIPPET = 300         # characters of HTML per node


@dataclass(frozen=True)
class Target:
    path: str
    login: bool = False        # log in on the page's editor form first
    ready: str = "h1"          # what marks the page as drawn (besides the run being over)
    lang: str = "nl"           # the page's language: <html lang> must say it (WCAG 3.1.1)
    phone: bool = False        # audited at 390 px (a phone) instead of 1400 px


PAGES = {
    "home": Target("/"),
    **{f"speerpunt-{i}": Target(f"/speerpunt-{i}") for i in range(1, 7)},
    # The other parts (tabs) of a page with maps: the indicators with a chart, the actions.
    "speerpunt-5-indicatoren": Target("/speerpunt-5?deel=indicatoren&grafiek=1"),
    "speerpunt-5-acties": Target("/speerpunt-5?deel=acties"),
    "indicatoren": Target("/indicatoren"),
    "bronnen": Target("/bronnen"),
    "beheer-aanmelden": Target("/beheer", ready=LOGIN_FORM),  # the login form itself
    "beheer": Target("/beheer", login=True),
    "geschiedenis": Target("/geschiedenis", login=True),
    "presentatie": Target("/presentatie"),  # the chooser
    # One presentation screen (presentation mode: no sidebar; chart and district map).
    "presentatie-scherm": Target("/presentatie?presentatie=1&ind=laadpunten_per_100_inw"),
    "wijzigingen": Target("/wijzigingen"),
    "vergelijking": Target("/vergelijking"),
    "sdg-doelen": Target("/sdg-doelen"),
    "stedenbanden": Target("/stedenbanden"),
    "open-data": Target("/open-data"),
    # The same page in French: the document's language follows the switch.
    "sdg-doelen-fr": Target("/sdg-doelen?taal=fr", lang="fr"),
    # On a phone (stacked columns, folded legends, no sidebar): the overview, a page with
    # three maps and the benchmark page.
    **{f"{name}-telefoon": Target(path, phone=True) for name, path in (
        ("home", "/"), ("speerpunt-5", "/speerpunt-5"), ("vergelijking", "/vergelijking"))},
}
PHONE = {"width": 390, "height": 844}

# Narrow, named exclusions for violations inside third-party markup the app cannot change:
# rule id -> [(CSS selector the node must match, reason)]. Empty: nothing needed one so far.
KNOWN_THIRD_PARTY: dict[str, list[tuple[str, str]]] = {}


# ----------------------------------------------------------------------------- helpers
def _login(page: Page) -> None:
    page.get_by_label("Wachtwoord voor het beheer").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()


def run_axe(page: Page) -> list[dict]:
    """axe (all default rules) on the page and every iframe in it; the violations."""
    axe = Axe()
    for frame in page.frames:
        if frame is not page.main_frame:
            frame.evaluate(axe.axe_script)  # lets the top-level axe.run reach into the frame
    return axe.run(page, options={"resultTypes": ["violations"]}).response["violations"]


def _excluded(page: Page, rule: str, node: dict) -> str | None:
    """The reason if ``node`` is a known third-party violation of ``rule``."""
    for selector, reason in KNOWN_THIRD_PARTY.get(rule, []):
        target = node["target"]
        if len(target) != 1 or not isinstance(target[0], str):
            continue  # nodes inside iframes (a path through frames) never match
        if page.evaluate("([t, s]) => { const e = document.querySelector(t); "
                         "return !!(e && e.matches(s)); }", [target[0], selector]):
            return reason
    return None


def _describe(violation: dict, nodes: list[dict]) -> str:
    lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']} "
             f"[{len(nodes)} node(s)] {violation.get('helpUrl', '')}"]
    for node in nodes[:SHOW_NODES]:
        target = " >> ".join(t if isinstance(t, str) else " ".join(t) for t in node["target"])
        html = " ".join(node.get("html", "").split())
        if len(html) > SNIPPET:
            html = html[:SNIPPET] + "…"
        why = " ".join(node.get("failureSummary", "").split())
        lines.append(f"    target: {target}\n    html:   {html}\n    why:    {why[:400]}")
    if len(nodes) > SHOW_NODES:
        lines.append(f"    … and {len(nodes) - SHOW_NODES} more node(s)")
    return "\n".join(lines)


@dataclass
class Audit:
    """One page's audit: what failed, what else axe said, or why it could not run."""

    name: str
    page: Page | None = None
    watch: Render | None = None
    logging_in: bool = False
    started: float = field(default_factory=time.monotonic)
    maps: int = 0
    failing: list[str] = field(default_factory=list)     # serious/critical, described
    other: list[str] = field(default_factory=list)       # "rule (impact) xN" below the bar
    skipped: list[str] = field(default_factory=list)     # known third-party nodes
    error: str | None = None
    seconds: float = 0.0
    lang: str | None = None                              # <html lang> once rendered
    overflow: int | None = None      # px the page is wider than the window (scrolls sideways)

    def step(self) -> bool:
        """Advance as far as possible without waiting; True when the audit is over."""
        target = PAGES[self.name]
        if not self.watch.done():
            return False
        if self.logging_in:
            _login(self.page)
            self.logging_in = False
            self.watch = Render(self.page, target.ready, PAGE_TIMEOUT)
            return False
        self.maps = self.watch.maps
        self.lang = self.page.evaluate("() => document.documentElement.lang")
        # Against the window we asked for: an emulated phone widens its layout viewport
        # (window.innerWidth) to whatever overflows, as a real phone zooms out.
        self.overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth") - self.page.viewport_size["width"]
        show_everything(self.page)
        rendered(self.page, target.ready, quiet=0.5)  # settled again after the resize
        for v in run_axe(self.page):
            if v.get("impact") not in FAILING_IMPACTS:
                self.other.append(f"{v['id']} ({v.get('impact')}) x{len(v['nodes'])}")
                continue
            nodes = []
            for node in v["nodes"]:
                reason = _excluded(self.page, v["id"], node)
                if reason:
                    self.skipped.append(f"{v['id']} at {node['target']}: {reason}")
                else:
                    nodes.append(node)
            if nodes:
                self.failing.append(_describe(v, nodes))
        return True


def audit_pages(context: BrowserContext, base: str, names: list[str]) -> dict[str, Audit]:
    """Audit ``names``, up to PARALLEL at a time; every page ends with results or an error."""
    queue, active, done = list(names), [], {}

    def finish(audit: Audit, error: str | None = None) -> None:
        audit.error = error
        audit.seconds = time.monotonic() - audit.started
        if audit.page is not None:
            audit.page.close()
            audit.page = audit.watch = None
        active.remove(audit)
        done[audit.name] = audit

    while queue or active:
        while queue and len(active) < PARALLEL:
            audit = Audit(queue.pop(0))
            active.append(audit)
            target = PAGES[audit.name]
            try:
                audit.page = context.new_page()
                audit.page.goto(base + target.path)
                audit.logging_in = target.login
                audit.watch = Render(audit.page, LOGIN_FORM if target.login else target.ready,
                                     PAGE_TIMEOUT)
            except Exception as exc:
                finish(audit, f"could not open {target.path}: {exc!r}")
        for audit in list(active):
            try:
                if audit.step():
                    finish(audit)
            except (Exception, pytest.fail.Exception) as exc:
                finish(audit, str(exc))
        if active:
            active[0].page.wait_for_timeout(250)
    return done


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def a11y_server(tmp_path_factory):
    extra = {
        # Low iteration count: the test logs in twice; the format is the real one.
        "DASHBOARD_EDITOR_PASSWORD_HASH": hash_password(EDITOR_PASSWORD, iterations=1_000),
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        "STREAMLIT_SERVER_RUN_ON_SAVE": "false",
    }
    yield from serve_with(tmp_path_factory.mktemp("a11y"), SHARED_GEO, extra)


@pytest.fixture(scope="module")
def audits(request, browser, a11y_server) -> dict[str, Audit]:  # noqa: F811
    """The audits of every page selected in this run (all of them unless ``-k`` says
    otherwise), done once when the first test asks: a laptop-sized context, then a
    phone-sized one for the ``phone`` targets."""
    selected = list(dict.fromkeys(
        item.callspec.params["name"] for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
        and "name" in item.callspec.params))
    done: dict[str, Audit] = {}
    for viewport, phone in (({"width": 1400, "height": 1000}, False), (PHONE, True)):
        names = [n for n in selected if PAGES[n].phone is phone]
        if not names:
            continue
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
        context.set_default_timeout(15_000)
        try:
            if not done:
                warm = context.new_page()
                warm.goto(a11y_server + "/")  # builds the database; deep links work after
                assert rendered(warm, timeout=2 * PAGE_TIMEOUT) >= 1, "home shows no map"
                warm.close()
            done.update(audit_pages(context, a11y_server, names))
        finally:
            context.close()
    yield done


# -------------------------------------------------------------------------------- test
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violations(name, audits):
    audit = audits[name]
    path = PAGES[name].path
    if audit.error:
        pytest.fail(f"{path} ({name}) could not be audited: {audit.error}", pytrace=False)
    print(f"{name}: {audit.maps} map(s), {len(audit.failing)} serious/critical rule(s), "
          f"other: {', '.join(audit.other) or 'none'}, {audit.seconds:.1f} s")
    for line in audit.skipped:
        print(f"  skipped (known third-party) {line}")
    # axe's html-lang-valid accepts Streamlit's default "en"; the page is Dutch (or French).
    assert audit.lang == PAGES[name].lang, (
        f"{path}: <html lang={audit.lang!r}>, the page is in {PAGES[name].lang!r}")
    assert audit.overflow is not None and audit.overflow <= 0, (
        f"{path}: the page is {audit.overflow} px wider than the "
        f"{'phone' if PAGES[name].phone else 'laptop'} window (it scrolls sideways)")
    if audit.failing:
        pytest.fail(f"{len(audit.failing)} serious/critical axe violation(s) on {path} "
                    f"({name}):\n" + "\n".join(audit.failing), pytrace=False)
