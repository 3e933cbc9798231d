"""Small shared Streamlit pieces used by several pages (rendering only).

HTML pieces (badges, count strips, bars) go to ``st.html`` (sanitised once more by the
browser's DOMPurify), not to ``st.markdown(unsafe_allow_html=True)``: a page without raw
HTML in Markdown does not fetch and run the raw-HTML Markdown parser.

Text from data (catalog, geodata, loads, the URL) reaches Markdown only through
:func:`md` (``safety.markdown_text``): the Dutch messages keep their own Markdown, the
values filled into them are shown as written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import quote

import streamlit as st

from . import appstate
from ..i18n import t
from ..maps import BASEMAPS, basemap_label, quality_note
from ..safety import markdown_text as md

# Characters an address keeps as they are; everything else (spaces, ``<`` ``>`` ``\\``,
# line breaks, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def link(text, url) -> str:
    """A Markdown link to a configured address, safe for any text and address: the text is
    escaped, the address must be http(s) (else the text alone is returned) and goes in
    ``<…>`` with every character that could end it percent-encoded."""
    target = str(url or "").strip()
    if not target.lower().startswith(("https://", "http://")):
        return md(text)
    return f"[{md(text)}](<{quote(target, safe=_URL_SAFE)}>)"


def code(text) -> str:
    """``text`` as an inline Markdown code span (shown literally, whatever it holds): the
    fence is one backtick longer than the longest run of backticks in it."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# Official SDG colours (UN), with white text; the number is always written out too.
SDG_COLOURS = {
    1: "#E5243B", 2: "#DDA63A", 3: "#4C9F38", 4: "#C5192D", 5: "#FF3A21", 6: "#26BDE2",
    7: "#FCC30B", 8: "#A21942", 9: "#FD6925", 10: "#DD1367", 11: "#FD9D24", 12: "#BF8B2E",
    13: "#3F7E44", 14: "#0A97D9", 15: "#56C02B", 16: "#00689D", 17: "#19486A",
}


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _text_colour(background: str) -> str:
    """White or near-black text, whichever contrasts more with the background (WCAG)."""
    lum = _luminance(background)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance("#111111") + 0.05)
    return "#fff" if on_white >= on_dark else "#111"


def sdg_badges(sdgs) -> str:
    """HTML badges 'SDG n' (escaped numbers only; white or dark text, whichever contrasts
    more with the official colour)."""
    if len(sdgs) == 0:
        return ('<span style="font-size:0.85em">'
                + html.escape(t("SDG's: niet vermeld in de tekstversie van de nota"), quote=False)
                + "</span>")
    out = []
    for n in sdgs:
        n = int(n)
        label = html.escape(t("SDG {n}", n=n))
        colour = SDG_COLOURS.get(n, "#555")
        text = _text_colour(colour)
        out.append(
            f'<span style="background:{colour};color:{text};border-radius:4px;'
            f'padding:1px 6px;margin:0 4px 4px 0;font-size:0.85em;font-weight:600;'
            f'display:inline-block;white-space:nowrap">'
            f"{label}</span>"
        )
    return "".join(out)


def grid(count: int, per_row: int) -> Iterator:
    """Column containers for ``count`` items, ``per_row`` to a row, in reading order.

    One ``st.columns`` per row rather than one for all items: on a phone Streamlit stacks
    columns one under the other, and items dealt round-robin over a single set of columns
    would read 1, 4, 2, 5, 3, 6 there.
    """
    row: list = []
    for i in range(count):
        if i % per_row == 0:
            row = st.columns(per_row)
        yield row[i % per_row]


METRIC_WIDTH = 150   # px: four on a laptop line, two on a phone


def metric_row(items: list[tuple[str, object]]) -> None:
    """A row of small metrics (label, value) that wraps: two to a line on a phone instead
    of one under the other, as ``st.columns`` would stack them."""
    row = st.container(horizontal=True, gap="medium")
    for label, value in items:  # labels are code's (status and judgement words)
        row.metric(label, value, width=METRIC_WIDTH)


def count_strip(items: list[tuple[str, int]]) -> str:
    """A wrapping row of counts (label above, number large), as HTML for ``st.html``:
    what a row of ``st.metric`` shows, without the metric's own script bundle in the
    browser. Labels are escaped; counts are integers."""
    boxes = "".join(
        f'<div style="min-width:{METRIC_WIDTH}px;flex:0 1 auto" role="group" '
        f'aria-label="{html.escape(str(label))}: {int(value)}">'
        f'<div style="font-size:0.875rem">{html.escape(str(label), quote=False)}</div>'
        f'<div style="font-size:2.25rem;line-height:1.2">{int(value)}</div></div>'
        for label, value in items)
    return f'<div style="display:flex;flex-wrap:wrap;gap:1rem">{boxes}</div>'


def small_print(text: str) -> str:
    """A paragraph in caption size, as HTML for ``st.html`` (the text escaped; the colour
    stays the body's, so its contrast is the page's)."""
    return ('<p style="font-size:0.875rem;margin:0.75rem 0 0">'
            + html.escape(str(text), quote=False) + "</p>")


def on_request(label: str, key: str, expanded: bool = False):
    """A closed box whose content is built only once the visitor opens it (Streamlit's
    stateful expander: ``with on_request(...) as box: if box.open: ...``). Its open state
    is in ``st.session_state[key]``; a first visit sends and mounts nothing of it."""
    return st.expander(label, expanded=expanded, key=key, on_change="rerun")


def startup_notices() -> None:
    """Tell the user when the map is schematic/approximate or official data failed to load."""
    a = appstate.app()
    for problem in a.problems:
        st.error(t("Officiële geodata konden niet geladen worden: {problem}",
                   problem=md(problem)))
    if a.manifest.get("source") == "schematic":
        st.warning(t(
            "Er zijn geen officiële geodata geladen: de kaarten tonen een **schematische** "
            "indeling. Laad de officiële wijken met één commando: "
            "`python -m dashboard geodata --from ../shared/geo` (of zet "
            "`DASHBOARD_GEODATA_DIR`) en herstart de app."
        ))


BASEMAP_KEY = "basemap"  # the visitor's background map, one for every map of the session


def basemap() -> str:
    """The background map the visitor chose (the settings' default until they choose)."""
    chosen = st.session_state.get(BASEMAP_KEY)
    return chosen if chosen in BASEMAPS else appstate.app().settings.tiles


def basemap_choice() -> str:
    """The background-map choice (radio buttons: the board's choices share one script
    bundle). Placed with a map's own figures, built on request: a first visit sends
    nothing of it. The choice holds for every map of the session."""
    st.session_state[BASEMAP_KEY] = basemap()
    return st.radio(t("Achtergrondkaart"), list(BASEMAPS), key=BASEMAP_KEY, horizontal=True,
                    format_func=basemap_label, persist_state="session",
                    help=t("Zonder internet blijft 'geen achtergrond' de enige die laadt; "
                           "de gebieden blijven altijd leesbaar."))


def map_source(level: str) -> str:
    """Attribution and geometry-quality note of a map, as Markdown (data escaped)."""
    note = quality_note(appstate.geometry_quality(level))
    text = t("Bron kaart: {attribution}", attribution=md(appstate.attribution()))
    return text + (f" — {note}" if note else "")


def map_caption(level: str) -> None:
    """Attribution and geometry-quality note under a map."""
    st.caption(map_source(level))


def heading(title: str, text: str | None = None) -> str:
    """A section title (level 3, as ``st.subheader``) and its intro as one Markdown
    element: one node fewer for the browser on every update. Both are data (catalog or
    configuration texts) and are escaped."""
    title = " ".join(md(title).split())  # one line: a line break would end the heading
    return f"### {title}" + (f"\n\n{md(text)}" if text else "")


def status_line(counts: dict) -> str:
    """'✔ 3 op koers · ▲ 1 achter · …' (icon + word + number, never colour alone)."""
    from ..status import STATUS_ICON, STATUS_ORDER, status_label

    parts = [f"{STATUS_ICON[c]} {int(counts.get(c, 0))} {status_label(c)}" for c in STATUS_ORDER
             if c != "no_goal"]
    return " · ".join(parts)


def total_counts(cards: list[dict]) -> dict:
    """The status counts of all spearhead cards added up."""
    out: dict = {}
    for card in cards:
        for code, n in card["counts"].items():
            out[code] = out.get(code, 0) + int(n)
    return out


def document_list(docs: list[dict]) -> str:
    """Markdown list of source documents: **title** – *subtitle* (publisher, date): text."""
    lines = []
    for d in docs:
        head = f"**{md(d['title'])}**" + (f" – *{md(d['subtitle'])}*" if d.get("subtitle")
                                          else "")
        meta = ", ".join(md(x) for x in (d.get("publisher"), d.get("date")) if x)
        lines.append(f"- {head}" + (f" ({meta})" if meta else "")
                     + (f": {md(d['description'])}" if d.get("description") else ""))
    return "\n".join(lines) if lines else t("Geen brondocumenten ingesteld.")


def choose() -> str:
    """The placeholder of an empty select box, in the page's language (Streamlit's own
    reads "Choose an option" in every language)."""
    return t("Kies een optie")


def choose_many() -> str:
    """The placeholder of an empty multiselect, in the page's language."""
    return t("Kies een of meer opties")


def markdown_table(columns: list[str], rows: list[list]) -> str:
    """A Markdown table (an HTML ``<table>`` with header cells on screen: read by screen
    readers as a table, printed as one, and no data-grid bundle for the browser to fetch);
    every header and cell is escaped as literal text."""
    head = "| " + " | ".join(md(c) for c in columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(md(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])
