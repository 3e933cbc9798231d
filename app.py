"""Kortrijk 2040 monitoringsbord: the router. Pages live in pages/, logic in src/dashboard."""

import streamlit as st

st.set_page_config(
    page_title="Kortrijk 2040 – monitoringsbord", layout="wide"
)

navigation = st.navigation(
    {
        "Overzicht": [
            st.Page("pages/home.py", title="Overzicht", icon=":material/home:", default=True),
            st.Page("pages/indicatoren.py", title="Indicatoren en doelen", icon=":material/flag:",
                    url_path="indicatoren"),
        ],
        "Over dit bord": [
            st.Page("pages/bronnen.py", title="Bronnen en gegevens", icon=":material/menu_book:",
                    url_path="bronnen"),
        ],
    }
)
navigation.run()
