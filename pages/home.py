"""Overview: the vision, the six spearheads and a map of the wijken."""

import streamlit as st
from streamlit_folium import st_folium

from dashboard import appstate, ui

a = appstate.app()
version = appstate.data_version()

st.title(a.settings.city["vision"])
st.caption("Monitoringsbord bij de Inspiratienota Kortrijk 2040 (april 2024).")
ui.startup_notices()

st.header("Zes speerpunten")
summary = appstate.spearhead_summary(version)
columns = st.columns(3)
for i, row in enumerate(summary.itertuples()):
    with columns[i % 3].container(border=True):
        st.subheader(f"{row.id}. {row.name}")
        st.markdown(ui.sdg_badges(row.sdgs), unsafe_allow_html=True)
        st.write(f"{row.indicators} indicatoren, waarvan {row.with_goal} met een doel en "
                 f"{row.with_data} met een stadscijfer uit de nota.")

st.header("Wijken van Kortrijk")
st.write("Beweeg over een wijk voor haar naam en het aantal laadpunten per 100 inwoners "
         "(illustratieve wijkcijfers, geen officiële reeks).")
st_folium(appstate.home_map(), height=480, use_container_width=True, returned_objects=[],
          key="home_map")
ui.map_caption("wijk")
