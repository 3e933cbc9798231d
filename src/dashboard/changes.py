"""What changed since a moment (filled in below)."""

import streamlit as st

from .i18n import t


def page() -> None:
    st.title(t("Wat is er veranderd?"))
