"""Kortrijk 2040 monitoringsbord: the router. Pages live in pages/, logic in src/dashboard."""

import streamlit as st

from dashboard.navigation import pages

st.set_page_config(page_title="Kortrijk 2040 – monitoringsbord", layout="wide")
st.navigation(pages()).run()
