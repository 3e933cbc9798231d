"""The board layer (Streamlit-free): what every output of the board shows, assembled once.

``Board(store, settings)`` reads through the store and the geometry store for a
:class:`View` (data version, pinned moment, language) and returns frames, judgements and
:class:`MapData` objects; the folium and plotly builders draw them; ``dashboard.ui``
(the only Streamlit code) caches and renders them.
"""

from .board import DEFAULT_SECTION, INDICATOR_TEXT, VERSION_KEYS, Board
from .mapdata import MapData, draw, text_summary
from .view import View

__all__ = ["Board", "DEFAULT_SECTION", "INDICATOR_TEXT", "MapData", "VERSION_KEYS", "View",
           "draw", "text_summary"]
