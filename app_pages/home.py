"""Overview: the vision, six spearhead cards with status counts, one city map."""

from dashboard.ui import home

home.page()
