"""Open data: the board's figures as CSV, Parquet and GeoJSON with metadata (thin page)."""

from dashboard.ui import opendata

opendata.page()
