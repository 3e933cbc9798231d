"""City partnerships (stedenbanden): agreements, world map, exchange themes, SDGs."""

from dashboard.ui import partnerships

partnerships.page()
