"""The city against its benchmark group (city.yaml ``benchmark``): table, charts and the
map of the group's municipalities. Logic in dashboard.benchmark, glue in
dashboard.benchmarkviews."""

from dashboard import benchmarkviews

benchmarkviews.page()
