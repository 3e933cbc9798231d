"""Issue 11, finding 6 (Markdown injection), the low finding on ``?stand`` years, and the UI
half of finding 7 (one undrawable section must not take a public page down).

Every test runs the real app (AppTest on ``app.py``) on a private copy of the official
build (real DuckDB, real geodata); data is written through the store's own write path
(``Store.commit_load`` / ``Store.commit_layer``), not through the loaders' validation, so
the pages meet what an older loader or a hand-edited database could hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from dashboard import clock, state
from dashboard.store import Store

from ..conftest import goto, make_env, run_app

EVIL_IND = "[Officieel bericht](https://evil.example) ![x](https://evil.example/x.png)"
EVIL_STAND = "[x](https://evil.example)"
EVIL_SOURCE = "[Officieel bericht](https://evil.example) ![](https://evil.example/p.png)"


@pytest.fixture
def env(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    return built_copy


# ------------------------------------------------------------------ what the page renders
def markdown_texts(at) -> list[tuple[str, str]]:
    """(element type, raw Markdown) of every element whose text Streamlit renders as
    Markdown: markdown, captions, alerts, toasts, headings, metric labels and help,
    widget labels and help, radio options, page-link labels."""
    out = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in ("exception", "code", "text", "json"):
            continue
        for name in ("body", "label", "help"):
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                out.append((kind, value))
        if kind in ("radio", "button_group"):
            out += [(kind, str(o)) for o in getattr(proto, "options", [])
                    if isinstance(o, str)]
    return out


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# remark-gfm links these in the text *after* backslash escapes are resolved.
_AUTOLINK = re.compile(r"(https?://|www\.)[-.\w]|[-.\w+]+@[-\w]+\.[-\w]", re.IGNORECASE)


def live_markdown(body: str) -> list[str]:
    """The link, image and autolink syntax that would render: brackets and angle brackets
    left once every backslash-escaped character is taken out (an escaped character shows
    as itself and starts nothing), and GFM autolink literals in the text as a reader gets
    it (escapes resolved)."""
    rest = _ESCAPED.sub("", body)
    found = [m for m in ("](", "![", "<http", "<www") if m in rest]
    return found + [m.group(0) for m in _AUTOLINK.finditer(_ESCAPED.sub(r"\1", body))]


def assert_nothing_renders(at, where: str) -> int:
    """Every rendered text that echoes the hostile value shows it inert; returns how many
    texts echo it (a test must see at least one, or it looked at nothing)."""
    echoed = [(k, b) for k, b in markdown_texts(at) if "evil" in b]
    bad = [(k, b, live_markdown(b)) for k, b in echoed if live_markdown(b)]
    assert not bad, f"{where}: Markdown link/image syntax rendered live: {bad}"
    return len(echoed)


MARKDOWNISH = hst.lists(hst.sampled_from(
    list("[]()!<>*_~`$|:@&#=+-./\\ \n1aAwh") + ["https://", "www.", "evil.example", ":red[",
                                               "&#91;", "1. ", "__", "**", "a@b.be"]),
    max_size=30).map("".join)


@given(MARKDOWNISH)
def test_finding_06_markdown_text_leaves_nothing_live(text):
    """The escape the pages use: nothing in its output can render as a link, image or
    autolink, and a reader sees the value itself (escapes resolved, word joiners aside)."""
    from dashboard.safety import markdown_text

    out = markdown_text(text)
    assert not live_markdown(out), (text, out)
    shown = _ESCAPED.sub(r"\1", out).replace("\u2060", "")
    assert shown == re.sub(r"\n+", " ", text).lstrip(), (text, out)


@pytest.mark.parametrize("page, params", [
    ("speerpunt-5", {"ind": EVIL_IND, "niveau": EVIL_IND, "gebied": EVIL_IND,
                              "jaar": EVIL_IND}),
    ("app_pages/benchmark.py", {"ind": EVIL_IND}),
    ("app_pages/presentation.py", {"presentatie": "1", "ind": EVIL_IND}),
    ("app_pages/presentation.py", {"presentatie": "1", "sp": EVIL_IND}),
    # ``stand`` is read by the router on the first run (its notice shows once): the
    # default page, one run.
    (None, {"stand": EVIL_STAND}),
    (None, {"stand": EVIL_STAND + " " + EVIL_IND}),
], ids=["sp5-ind", "benchmark-ind", "presentation-ind", "presentation-sp", "stand",
        "stand-ind"])
def test_finding_06_url_values_in_notices_are_escaped(env, page, params):
    at = run_app(page, params)
    assert assert_nothing_renders(at, f"{page}?{params}") >= 1, \
        "the page did not echo the value at all: the test looked at nothing"


def test_finding_06_loaded_source_strings_are_escaped(env):
    """A load whose ``bron`` holds Markdown: the open-data page lists it among the sources
    of its figures, as text (no link, no image)."""
    with Store(env.db_path) as store:
        batch = {"id": "load-md-source", "loaded_at": clock.to_utc(clock.now_local())
                 - dt.timedelta(minutes=1), "who": "test", "file_name": "bron.csv",
                 "sha256": hashlib.sha256(b"bron").hexdigest()}
        store.commit_load(batch, pd.DataFrame({
            "indicator_id": ["laadpunten"], "area_code": ["34022"], "period": [2025],
            "value": [700.0], "source": [EVIL_SOURCE], "note": [""]}))
    at = run_app("app_pages/opendata.py")
    assert assert_nothing_renders(at, "open data") >= 1


# ------------------------------------------------------------------- ?stand year bounds
def test_finding_low_stand_year_bounds(env):
    now = clock.now_local()
    for raw in ("0001-01-01T00:00:00", "0001-01-01", "1999-12-31T23:00:00"):
        moment, notice = state.parse_as_of(raw, now)
        assert moment is None and notice and str(state.AS_OF_MIN_YEAR) in notice, raw
    moment, notice = state.parse_as_of("2024-03-01", now)
    assert moment == dt.datetime(2024, 3, 1, 23, 59, 59) and notice is None

    # The app: a notice, the current figures (not pinned), and every query works, on the
    # first page and on the next one of the session.
    at = run_app(None, {"stand": "0001-01-01T00:00:00"})
    assert any("2000" in w.value and "0001" in w.value for w in at.warning), \
        [w.value for w in at.warning]
    assert at.session_state["as_of"] is None
    goto(at, "speerpunt-5")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value.startswith("Speerpunt 5")
    assert not any("Vastgepinde stand" in i.value for i in at.info)

    # The CLI refuses it with a message (exit 2), no traceback.
    out = env.db_path.parent.parent / "export"
    proc = subprocess.run([sys.executable, "-m", "dashboard", "export", "--out", str(out),
                           "--stand", "0001-01-01T00:00:00"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "2000" in proc.stderr, proc.stderr[-2000:]
    assert "0001-01-01T00:00:00" in proc.stderr  # quoted as typed, not Markdown-escaped


# ------------------------------------------------- finding 7: one section degrades alone
NOTICE = "Dit onderdeel kan nu niet getoond worden"


def _replace_layer(settings, layer: str, extra: dict) -> None:
    """The layer as built plus one feature, written through ``Store.commit_layer``."""
    with Store(settings.db_path) as store:
        current = store.layer_features(layer)
        features = current[["feature_id", "name", "area_code", "properties", "geometry"]]
        features = pd.concat([features, pd.DataFrame([extra])], ignore_index=True)
        store.commit_layer({"id": f"load-bad-{layer}", "loaded_at": clock.to_utc(
            clock.now_local()) - dt.timedelta(minutes=1), "who": "test",
            "file_name": f"{layer}.geojson", "sha256": "0" * 64}, layer, features)


def _sequence(at) -> list[tuple[str, str]]:
    """(type, text) of the page's subheaders, headers, boxes (expanders, by label) and
    warnings, in page order. A section title written as Markdown with its intro
    (``### title``) counts as a subheader."""
    out = []
    for n in at._tree:
        kind = getattr(n, "type", "")
        if kind == "expander":
            out.append(("box", n.label))
        elif kind in ("header", "subheader", "warning"):
            out.append((kind, n.proto.body))
        elif kind == "markdown" and n.proto.body.startswith("### "):
            out.append(("subheader", n.proto.body.splitlines()[0][4:]))
    return out


BAD_FEATURES = {
    # (A polygon project, the first example, is drawn now: as a point inside it.)
    "negative-area": ("ontharding_project", "Ontharde oppervlakte", {
        "feature_id": "OP-bad", "name": "Plein", "area_code": "34022A00-",
        "properties": json.dumps({"m2": -1200, "jaar": 2023}),
        "geometry": json.dumps({"type": "Point", "coordinates": [3.2655, 50.8275]})}),
    "negative-count": ("laadpunten", "Laadpunten", {
        "feature_id": "LP-bad", "name": "Laadlocatie min", "area_code": "34022A00-",
        "properties": json.dumps({"aantal": -4, "vermogen_kw": 11}),
        "geometry": json.dumps({"type": "Point", "coordinates": [3.2655, 50.8275]})}),
    "null-count": ("laadpunten", "Laadpunten", {
        "feature_id": "LP-null", "name": "Laadlocatie leeg", "area_code": "34022A00-",
        "properties": json.dumps({"aantal": None, "vermogen_kw": 11}),
        "geometry": json.dumps({"type": "Point", "coordinates": [3.2655, 50.8275]})}),
}


@pytest.mark.parametrize("case", list(BAD_FEATURES))
def test_finding_07_bad_feature_degrades_one_section(env, case):
    layer, section, feature = BAD_FEATURES[case]
    _replace_layer(env, layer, feature)
    keys = {"Warmtenet": "warmtenet", "Ontharde oppervlakte": "ontharding",
            "Laadpunten": "laadpunten"}
    # One map section is mounted at a time: open the broken one (asserts: no exception).
    at = run_app("speerpunt-5", {"kaart": keys[section]})
    seq = _sequence(at)
    titles = [text for kind, text in seq if kind == "subheader"]
    assert section in titles, titles
    # The area profile (no area chosen: its list in a closed box) follows the section.
    assert [text for kind, text in seq if kind == "box" and text.startswith("Gebiedsprofiel")]
    # The notice sits in the broken section: after its title, before the next part.
    start = seq.index(("subheader", section))
    nxt = next(i for i in range(start + 1, len(seq))
               if seq[i][0] in ("subheader", "header")
               or (seq[i][0] == "box" and seq[i][1].startswith("Gebiedsprofiel")))
    notices = [i for i, (kind, text) in enumerate(seq) if kind == "warning" and NOTICE in text]
    assert notices and all(start < i < nxt for i in notices), (notices, start, nxt, seq)
    # The rest of the page still draws: the table, the chart (on request) ...
    at.session_state["sp5_part"] = "Alle indicatoren"  # the indicators part (its tab)
    at.session_state["sp5_detail"] = True  # the chart, on request
    at.run()
    assert not at.exception
    assert [m for m in at.markdown if m.value.startswith("| Indicator |")]
    assert [n for n in at._tree if getattr(n, "type", "") == "plotly_chart"], \
        "the indicator chart is missing"
    # ... and the other sections still draw their maps (their text summaries).
    for other in set(keys) - {section}:
        at = run_app("speerpunt-5", {"kaart": keys[other]})
        summaries = [c.value for c in at.caption if c.value.startswith("Samenvatting:")]
        assert len(summaries) == 1, (other, summaries)
        assert not [w for w in at.warning if NOTICE in w.value], other


@settings(deadline=None)  # the first example imports the UI package
@given(MARKDOWNISH, MARKDOWNISH)
def test_the_plain_indicator_table_keeps_cells_literal(name, goal):
    """The spearhead page's table at a glance (widgets.markdown_table): a catalog text with
    pipes, line breaks or link syntax stays one cell of one row and renders nothing."""
    from dashboard.ui.widgets import markdown_table

    table = markdown_table(["Indicator", "Doelen"], [[f"evil {name}", goal], ["b", "c"]])
    lines = table.splitlines()
    assert len(lines) == 4, table  # header, rule, two rows: no line break got through
    for line in lines[2:]:
        cells = re.split(r"(?<!\\)\|", line)
        assert len(cells) == 4, line  # outer pipes + two cells: no pipe split a cell
    assert not live_markdown(table), table


@settings(deadline=None)
@given(MARKDOWNISH, MARKDOWNISH)
def test_a_section_heading_keeps_title_and_intro_literal(title, intro):
    """widgets.heading (a map section's title and intro from the city configuration, one
    Markdown element): the title stays one heading line, neither part renders a link."""
    from dashboard.ui.widgets import heading

    out = heading(f"evil {title}", f"x {intro}")
    head, _, rest = out.partition("\n\n")
    assert head.startswith("### ") and "\n" not in head, out
    assert not live_markdown(out), out
