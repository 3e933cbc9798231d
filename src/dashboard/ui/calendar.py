"""The data calendar in the editor: which figures are late or due soon (Streamlit glue;
the rule is in :mod:`dashboard.datacalendar`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import clock, datacalendar, i18n
from . import appstate
from ..i18n import t

STATE_LABEL = {
    "late": t("te laat", lang="nl"),
    "due_soon": t("binnenkort verwacht", lang="nl"),
    "on_time": t("op tijd", lang="nl"),
    "unknown": t("onbekend", lang="nl"),
}


def due_table(version: str, today=None) -> pd.DataFrame:
    """Late and due-soon figures, latest first, column names in the current language."""
    today = today or clock.now_local().date()
    cal = datacalendar.calendar(appstate.indicators(version),
                                appstate.city_measurements(version), today)
    cal = cal[cal["state"].isin(["late", "due_soon"])]
    return pd.DataFrame({
        t("Indicator"): cal["name"],
        t("Speerpunt"): cal["spearhead_id"],
        t("Ritme"): [t(datacalendar.CADENCE_LABEL[c]) for c in cal["cadence"]],
        t("Laatste periode"): cal["last_period"].astype("Int64"),
        t("Verwachte periode"): cal["next_period"].astype("Int64"),
        t("Verwacht op"): [i18n.fmt_date(d) for d in cal["expected_on"]],
        t("Toestand"): [t(STATE_LABEL[s]) for s in cal["state"]],
    })


def due_section(version: str) -> None:
    """The editor's list of what is due or late."""
    table = due_table(version)
    late = int((table[t("Toestand")] == t(STATE_LABEL["late"])).sum()) if len(table) else 0
    with st.expander(t("Verwachte cijfers: {late} te laat, {soon} binnenkort",
                       late=late, soon=len(table) - late), expanded=late > 0):
        st.caption(t("Per indicator het ritme van de bron en wanneer het volgende cijfer "
                     "verwacht wordt (einde van de periode plus de publicatievertraging)."))
        if table.empty:
            st.write(t("Geen cijfers te laat of binnenkort verwacht."))
        else:
            st.dataframe(table, hide_index=True, width="stretch")
