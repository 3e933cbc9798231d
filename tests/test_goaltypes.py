"""Goal types and the two judgements, each on the note's own example (issue 12).

Pure rules: ``dashboard.goaltypes`` (what a goal means) and ``dashboard.status`` (path,
pace, nulmeting). Hand-computed numbers are in the comments.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import datacalendar, overview
from dashboard.goaltypes import Derived, GoalSpec, derive, goal_path, match_areas, normalise_name
from dashboard.status import compute_status, pace


def goals(*rows):
    return pd.DataFrame(rows, columns=["year", "value", "kind"])


def meas(*rows):
    return pd.DataFrame(rows, columns=["period", "value"])


# ------------------------------------------------------------------ level by year
def test_level_childcare_57_9_to_60():
    g = goals((2024, 57.9, "baseline"), (2040, 60, "target"))
    spec = GoalSpec("level", "higher")
    # path in 2026: 57.9 + 2.1 * 2/16 = 58.1625; gap (58 - 58.1625) / 2.1 = -7.7 %: behind
    s = compute_status(g, meas((2024, 57.9), (2026, 58.0)), "higher", spec)
    assert s.code == "behind" and s.expected == pytest.approx(58.1625)
    assert s.gap == pytest.approx(-0.0774, abs=1e-3)
    assert compute_status(g, meas((2024, 57.9), (2026, 58.2)), "higher", spec).code == "on_track"


def test_one_measurement_or_only_the_baseline_is_never_on_track():
    g = goals((2024, 57.9, "baseline"), (2040, 60, "target"))
    # the value today is the baseline itself: a starting point, not progress
    assert compute_status(g, meas((2024, 57.9)), "higher").code == "baseline_only"
    # even a single value that already meets the goal is one measurement
    assert compute_status(g, meas((2026, 61)), "higher").code == "baseline_only"
    # two measurements, both at or before the start of the path: still nothing to judge
    g2 = goals((2024, 0, "baseline"), (2030, 666, "target"))
    s = compute_status(g2, meas((2023, 600), (2024, 660)), "higher",
                       GoalSpec("cumulative", "higher"))
    assert s.code == "baseline_only"


# ------------------------------------------------------------------ change vs base year
CO2 = goals((2005, 0, "baseline"), (2030, -40, "intermediate"), (2040, -70, "intermediate"),
            (2050, -100, "target"))


def test_change_co2_against_2005_with_the_2050_end_point():
    spec = GoalSpec("change", "lower")
    series = meas((2005, 100), (2021, 93.83))
    path = goal_path(spec, CO2, series)
    # the path in the indicator's unit: base level x (1 + change / 100)
    assert path.points == [(2005, 100), (2030, pytest.approx(60)), (2040, pytest.approx(30)),
                           (2050, pytest.approx(0))]
    s = compute_status(CO2, series, "lower", spec)
    # path in 2021: 100 - 40 * 16/25 = 74.4; gap -(93.83 - 74.4) / 100 = -19.4 %: behind
    assert s.expected == pytest.approx(74.4)
    assert s.code == "behind"
    # pace against the next goal (2030: 60): CAGR_a = 0.9383^(1/16) - 1 = -0.398 %/yr,
    # CAGR_T = 0.6^(1/25) - 1 = -2.022 %/yr, R = 0.197: limited progress
    assert s.pace.code == "limited" and s.pace.ratio == pytest.approx(0.197, abs=1e-3)


def test_change_without_a_base_year_measurement_is_not_judged_as_on_track():
    s = compute_status(CO2, meas((2021, 93.83), (2022, 90)), "lower", GoalSpec("change", "lower"))
    assert s.code == "baseline_only"


def test_patrimony_55_against_2015_is_40_3_against_2019_one_goal():
    g = goals((2015, 0, "baseline"), (2030, -55, "target"))
    series = meas((2015, 100), (2019, 75.38))    # derived: 45 / (1 - 0.403)
    path = goal_path(GoalSpec("change", "lower"), g, series)
    target_2030 = path.points[-1][1]
    assert target_2030 == pytest.approx(45)
    assert 1 - target_2030 / 75.38 == pytest.approx(0.403, abs=1e-4)


# ------------------------------------------------------------------ cumulative
LAADPUNTEN = goals((2024, 660, "baseline"), (2030, 666, "target"))


def test_cumulative_666_charging_points_half_way_is_on_track():
    spec = GoalSpec("cumulative", "higher")
    assert goal_path(spec, LAADPUNTEN).points == [(2024, 660), (2030, 1326)]
    half = compute_status(LAADPUNTEN, meas((2024, 660), (2027, 993)), "higher", spec)
    assert half.code == "on_track" and half.expected == pytest.approx(993)
    # progress is what was added: +333 of +666 in 3 of 6 years; the linear pace is exact
    assert half.pace.code == "on_track" and half.pace.method == "linear"
    assert half.pace.ratio == pytest.approx(1.0)
    slow = compute_status(LAADPUNTEN, meas((2024, 660), (2027, 800)), "higher", spec)
    # +140 where +333 was due: gap (800 - 993) / 666 = -29 %
    assert slow.code == "far_behind"
    # read as a level goal of 666 the same count would already be "met"
    assert compute_status(goals((2024, 660, "baseline"), (2030, 666, "target")),
                          meas((2024, 660), (2027, 800)), "higher").code == "on_track"


def test_cumulative_trees_counter_from_zero():
    g = goals((2025, 0, "baseline"), (2030, 77746, "target"))
    s = compute_status(g, meas((2025, 0), (2026, 15549)), "higher", GoalSpec("cumulative"))
    assert s.code == "on_track"          # 77,746 / 5 = 15,549.2 a year


# ------------------------------------------------------------------ annual rate
ENERGY = goals((2024, 0, "baseline"), (2040, -2.5, "target"))


def test_annual_rate_missed_in_one_year():
    spec = GoalSpec("annual_rate", "lower")
    s = compute_status(ENERGY, meas((2024, 1000), (2025, 975), (2026, 965)), "lower", spec)
    # 2025: -2.5 % (met); 2026: 965/975 - 1 = -1.03 % (right direction, short): behind
    assert s.detail == (("2025", "on_track"), ("2026", "behind"))
    assert s.code == "behind"
    worse = compute_status(ENERGY, meas((2024, 1000), (2025, 975), (2026, 980)), "lower", spec)
    assert worse.detail[-1] == ("2026", "far_behind")          # use went up
    # judged year by year, not as a ramp: a good year after a bad one is on track
    back = compute_status(ENERGY, meas((2024, 1000), (2025, 990), (2026, 960)), "lower", spec)
    assert back.detail == (("2025", "behind"), ("2026", "on_track")) and back.code == "on_track"
    # pace: CAGR since 2024 against the stated rate: (0.965)^(1/2) - 1 = -1.766 % / -2.5 %
    assert s.pace.ratio == pytest.approx(0.7062, abs=1e-3) and s.pace.code == "acceleration"


# ------------------------------------------------------------------ keep at least
MARKET = goals((2024, 33, "target"),)


@pytest.mark.parametrize(("value", "code"), [(34, "on_track"), (33, "on_track"),
                                             (32, "behind"), (30, "far_behind")])
def test_keep_at_least_33_percent_market_share(value, code):
    s = compute_status(MARKET, meas((2024, 33), (2025, value)), "higher",
                       GoalSpec("keep_min", "higher"))
    # a value under the floor is not on track, whatever the path
    assert s.code == code
    assert s.detail[-1] == ("2025", code)


def test_keep_min_a_yearly_norm_is_judged_every_year():
    g = goals((2024, 6, "target"),)         # at least 6 FTE a year (1.3)
    s = compute_status(g, meas((2024, 7), (2025, 5), (2026, 6)), "higher",
                       GoalSpec("keep_min", "higher"))
    assert [c for _, c in s.detail] == ["on_track", "far_behind", "on_track"]
    assert s.code == "on_track"


# ------------------------------------------------------------------ per inhabitant
def test_count_and_per_inhabitant_never_disagree():
    city = pd.DataFrame({
        "indicator_id": ["laadpunten"] * 3 + ["inwoners"] * 3,
        "period": [2024, 2025, 2026] * 2,
        "value": [660, 800, 990, 79268, 79600, 80000],
        "illustrative": [False, False, True, False, False, False],
    })
    ratio = derive(Derived("laadpunten", "inwoners", 100), city)
    by = city.set_index(["indicator_id", "period"])["value"]
    for period, v in zip(ratio["period"], ratio["value"]):
        count, pop = by[("laadpunten", period)], by[("inwoners", period)]
        assert v == pytest.approx(count / pop * 100)
    assert list(ratio["illustrative"]) == [False, False, True]
    # a new count changes the ratio with it
    city.loc[(city["indicator_id"] == "laadpunten") & (city["period"] == 2026), "value"] = 1200
    assert derive(Derived("laadpunten", "inwoners", 100), city)["value"].iloc[-1] == \
        pytest.approx(1.5)
    # the judged series of a derived indicator is the ratio, never a stored value
    ind = {"id": "laadpunten_per_100_inw", "derived_from": "laadpunten / inwoners * 100",
           "goal_type": "per_capita", "direction": "higher"}
    stored = pd.DataFrame({"indicator_id": ["laadpunten_per_100_inw"], "period": [2026],
                           "value": [9.9], "illustrative": [False]})
    series = overview.city_series(ind, pd.concat([city, stored]))
    assert series["value"].iloc[-1] == pytest.approx(1.5)
    g = goals((2030, 1.5, "target"),)
    assert compute_status(g, series, "higher", GoalSpec.of(ind)).code == "on_track"


# ------------------------------------------------------------------ share in named areas
AREAS = pd.DataFrame({
    "code": ["A00", "A05", "A12", "A20", "A21", "W1", "X99"],
    "name": ["Kortrijk-Centrum", "Gentse Poort", "Venning", "Sint-Elisabeth",
             "Drie Hofsteden", "Kortrijk Centrum", "Bissegem-Dorp"],
    "level": ["sector", "sector", "sector", "sector", "sector", "wijk", "sector"],
})
HEAT = goals((2024, 0, "baseline"), (2040, 40, "target"))
NAMED = ("Gentse Poort", "Venning", "Kortrijk Centrum", "Drie Hofsteden", "St Elisabeth")


def test_names_match_with_spelling_variants():
    assert normalise_name("St Elisabeth") == normalise_name("Sint-Elisabeth")
    codes = match_areas(NAMED, AREAS)
    assert codes == {"Gentse Poort": "A05", "Venning": "A12", "Kortrijk Centrum": "A00",
                     "Drie Hofsteden": "A21", "St Elisabeth": "A20"}


def test_share_in_named_areas_is_judged_per_area_only():
    spec = GoalSpec("share_in_areas", "higher", NAMED)
    on = meas((2024, 0), (2032, 20))            # exactly on the path 0 -> 40 (2024-2040)
    late = meas((2024, 0), (2032, 10))          # gap (10 - 20) / 40 = -25 %
    area_series = {"A05": on, "A12": on, "A00": late, "X99": meas((2024, 0), (2032, 0))}
    s = compute_status(HEAT, meas(), "higher", spec, area_series, AREAS)
    detail = dict(s.detail)
    assert detail == {"Gentse Poort": "on_track", "Venning": "on_track",
                      "Kortrijk Centrum": "far_behind", "Drie Hofsteden": "no_data",
                      "St Elisabeth": "no_data"}
    assert "Bissegem-Dorp" not in detail       # no verdict outside the named areas
    assert s.code == "far_behind"             # the city verdict: the worst judged area


# ------------------------------------------------------------------ the pace method
@pytest.mark.parametrize(("latest", "code", "ratio"), [
    (49, "achieved", None),
    (71, "on_track", 0.988),           # 0.71^(1/5) - 1 = -6.62 % vs 0.5^(1/10) - 1 = -6.70 %
    (72, "acceleration", 0.949),       # just under 95 %
    (90, "limited", 0.311),
    (105, "deterioration", -0.146),
])
def test_pace_reproduces_hand_computed_categories(latest, code, ratio):
    p = pace(meas((2020, 100), (2025, latest)), "lower", (2030, 50))
    assert p.code == code
    if ratio is not None:
        assert p.ratio == pytest.approx(ratio, abs=1e-3)
        assert p.method == "cagr"


@pytest.mark.parametrize(("latest", "code"), [(110, "on_track"),       # +2.41 %/yr
                                              (104.1, "acceleration"),  # +1.01 %/yr
                                              (101, "limited"),         # +0.25 %/yr
                                              (98, "deterioration")])
def test_pace_without_a_target(latest, code):
    assert pace(meas((2020, 100), (2024, latest)), "higher", None).code == code
    # the direction flips the verdict
    flipped = pace(meas((2020, 100), (2024, latest)), "lower", None).code
    assert (flipped == "deterioration") == (latest > 100)


@pytest.mark.parametrize(("latest", "code"), [(333, "on_track"), (200, "acceleration"),
                                              (150, "limited"), (-10, "deterioration")])
def test_pace_linear_equivalent_where_values_are_zero(latest, code):
    # a counter from 0 (CAGR undefined): 111 a year needed, observed (latest - 0) / 3
    assert pace(meas((2024, 0), (2027, latest)), "higher", (2030, 666)).code == code


def test_pace_needs_two_measurements():
    assert pace(meas((2024, 57.9)), "higher", (2040, 60)).code == "not_assessable"


# ------------------------------------------------------------------ data calendar
def test_overdue_figures_with_a_fixed_clock():
    # yearly, 6 months' lag: after the 2024 figure the 2025 one is expected by 30 June 2026
    e = datacalendar.expected("laadpunten", "yearly", 6, 2024, dt.date(2026, 6, 30))
    assert e.next_period == 2025 and e.expected_on == dt.date(2026, 6, 30)
    assert e.state == "due_soon"
    assert datacalendar.expected("x", "yearly", 6, 2024, dt.date(2026, 7, 1)).late
    assert datacalendar.expected("x", "yearly", 6, 2024, dt.date(2025, 12, 1)).state == "on_time"
    # the three-yearly survey: 2023 → 2026, expected by 30 June 2027
    s = datacalendar.expected("x", "three_yearly", 6, 2023, dt.date(2026, 12, 7))
    assert (s.next_period, s.expected_on, s.state) == (2026, dt.date(2027, 6, 30), "on_time")
    assert datacalendar.expected("x", "irregular", None, 2020, dt.date(2030, 1, 1)).state == \
        "unknown"
    inds = pd.DataFrame({"id": ["a", "b"], "spearhead_id": [5, 5], "name": ["A", "B"],
                         "cadence": ["yearly", "three_yearly"], "lag_months": [6, 6]})
    city = pd.DataFrame({"indicator_id": ["a", "b"], "period": [2024, 2023], "value": [1, 2]})
    cal = datacalendar.calendar(inds, city, dt.date(2026, 12, 7))
    assert list(cal["id"]) == ["a", "b"] and list(cal["state"]) == ["late", "on_time"]
