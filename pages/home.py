"""Overview: the vision, six spearhead cards with status counts, one city map."""

import streamlit as st
from dashboard import appstate, mapview, ui

a = appstate.app()
version = appstate.data_version()

st.title(a.settings.city["vision"])
st.caption("Monitoringsbord bij de Inspiratienota Kortrijk 2040 (april 2024). Cijfers per wijk "
           "en sector zijn voorlopig illustratief; stadscijfers komen uit de nota.")
ui.startup_notices()

st.header("Zes speerpunten")
cards = appstate.spearhead_cards(version)
columns = st.columns(3)
for i, card in enumerate(cards):
    with columns[i % 3].container(border=True):
        st.subheader(f"{card['id']}. {card['name']}")
        st.markdown(ui.sdg_badges(card["sdgs"]), unsafe_allow_html=True)
        st.markdown(ui.status_line(card["counts"]))
        for line in card["headlines"]:
            st.markdown(f"- {line}")
        st.page_link(f"pages/speerpunt_{card['id']}.py", label="Open dit speerpunt",
                     icon=":material/arrow_forward:")

st.header("Wijken van Kortrijk")
st.write("Beweeg over een wijk voor haar naam en het aantal laadpunten per 100 inwoners "
         "(illustratieve wijkcijfers, geen officiële reeks).")
mapview.show_map(appstate.home_map(), ("home", appstate.data_version()), key="home_map",
                 height=480)
ui.map_caption("wijk")
