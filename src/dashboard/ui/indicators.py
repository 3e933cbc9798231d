"""Every indicator of a spearhead with its goals, comparison and source."""

from __future__ import annotations

import streamlit as st

from .. import tables
from . import appstate, widgets
from ..i18n import t, tn


def page() -> None:
    """Every indicator of a spearhead with its goals, comparison and source."""
    version = appstate.data_version()
    summary = appstate.spearhead_summary(version)

    st.title(t("Indicatoren en doelen"))
    st.write(t("Alle gekwantificeerde doelen en uitgangscijfers uit de brondocumenten, per "
               "speerpunt, met hun bron (document en hoofdstuk)."))
    names = dict(zip(summary["id"], summary["name"]))
    choice = st.selectbox(t("Speerpunt"), options=list(names),
                          format_func=lambda i: f"{i}. {names[i]}",
                          placeholder=widgets.choose())
    row = summary[summary["id"] == choice].iloc[0]
    st.html(widgets.sdg_badges(row["sdgs"]))
    table = tables.indicator_table(appstate.indicators(version, int(choice)),
                                   appstate.goals(version))
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(tn("{n} indicator. 'Niveaus' zegt op welk gebiedsniveau een indicator bestaat; "
                  "wijk- en sectorcijfers zijn voorlopig illustratief.",
                  "{n} indicatoren. 'Niveaus' zegt op welk gebiedsniveau een indicator bestaat; "
                  "wijk- en sectorcijfers zijn voorlopig illustratief.", len(table)))
