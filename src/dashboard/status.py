"""Goal paths, status and trend forecasts: pure functions, documented in one place.

**Goal path.** A straight line from the baseline (year, value) to each goal (intermediate
or target, by year) in turn. Without a baseline row, the earliest measurement before the
first goal starts the path. Before the start the path is undefined; after the last goal it
stays at the last goal's value.

**Status** of an indicator in year Y with value V (its latest measurement):

    gap = (V - path(Y)) / |final target - start value|, signed so positive is better
          (multiplied by -1 for indicators where lower is better)

- ``on_track`` ("op koers") when gap >= ON_TRACK (-5 % of the total change asked), or when
  the final target is already met;
- ``behind`` ("achter") when gap >= BEHIND (-20 %);
- ``far_behind`` ("ver achter") otherwise;
- ``no_data`` ("geen gegevens") when there is no measurement;
- ``no_goal`` ("geen doel") when the note sets no goal (context indicators).

**Forecast.** A least-squares straight line through the last FORECAST_POINTS measurements,
extended to the target year. It is a trend, not a prediction, and is labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .i18n import t

ON_TRACK = -0.05
BEHIND = -0.20
FORECAST_POINTS = 5

STATUS_ORDER = ("on_track", "behind", "far_behind", "no_data", "no_goal")
# Status is never colour alone: every status has an icon and a word (and a colour-blind-
# safe colour from the Okabe-Ito palette). The words are Dutch message ids (``lang="nl"``
# keeps them Dutch at import time); show them with :func:`status_label`.
STATUS_LABEL = {
    "on_track": t("op koers", lang="nl"),
    "behind": t("achter", lang="nl"),
    "far_behind": t("ver achter", lang="nl"),
    "no_data": t("geen gegevens", lang="nl"),
    "no_goal": t("geen doel", lang="nl"),
}
STATUS_ICON = {"on_track": "✔", "behind": "▲", "far_behind": "✖", "no_data": "–",
               "no_goal": "·"}
STATUS_COLOUR = {"on_track": "#009E73", "behind": "#E69F00", "far_behind": "#D55E00",
                 "no_data": "#767676", "no_goal": "#767676"}


def status_label(code: str) -> str:
    """The status word in the current language ("op koers", "on track", …)."""
    return t(STATUS_LABEL[code])


@dataclass(frozen=True)
class Status:
    code: str
    year: int | None = None
    value: float | None = None
    expected: float | None = None
    gap: float | None = None

    @property
    def label(self) -> str:
        return f"{STATUS_ICON[self.code]} {status_label(self.code)}"


def goal_points(goals: pd.DataFrame, measurements: pd.DataFrame | None = None
                ) -> list[tuple[int, float]]:
    """The (year, value) points of the goal path, in year order."""
    if goals is None or goals.empty:
        return []
    base = goals[goals["kind"] == "baseline"].sort_values("year")
    rest = goals[goals["kind"] != "baseline"].sort_values(["year", "kind"])
    rest = rest.drop_duplicates("year", keep="last")
    points: list[tuple[int, float]] = []
    if not base.empty:
        points.append((int(base["year"].iloc[0]), float(base["value"].iloc[0])))
    elif measurements is not None and not measurements.empty and not rest.empty:
        first_goal = int(rest["year"].iloc[0])
        before = measurements[measurements["period"] < first_goal].sort_values("period")
        if not before.empty:
            points.append((int(before["period"].iloc[0]), float(before["value"].iloc[0])))
    start = points[0][0] if points else None
    points += [(int(y), float(v)) for y, v in zip(rest["year"], rest["value"])
               if start is None or y > start]
    return points


def path_value(points: list[tuple[int, float]], year: float) -> float | None:
    """The goal path at ``year`` (linear between points; flat after the last)."""
    if not points or year < points[0][0]:
        return None
    if len(points) == 1:
        return points[0][1]
    years = [p[0] for p in points]
    values = [p[1] for p in points]
    return float(np.interp(year, years, values))


def compute_status(goals: pd.DataFrame, measurements: pd.DataFrame, direction: str
                   ) -> Status:
    """Status of one indicator from its goals and its (city-level) measurements."""
    has_goal = goals is not None and not goals[goals["kind"] != "baseline"].empty
    if measurements is None or measurements.empty:
        return Status("no_data" if has_goal else "no_goal")
    latest = measurements.sort_values("period").iloc[-1]
    year, value = int(latest["period"]), float(latest["value"])
    if not has_goal:
        return Status("no_goal", year, value)
    sign = 1.0 if direction == "higher" else -1.0
    points = goal_points(goals, measurements)
    final = points[-1][1]
    if sign * (value - final) >= 0:
        return Status("on_track", year, value, final, 0.0)  # target already met
    expected = path_value(points, year)
    if expected is None or len(points) < 2:
        # Before the path starts, or nothing to measure progress from: at the start.
        return Status("on_track", year, value, expected, 0.0)
    total = abs(final - points[0][1])
    if total == 0:
        return Status("on_track", year, value, expected, 0.0)
    gap = sign * (value - expected) / total
    code = "on_track" if gap >= ON_TRACK else "behind" if gap >= BEHIND else "far_behind"
    return Status(code, year, value, expected, gap)


def forecast(measurements: pd.DataFrame, until: int, points: int = FORECAST_POINTS
             ) -> list[tuple[int, float]]:
    """Linear trend over the last ``points`` measurements, from the last year to ``until``."""
    if measurements is None or len(measurements) < 2:
        return []
    recent = measurements.sort_values("period").tail(points)
    x = recent["period"].to_numpy(dtype=float)
    y = recent["value"].to_numpy(dtype=float)
    if np.ptp(x) == 0:
        return []
    slope, intercept = np.polyfit(x, y, 1)
    last = int(x.max())
    if until <= last:
        return []
    return [(yr, float(slope * yr + intercept)) for yr in range(last, until + 1)]


def target_year(goals: pd.DataFrame) -> int | None:
    targets = goals[goals["kind"] != "baseline"] if goals is not None else None
    return None if targets is None or targets.empty else int(targets["year"].max())
