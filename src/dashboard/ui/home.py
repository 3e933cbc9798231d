"""Overview: the vision, six spearhead cards with status counts, one city map."""

from __future__ import annotations

import streamlit as st

from .. import i18n
from . import appstate, exports, mapview, widgets, navigation
from ..i18n import t
from .widgets import md


def page() -> None:
    """The overview: the vision, a card per spearhead with its status counts, the city map."""
    a = appstate.app()
    version = appstate.data_version()
    city = a.settings.city

    st.title(md(i18n.content("city", city.nis_code, "vision", city.vision)))
    if city.caption:
        st.caption(md(i18n.content("city", city.nis_code, "caption", city.caption)))
    widgets.startup_notices()

    st.header(t("Zes speerpunten"))
    cards = appstate.spearhead_cards(version)
    st.markdown(t("Alle indicatoren: {counts}",
                  counts=widgets.status_line(widgets.total_counts(cards))))
    st.caption(t("Een indicator wordt pas beoordeeld vanaf zijn tweede meting (nulmeting: één "
                 "meting). De regels staan op elke speerpuntpagina."))
    for card, column in zip(cards, widgets.grid(len(cards), 3)):
        with column.container(border=True):
            st.subheader(f"{card['id']}. {md(card['name'])}")
            st.html(widgets.sdg_badges(card["sdgs"]))
            st.markdown(widgets.status_line(card["counts"]))
            for line in card["headlines"]:
                st.markdown(f"- {line}")
            st.page_link(navigation.spearhead_link(card["id"]), label=t("Open dit speerpunt"),
                         icon=":material/arrow_forward:")

    st.header(t("Wijken van {city}",
                 city=md(i18n.content("city", city.nis_code, "name", city.name))))
    shown = appstate.home_map_indicator(version)
    if shown is not None:
        st.write(t("Beweeg over een wijk voor haar naam en de laatste waarde van **{indicator}** "
                   "(illustratieve wijkcijfers, geen officiële reeks).",
                   indicator=md(shown["name"])))
    else:
        st.write(t("Beweeg over een wijk voor haar naam."))
    mapview.show_map(appstate.home_map(), ("home", appstate.data_version()), key="home_map",
                     height=480)
    widgets.map_caption("wijk")

    st.header(t("Voor het vergaderdossier"))
    st.write(t("Een PDF-rapport van het hele bord: titelblad met de stand van de cijfers, "
               "statusoverzicht en per indicator grafiek, kaart en bron."))
    exports.report_button(None, key="home_pdf")
