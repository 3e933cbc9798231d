"""Status, goal path and forecast: the pure rules of dashboard.status."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.status import compute_status, forecast, goal_points, path_value


def goals(*rows):
    return pd.DataFrame(rows, columns=["year", "value", "kind"])


def meas(*rows):
    return pd.DataFrame(rows, columns=["period", "value"])


G = goals((2020, 0, "baseline"), (2030, 100, "target"))


def test_goal_path_interpolates_and_stays_flat_after_the_last_goal():
    pts = goal_points(goals((2005, 0, "baseline"), (2030, 40, "intermediate"),
                            (2040, 70, "target")))
    assert pts == [(2005, 0.0), (2030, 40.0), (2040, 70.0)]
    assert path_value(pts, 2005) == 0
    assert path_value(pts, 2017.5) == pytest.approx(20)
    assert path_value(pts, 2035) == pytest.approx(55)
    assert path_value(pts, 2050) == 70
    assert path_value(pts, 2000) is None


def test_exactly_on_path_is_on_track():
    s = compute_status(G, meas((2020, 0), (2025, 50)), "higher")
    assert s.code == "on_track" and s.gap == pytest.approx(0) and s.expected == 50


@pytest.mark.parametrize(("value", "code"), [(46, "on_track"), (44, "behind"), (31, "behind"),
                                             (29, "far_behind")])
def test_thresholds_higher_is_better(value, code):
    assert compute_status(G, meas((2020, 0), (2025, value)), "higher").code == code


def test_direction_lower_is_better_flips_the_sign():
    g = goals((2020, 100, "baseline"), (2030, 0, "target"))
    assert compute_status(g, meas((2020, 100), (2025, 40)), "lower").code == "on_track"   # ahead
    assert compute_status(g, meas((2020, 100), (2025, 60)), "lower").code == "behind"     # -10 %
    assert compute_status(g, meas((2020, 100), (2025, 80)), "lower").code == "far_behind"
    # The same numbers read as "higher is better" would be judged the other way round.
    assert compute_status(goals((2020, 0, "baseline"), (2030, 100, "target")),
                          meas((2020, 0), (2025, 40)), "higher").code == "behind"


def test_no_data_and_no_goal():
    assert compute_status(G, meas(), "higher").code == "no_data"
    empty = goals()
    assert compute_status(empty, meas((2024, 5)), "higher").code == "no_goal"
    assert compute_status(empty, meas(), "higher").code == "no_goal"


def test_target_already_met_is_on_track_even_if_early():
    s = compute_status(G, meas((2020, 0), (2022, 120)), "higher")
    assert s.code == "on_track"
    low = goals((2020, 100, "baseline"), (2030, 50, "target"))
    assert compute_status(low, meas((2020, 100), (2021, 45)), "lower").code == "on_track"


def test_latest_value_is_used():
    s = compute_status(G, meas((2025, 10), (2021, 90)), "higher")
    assert s.year == 2025 and s.code == "far_behind"


def test_without_baseline_the_first_measurement_starts_the_path():
    g = goals((2030, 100, "target"))
    assert goal_points(g, meas((2020, 0), (2025, 50))) == [(2020, 0.0), (2030, 100.0)]
    assert compute_status(g, meas((2020, 0), (2025, 50)), "higher").code == "on_track"
    # One measurement is a starting point, never "op koers".
    assert compute_status(g, meas((2025, 10)), "higher").code == "baseline_only"


def test_forecast_is_linear_over_the_last_five_points():
    m = meas((2015, 100), (2016, 0), (2020, 10), (2021, 20), (2022, 30), (2023, 40), (2024, 50))
    f = forecast(m, 2026)
    assert f == [(2024, pytest.approx(50)), (2025, pytest.approx(60)), (2026, pytest.approx(70))]
    assert forecast(meas((2024, 5)), 2030) == []
    assert forecast(m, 2020) == []


def test_chart_has_actual_goal_path_and_trend_traces():
    from dashboard.charts import indicator_chart

    ind = {"unit": "%", "comparison_value": 41.0, "comparison_label": "Gemiddelde centrumsteden"}
    m = pd.DataFrame({"period": [2019, 2020, 2021, 2022], "value": [1, 2, 3, 4],
                      "illustrative": [False] * 4})
    fig = indicator_chart(ind, m, goals((2019, 1, "baseline"), (2030, 20, "target")))
    names = [t.name for t in fig.data]
    assert names == ["gemeten", "doelpad", "trend (lineair, laatste 5 punten)"]
    assert list(fig.data[2].x) == list(range(2022, 2031))
    assert fig.layout.shapes[0].y0 == 41.0  # the centrumsteden comparison line
    single = indicator_chart({"unit": "u"}, meas().assign(illustrative=[]), goals(
        (2030, 1.5, "target")))
    assert single.layout.xaxis.range == (2028.5, 2031.5)
