"""The router ``app.py`` calls: the page list from the configuration, run in the frame
every page shares (language, pinned moment, the sidebar)."""

from __future__ import annotations

import streamlit as st

from . import frame
from .navigation import pages


def run() -> None:
    frame.setup()
    frame.run(st.navigation(pages(), position=frame.nav_position(), expanded=True))
