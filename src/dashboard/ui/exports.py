"""Export buttons (Streamlit glue): CSV of a chart or a map, PNG of a map, PDF reports.

PNG of a chart: plotly's own camera button in the chart's toolbar (drawn in the browser,
file name set by :data:`CHART_CONFIG`). Everything that needs chromium (map PNG, PDF) is
made on request, because it takes seconds; the result is kept in the session per view so
that the download button survives reruns.
"""

from __future__ import annotations


import folium
import pandas as pd
import streamlit as st

from .. import overview, report, safety
from . import appstate
from ..i18n import t
from ..render import MAX_CONCURRENT_RENDERS, RenderBusy, RenderError
from ..safety import markdown_text as md
from ..tables import format_number


def _busy_text() -> str:
    """Shown when every render slot of the server stayed taken (render.RenderBusy)."""
    return t("De server is bezig met andere exports (hoogstens {n} tegelijk). Probeer het "
             "over een halve minuut opnieuw.", n=MAX_CONCURRENT_RENDERS)


def chart_config(name: str) -> dict:
    """Plotly config: the toolbar's camera button saves a PNG named after the chart."""
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": "png", "filename": _slug(name), "scale": 2}}


def _slug(text: str) -> str:
    return safety.file_slug(text, "export")


def csv_button(frame: pd.DataFrame, name: str, key: str) -> None:
    """A CSV download of ``frame``, written when the visitor clicks (Streamlit's deferred
    data): a rerun neither formats the file nor keeps a copy per session in memory."""
    st.download_button(t("CSV van deze gegevens"), lambda: report.to_csv(frame),
                       file_name=f"{_slug(name)}.csv", mime="text/csv", key=key,
                       help=t("De getoonde cijfers als CSV (UTF-8), te openen in Excel."))


def chart_data(version: str, indicator_id: str, key: str) -> None:
    """Under a chart: a sentence saying what it shows, its data as a table on request,
    and that data as CSV."""
    ind = appstate.indicator(version, indicator_id)
    city = appstate.city_measurements(version)
    goals = appstate.goals(version)
    series = overview.city_series(ind, city)
    g = goals[goals["indicator_id"] == indicator_id]
    # The sentence goes to Markdown: the catalog's name and unit are escaped on the way in.
    st.caption(report.chart_summary({**ind, "name": md(ind["name"]), "unit": md(ind["unit"])},
                                    series, g))
    frame = report.chart_table(ind, series, g)
    if st.toggle(t("Toon de cijfers van de grafiek"), key=f"{key}_table"):
        shown = frame.copy()
        shown[t("waarde")] = [format_number(v) for v in shown[t("waarde")]]
        st.dataframe(shown, hide_index=True, width="stretch")
    csv_button(frame, ind["name"], key)


def map_exports(m: folium.Map, version: str, indicator_id: str, values: dict,
                names: dict, year: int | None, illustrative: bool, key: str) -> None:
    """CSV of the map's values, and a PNG of the map made on request."""
    ind = appstate.indicator(version, indicator_id)
    c1, c2 = st.columns(2)
    with c1:
        csv_button(report.map_table(ind, values, names, year, illustrative),
                   f"{ind['name']}-{year}", key=f"{key}_csv")
    with c2:
        slot = f"_png_{key}"
        stamp = (version, indicator_id, year)
        held = st.session_state.get(slot)
        if held and held[0] == stamp:
            st.download_button(t("Download PNG"), held[1], file_name=f"{_slug(ind['name'])}"
                               f"-{year}.png", mime="image/png", key=f"{key}_png_dl")
        elif st.button(t("Maak een PNG van deze kaart"), key=f"{key}_png"):
            with st.spinner(t("De kaart wordt getekend …")):
                try:
                    png = report.map_png(appstate.fresh(m), appstate.app().settings)
                except RenderBusy:
                    st.warning(_busy_text())
                    return
                except RenderError as exc:
                    st.error(t("De PNG kon niet gemaakt worden: {reason}", reason=md(exc)))
                    return
            st.session_state[slot] = (stamp, png)
            st.rerun()


def report_button(spearhead_ids: list[int] | None, key: str) -> None:
    """Make the PDF report of some spearheads (None: the whole board) for this view."""
    version = appstate.data_version()
    slot = f"_pdf_{key}"
    stamp = (version, tuple(spearhead_ids or ()))
    held = st.session_state.get(slot)
    name = "rapport-" + ("-".join(str(s) for s in spearhead_ids) if spearhead_ids
                         else "alle-speerpunten")
    if held and held[0] == stamp:
        st.download_button(t("Download het PDF-rapport"), held[1], file_name=f"{name}.pdf",
                           mime="application/pdf", key=f"{key}_dl", type="primary")
        return
    if st.button(t("Maak een PDF-rapport"), key=key,
                 help=t("Titelblad met de stand van de cijfers, statusoverzicht en per "
                        "indicator grafiek, kaart en bron; voor het vergaderdossier.")):
        with st.spinner(t("Het rapport wordt gemaakt; dit duurt enkele seconden per "
                          "speerpunt …")):
            try:
                data = report.build_pdf(appstate.board(), version, spearhead_ids)
            except RenderBusy:
                st.warning(_busy_text())
                return
            except RenderError as exc:
                st.error(t("Het rapport kon niet gemaakt worden: {reason}", reason=md(exc)))
                return
        st.session_state[slot] = (stamp, data)
        st.rerun()
