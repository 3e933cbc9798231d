"""Small shared Streamlit pieces used by several pages (rendering only)."""

from __future__ import annotations

import html

import streamlit as st

from . import appstate
from .maps import QUALITY_NOTES

# Official SDG colours (UN), with white text; the number is always written out too.
SDG_COLOURS = {
    1: "#E5243B", 2: "#DDA63A", 3: "#4C9F38", 4: "#C5192D", 5: "#FF3A21", 6: "#26BDE2",
    7: "#FCC30B", 8: "#A21942", 9: "#FD6925", 10: "#DD1367", 11: "#FD9D24", 12: "#BF8B2E",
    13: "#3F7E44", 14: "#0A97D9", 15: "#56C02B", 16: "#00689D", 17: "#19486A",
}


def sdg_badges(sdgs) -> str:
    """HTML badges 'SDG n' (escaped numbers only; dark text where the colour is light)."""
    if len(sdgs) == 0:
        return ('<span style="font-size:0.85em">SDG\'s: niet vermeld in de tekstversie van '
                "de nota</span>")
    out = []
    for n in sdgs:
        n = int(n)
        colour = SDG_COLOURS.get(n, "#555")
        text = "#111" if n in (7, 11, 2, 6) else "#fff"
        out.append(
            f'<span style="background:{colour};color:{text};border-radius:4px;'
            f'padding:1px 6px;margin:0 4px 4px 0;font-size:0.85em;font-weight:600;'
            f'display:inline-block;white-space:nowrap">'
            f"SDG {html.escape(str(n))}</span>"
        )
    return "".join(out)


def startup_notices() -> None:
    """Tell the user when the map is schematic/approximate or official data failed to load."""
    a = appstate.app()
    for problem in a.problems:
        st.error(f"Officiële geodata konden niet geladen worden: {problem}")
    if a.manifest.get("source") == "schematic":
        st.warning(
            "Er zijn geen officiële geodata geladen: de kaarten tonen een **schematische** "
            "indeling. Laad de officiële wijken met één commando: "
            "`python -m dashboard geodata --from ../shared/geo` (of zet "
            "`DASHBOARD_GEODATA_DIR`) en herstart de app."
        )


def map_caption(level: str) -> None:
    """Attribution and geometry-quality note under every map."""
    quality = appstate.geometry_quality(level)
    note = QUALITY_NOTES.get(quality)
    st.caption(f"Bron kaart: {appstate.attribution()}" + (f" — {note}" if note else ""))


def status_line(counts: dict) -> str:
    """'✔ 3 op koers · ▲ 1 achter · …' (icon + word + number, never colour alone)."""
    from .status import STATUS_ICON, STATUS_LABEL, STATUS_ORDER

    parts = [f"{STATUS_ICON[c]} {int(counts.get(c, 0))} {STATUS_LABEL[c]}" for c in STATUS_ORDER
             if c != "no_goal"]
    return " · ".join(parts)
