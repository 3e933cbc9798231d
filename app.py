"""The router. Pages live in pages/, logic in src/dashboard (frame: language, pinned view)."""

import streamlit as st

from dashboard import frame
from dashboard.navigation import pages

frame.setup()
frame.run(st.navigation(pages(), position=frame.nav_position(), expanded=True))
