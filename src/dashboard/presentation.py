"""Presentation mode (Streamlit glue): filled in below."""

import streamlit as st

from .i18n import t


def page() -> None:
    st.title(t("Presentatie"))
