"""SDGs: which spearheads and indicators serve each goal, and how they stand (roll-up rule
in dashboard.sdg)."""

from __future__ import annotations

import html

import streamlit as st

from .. import sdg, state
from . import appstate, widgets, navigation
from ..i18n import t, tn
from ..status import STATUS_ICON, status_label
from .widgets import md


CHOICE_KEY = "sdg_choice"
URL_PARAM = state.SDG_PARAM


def badge(number: int) -> str:
    """The SDG's coloured badge (contrast-chosen text colour) and its escaped name."""
    return (widgets.sdg_badges([number]) + " <strong>" + html.escape(sdg.sdg_name(number))
            + "</strong>")


def page() -> None:
    """The 17 SDGs: which spearheads and indicators serve each, and how they stand."""
    version = appstate.data_version()
    spearheads = appstate.spearheads(version)
    indicators = appstate.indicators(version)
    summaries = sdg.rollup(spearheads, indicators, appstate.statuses(version))
    _intro(spearheads, indicators)
    _grid(summaries)
    _detail(summaries, dict(zip(spearheads["id"].astype(int), spearheads["name"])))


def _intro(spearheads, indicators) -> None:
    """Title, where the links come from, what is not linked, and the roll-up rule."""
    st.title(t("Duurzame ontwikkelingsdoelen (SDG's)"))
    st.write(t("Welke speerpunten en indicatoren dragen bij aan elk van de 17 duurzame "
               "ontwikkelingsdoelen van de Verenigde Naties, en hoe staan hun cijfers ervoor?"))
    st.caption(t("Bron van de koppeling: {sources}. Een speerpunt hoort bij een SDG wanneer de "
                 "nota bij dat speerpunt het icoon van die SDG toont; een indicator hoort bij de "
                 "SDG's die de catalogus ervoor vermeldt (een deel van die van zijn speerpunt). "
                 "Het bord voegt zelf geen koppelingen toe.",
                 sources="; ".join(map(md, sdg.sources(indicators))) or "—"))
    missing_sp, missing_ind = sdg.unlinked(spearheads, indicators)
    if missing_sp:
        st.info(t("Bij speerpunten {spearheads} toont de tekstversie van de nota geen SDG-iconen. "
                  "Hun {n} indicatoren zijn daarom aan geen enkele SDG gekoppeld en tellen hier "
                  "niet mee; dat betekent niet dat ze niet bijdragen.",
                  spearheads=", ".join(str(i) for i in missing_sp), n=missing_ind))
    with st.expander(t("Hoe wordt de samenvatting per SDG bepaald?")):
        st.markdown(t(
            "- Elke indicator heeft een status: laatste stadscijfer tegenover het doelpad "
            "(zie de speerpuntpagina's).\n"
            "- Per SDG tellen we de indicatoren per status; een indicator die bij meer SDG's "
            "hoort, telt bij elk ervan.\n"
            "- **Samengevat = de mediaan** van de beoordeelde indicatoren (op koers, achter, ver "
            "achter), bij gelijke stand de slechtste van de twee middelste. Minstens de helft "
            "van de beoordeelde indicatoren staat dus op die status of slechter.\n"
            "- Waarom geen 'slechtste telt': een SDG met tientallen indicatoren zou dan door één "
            "enkele indicator 'ver achter' krijgen, wat de andere ook doen. De tellingen per "
            "status staan er altijd naast, zodat een indicator die ver achter staat zichtbaar "
            "blijft.\n"
            "- Indicatoren zonder cijfer of zonder doel tellen niet mee in de samenvatting. Is "
            "er geen enkele beoordeelde indicator, dan zegt de samenvatting waarom: geen "
            "gegevens, geen doel of geen indicatoren."))


def _grid(summaries) -> None:
    """A card per SDG with its counts and roll-up (or as a table)."""
    st.header(t("De 17 SDG's"))
    for s, column in zip(summaries, widgets.grid(len(summaries), 3)):
        with column.container(border=True):
            st.html(badge(s.number))
            if s.indicator_count:
                st.markdown(tn("{n} indicator · speerpunt {spearheads}",
                               "{n} indicatoren · speerpunt {spearheads}", s.indicator_count,
                               spearheads=", ".join(str(k) for k in s.spearhead_ids)))
                st.markdown(sdg.counts_text(s.counts))
                st.markdown(sdg.rollup_text(s))
            else:
                st.markdown(t("Geen indicatoren op dit bord."))
                if s.spearheads_without_indicator:
                    st.caption(t("De nota toont dit SDG-icoon bij speerpunt {spearheads}.",
                                 spearheads=", ".join(str(k) for k in
                                                      s.spearheads_without_indicator)))
    if st.toggle(t("Toon als tabel"), key="sdg_table"):
        st.dataframe(sdg.overview_table(summaries), hide_index=True, width="stretch")


def _detail(summaries, sp_names: dict) -> None:
    """The chosen SDG (seeded from the link): its spearheads and indicators."""
    by_number = {s.number: s for s in summaries}
    st.header(t("Per SDG"))
    if CHOICE_KEY not in st.session_state:
        first = next((s.number for s in summaries if s.indicator_count), 1)
        st.session_state[CHOICE_KEY] = state.parse_choice(st.query_params, URL_PARAM,
                                                          list(by_number), first)
    choice = st.selectbox(
        t("Kies een SDG"), list(by_number), key=CHOICE_KEY,
        format_func=lambda n: tn("SDG {sdg}: {name} ({n} indicator)",
                                 "SDG {sdg}: {name} ({n} indicatoren)",
                                 by_number[n].indicator_count, sdg=n, name=sdg.sdg_name(n)),
        placeholder=widgets.choose())
    st.query_params[URL_PARAM] = str(choice)
    chosen = by_number[choice]

    st.subheader(t("SDG {n}: {name}", n=choice, name=sdg.sdg_name(choice)))
    if not chosen.spearhead_ids:
        st.info(t("Geen enkel speerpunt en geen enkele indicator van dit bord is aan deze SDG "
                  "gekoppeld."))
    else:
        st.markdown(sdg.rollup_text(chosen))
        st.markdown("**" + t("Speerpunten") + "**")
        for sp_id in chosen.spearhead_ids:
            st.page_link(navigation.spearhead_link(sp_id),
                         label=t("Speerpunt {n}: {name}", n=sp_id,
                                 name=md(sp_names.get(sp_id, ""))),
                         icon=":material/arrow_forward:")
        if chosen.spearheads_without_indicator:
            st.caption(t("Speerpunt {spearheads} toont dit SDG-icoon, maar geen van zijn "
                         "indicatoren is eraan gekoppeld.",
                         spearheads=", ".join(str(i) for i in chosen.spearheads_without_indicator)))
        if chosen.indicator_count:
            st.markdown("**" + t("Indicatoren") + "**")
            st.dataframe(sdg.indicator_table(chosen), hide_index=True, width="stretch")
            st.caption(t("Status: {legend}. Bron per indicator: zie de speerpuntpagina.",
                         legend=" · ".join(f"{STATUS_ICON[c]} {status_label(c)}"
                                           for c in STATUS_ICON)))
        else:
            st.info(t("Geen indicator van dit bord is aan deze SDG gekoppeld."))
