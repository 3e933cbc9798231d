"""Every indicator of a spearhead with its goals, comparison and source."""

from dashboard.ui import indicators

indicators.page()
