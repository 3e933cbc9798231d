"""The city against its benchmark group: table, charts and the map of the group."""

from dashboard.ui import benchmark

benchmark.page()
