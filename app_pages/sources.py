"""Sources, licences, what is illustrative, and where the geometry came from."""

from dashboard.ui import sources

sources.page()
