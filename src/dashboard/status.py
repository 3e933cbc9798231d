"""The judgement rules: one module, two honest judgements, documented in one place.

Goals are read through their type (:mod:`dashboard.goaltypes`), which turns them into a
goal path in the indicator's own unit. Two judgements are made on the city series:

**Path** ("doelpad"): the latest value against the goal path in its year.

    gap = (V - path(Y)) / |final goal - path start|, signed so positive is better

- ``on_track`` ("op koers") when gap >= ON_TRACK (-5 % of the total change asked) or the
  final goal is met; ``behind`` ("achter") when gap >= BEHIND (-20 %); ``far_behind``
  ("ver achter") otherwise;
- ``baseline_only`` ("nulmeting"): one measurement, or measurements only up to the start
  of the path. Nothing has been measured yet that could show progress, so no verdict: an
  indicator is judged from its second measurement on;
- ``no_data`` ("geen gegevens"): a goal but no measurement; ``no_goal`` ("geen doel"):
  the note sets no goal (context figures).

Per type: *annual_rate* judges each year's change against the yearly rate (met: on track;
in the right direction but short: behind; wrong direction: far behind) and the latest year
gives the verdict; *keep_min/keep_max* judge every year's value against the floor or
ceiling (under the floor by up to 5 %: behind, more: far behind), the latest year gives the
verdict; *share_in_areas* judges each named area on its own series, and the city verdict is
the worst judged area (with the areas listed); *cumulative* and *change* compare the value
with the path built from the start stock or the base-year level.

**Pace** ("tempo"): the progress measure designed by Statistics Canada and shipped by Open
SDG (open-sdg.org, "Progress Measurement Methodology"). With a target:

    CAGR_a = (y_i / y_0) ** (1 / (t_i - t_0)) - 1        observed since the base year
    CAGR_T = (y_T / y_0) ** (1 / (t_T - t_0)) - 1        needed to reach the target on time
    R = CAGR_a / CAGR_T

``achieved`` ("doel bereikt") when the target is met; ``on_track`` when R >= 95 %;
``acceleration`` ("versnelling nodig") when 60 % <= R < 95 %; ``limited`` ("beperkte
vooruitgang") when 0 <= R < 60 %; ``deterioration`` ("achteruitgang") when R < 0. Without a
target the observed rate d·CAGR_a (d = +1 when higher is better, -1 when lower is better) is
compared with fixed rates: >= 1.5 % on track, 0.5-1.5 % acceleration needed, 0-0.5 %
limited, < 0 deterioration. ``not_assessable`` ("niet te beoordelen") with fewer than two
measurements since the base year. The target is the next goal after the latest
measurement (the last goal once all are past). Deviations, stated: where a value is zero or
negative (CAGR undefined, e.g. counters that start at 0, a target of 0 road deaths) we use
the *linear equivalent*, R = observed change per year / needed change per year (and
without a target the change per year relative to |y_0|), instead of Open SDG's replacement
of zero by 0.001; *cumulative* goals always use the linear form (progress is additive);
*annual_rate* goals compare CAGR_a with the stated rate; the natural-limit scaling factor C
is not applied (no catalog indicator starts near a limit).

**Forecast.** A least-squares straight line through the last FORECAST_POINTS measurements,
extended to the target year. It is a trend, not a prediction, and is labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .goaltypes import GoalSpec, goal_path, match_areas
from .i18n import t

ON_TRACK = -0.05
BEHIND = -0.20
KEEP_BEHIND = 0.05          # under a floor by up to 5 % of the floor: behind
FORECAST_POINTS = 5
PACE_ON_TRACK = 0.95
PACE_ACCELERATION = 0.60
NO_TARGET_ON_TRACK = 0.015
NO_TARGET_ACCELERATION = 0.005
METHOD_SOURCE = ("Statistics Canada / Open SDG, Progress Measurement Methodology "
                 "(open-sdg.readthedocs.io)")

STATUS_ORDER = ("on_track", "behind", "far_behind", "baseline_only", "no_data", "no_goal")
JUDGED = ("on_track", "behind", "far_behind")
# Status is never colour alone: every status has an icon and a word (and a colour-blind-
# safe colour from the Okabe-Ito palette). The words are Dutch message ids (``lang="nl"``
# keeps them Dutch at import time); show them with :func:`status_label`.
STATUS_LABEL = {
    "on_track": t("op koers", lang="nl"),
    "behind": t("achter", lang="nl"),
    "far_behind": t("ver achter", lang="nl"),
    "baseline_only": t("nulmeting", lang="nl"),
    "no_data": t("geen gegevens", lang="nl"),
    "no_goal": t("geen doel", lang="nl"),
}
STATUS_ICON = {"on_track": "✔", "behind": "▲", "far_behind": "✖", "baseline_only": "○",
               "no_data": "–", "no_goal": "·"}
STATUS_COLOUR = {"on_track": "#009E73", "behind": "#E69F00", "far_behind": "#D55E00",
                 "baseline_only": "#56B4E9", "no_data": "#767676", "no_goal": "#767676"}

PACE_ORDER = ("achieved", "on_track", "acceleration", "limited", "deterioration",
              "not_assessable")
PACE_LABEL = {
    "achieved": t("doel bereikt", lang="nl"),
    "on_track": t("op schema", lang="nl"),
    "acceleration": t("versnelling nodig", lang="nl"),
    "limited": t("beperkte vooruitgang", lang="nl"),
    "deterioration": t("achteruitgang", lang="nl"),
    "not_assessable": t("niet te beoordelen", lang="nl"),
}
PACE_ICON = {"achieved": "★", "on_track": "⬆", "acceleration": "↗", "limited": "→",
             "deterioration": "↘", "not_assessable": "·"}


def status_label(code: str) -> str:
    """The status word in the current language ("op koers", "on track", …)."""
    return t(STATUS_LABEL[code])


def pace_label(code: str) -> str:
    return t(PACE_LABEL[code])


@dataclass(frozen=True)
class Pace:
    code: str
    method: str | None = None          # "cagr" or "linear"
    ratio: float | None = None         # R (with a target)
    observed: float | None = None      # CAGR_a (or linear rate) per year
    required: float | None = None      # CAGR_T (or linear rate) per year
    base: tuple[int, float] | None = None
    target: tuple[int, float] | None = None

    @property
    def label(self) -> str:
        return f"{PACE_ICON[self.code]} {pace_label(self.code)}"


NO_PACE = Pace("not_assessable")


@dataclass(frozen=True)
class Status:
    code: str
    year: int | None = None
    value: float | None = None
    expected: float | None = None
    gap: float | None = None
    pace: Pace = NO_PACE
    goal_type: str = "level"
    # Year-by-year (annual_rate, keep_*) or area-by-area (share_in_areas) verdicts:
    # (year or area name, status code).
    detail: tuple[tuple[str, str], ...] = ()
    measurements: int = 0

    @property
    def label(self) -> str:
        return f"{STATUS_ICON[self.code]} {status_label(self.code)}"


def goal_points(goals: pd.DataFrame, measurements: pd.DataFrame | None = None,
                spec: GoalSpec | None = None) -> list[tuple[int, float]]:
    """The (year, value) points of the goal path in the indicator's unit, in year order."""
    return goal_path(spec or GoalSpec(), goals, _series(measurements)).points


def path_value(points: list[tuple[int, float]], year: float) -> float | None:
    """The goal path at ``year`` (linear between points; flat after the last)."""
    if not points or year < points[0][0]:
        return None
    if len(points) == 1:
        return points[0][1]
    return float(np.interp(year, [p[0] for p in points], [p[1] for p in points]))


def _series(measurements: pd.DataFrame | None) -> pd.DataFrame:
    if measurements is None or measurements.empty:
        return pd.DataFrame(columns=["period", "value"])
    s = measurements[["period", "value"]].dropna()
    return s.sort_values("period").drop_duplicates("period", keep="last").reset_index(drop=True)


def _has_goal(goals: pd.DataFrame | None) -> bool:
    return goals is not None and not goals[goals["kind"] != "baseline"].empty


# ----------------------------------------------------------------------------- pace
def _rate(y0: float, y1: float, years: float) -> float:
    return (y1 / y0) ** (1 / years) - 1


def pace(series: pd.DataFrame, direction: str, target: tuple[int, float] | None,
         base_year: int | None = None, linear: bool = False,
         annual_rate: float | None = None) -> Pace:
    """The Statistics Canada / Open SDG progress category of ``series`` (period, value).

    ``target`` (year, value) in the series' unit or None (the no-target variant);
    ``base_year``: the first measurement at or after it is the base (default: the first);
    ``linear``: use the linear equivalent even where CAGR is defined;
    ``annual_rate``: the required yearly change (fraction) for annual-rate goals.
    """
    s = _series(series)
    if base_year is not None:
        s = s[s["period"] >= base_year]
    if len(s) < 2:
        return NO_PACE
    t0, y0 = int(s["period"].iloc[0]), float(s["value"].iloc[0])
    ti, yi = int(s["period"].iloc[-1]), float(s["value"].iloc[-1])
    d = 1.0 if direction == "higher" else -1.0
    base = (t0, y0)
    if annual_rate is not None:
        target = None
    if target is not None and d * (yi - target[1]) >= 0:
        return Pace("achieved", base=base, target=target)
    values = [y0, yi] + ([target[1]] if target is not None else [])
    positive = all(v > 0 for v in values)
    use_linear = linear or not positive
    if use_linear:
        observed = (yi - y0) / (ti - t0)
    else:
        observed = _rate(y0, yi, ti - t0)
    if annual_rate is not None:
        required = annual_rate
        ratio = observed / required if required else None
        return _categorise(ratio, "cagr", observed, required, base, None)
    if target is None:
        rate = d * observed if not use_linear else (d * observed / abs(y0) if y0 else None)
        if rate is None:
            return NO_PACE
        code = ("on_track" if rate >= NO_TARGET_ON_TRACK else "acceleration"
                if rate >= NO_TARGET_ACCELERATION else "limited" if rate >= 0
                else "deterioration")
        return Pace(code, "linear" if use_linear else "cagr", None, observed, None, base)
    tT, yT = target
    if tT <= t0:
        return NO_PACE
    required = (yT - y0) / (tT - t0) if use_linear else _rate(y0, yT, tT - t0)
    if d * required <= 0:
        # The base already met the target, the latest value no longer does: worse.
        return Pace("deterioration", "linear" if use_linear else "cagr", None, observed,
                    required, base, target)
    return _categorise(observed / required, "linear" if use_linear else "cagr", observed,
                       required, base, target)


def _categorise(ratio, method, observed, required, base, target) -> Pace:
    if ratio is None:
        return NO_PACE
    code = ("on_track" if ratio >= PACE_ON_TRACK else "acceleration"
            if ratio >= PACE_ACCELERATION else "limited" if ratio >= 0 else "deterioration")
    return Pace(code, method, ratio, observed, required, base, target)


# ----------------------------------------------------------------------------- path
def _path_code(gap: float) -> str:
    return "on_track" if gap >= ON_TRACK else "behind" if gap >= BEHIND else "far_behind"


def _next_goal(points: list[tuple[int, float]], year: int) -> tuple[int, float] | None:
    later = [p for p in points[1:] if p[0] > year]
    return later[0] if later else (points[-1] if len(points) > 1 else None)


def compute_status(goals: pd.DataFrame, measurements: pd.DataFrame, direction: str,
                   spec: GoalSpec | None = None,
                   area_series: dict[str, pd.DataFrame] | None = None,
                   areas: pd.DataFrame | None = None) -> Status:
    """Path and pace judgement of one indicator from its goals and its city series.

    ``spec`` gives the goal type (default: a level goal, the old behaviour);
    ``area_series`` (area code → series) and ``areas`` (code, name, level) are needed for
    share_in_areas goals only.
    """
    spec = spec or GoalSpec(direction=direction)
    if spec.direction != direction:
        spec = GoalSpec(spec.type, direction, spec.areas, spec.derived, spec.assumption)
    if spec.type == "share_in_areas" and _has_goal(goals):
        return _share_in_areas(goals, spec, area_series or {}, areas)
    s = _series(measurements)
    has_goal = _has_goal(goals) and spec.type != "none"
    n = len(s)
    if s.empty:
        return Status("no_data" if has_goal else "no_goal", goal_type=spec.type)
    year, value = int(s["period"].iloc[-1]), float(s["value"].iloc[-1])
    if not has_goal:
        return Status("no_goal", year, value, pace=pace(s, direction, None),
                      goal_type="none" if spec.type == "level" else spec.type,
                      measurements=n)
    path = goal_path(spec, goals, s)
    points = path.points
    sign = 1.0 if direction == "higher" else -1.0
    base_year = path.start[0] if path.start else None
    since = s[s["period"] > base_year] if base_year is not None else s.iloc[1:]
    if n < 2 or since.empty or not points:
        # One measurement, or only the baseline: a starting point, not progress.
        return Status("baseline_only", year, value, path_value(points, year), None,
                      goal_type=spec.type, measurements=n)
    if spec.type == "annual_rate":
        return _annual(goals, spec, s, points, n)
    if spec.type in ("keep_min", "keep_max"):
        return _keep(goals, spec, s, n)
    expected = path_value(points, year)
    target = _next_goal(points, year)
    p = pace(s, direction, target, base_year, linear=spec.type == "cumulative")
    final = points[-1][1]
    total = abs(final - points[0][1])
    if sign * (value - final) >= 0:
        return Status("on_track", year, value, expected, 0.0, p, spec.type, measurements=n)
    if expected is None or total == 0:
        return Status("baseline_only", year, value, expected, None, p, spec.type,
                      measurements=n)
    gap = sign * (value - expected) / total
    return Status(_path_code(gap), year, value, expected, gap, p, spec.type, measurements=n)


def _annual(goals, spec: GoalSpec, s: pd.DataFrame, points, n: int) -> Status:
    rest = goals[goals["kind"] != "baseline"].sort_values("year")
    rate = float(rest["value"].iloc[-1]) / 100
    sign = 1.0 if rate >= 0 else -1.0
    detail = []
    for (y_prev, v_prev), (y, v) in zip(s[["period", "value"]].values[:-1],
                                         s[["period", "value"]].values[1:]):
        if y - y_prev != 1 or v_prev == 0:
            continue  # a rate a year needs consecutive years
        change = v / v_prev - 1
        code = ("on_track" if sign * change >= sign * rate * (1 + ON_TRACK)
                else "behind" if sign * change > 0 else "far_behind")
        detail.append((str(int(y)), code))
    year, value = int(s["period"].iloc[-1]), float(s["value"].iloc[-1])
    if not detail:
        return Status("baseline_only", year, value, None, None, goal_type=spec.type,
                      measurements=n)
    p = pace(s, "higher" if rate >= 0 else "lower", None, annual_rate=rate)
    return Status(detail[-1][1], year, value, path_value(points, year), None, p, spec.type,
                  tuple(detail), n)


def _keep(goals, spec: GoalSpec, s: pd.DataFrame, n: int) -> Status:
    rest = goals[goals["kind"] != "baseline"].sort_values("year")
    bound_year, bound = int(rest["year"].iloc[0]), float(rest["value"].iloc[0])
    sign = 1.0 if spec.type == "keep_min" else -1.0
    detail = []
    for y, v in s[["period", "value"]].values:
        short = sign * (bound - v) / abs(bound) if bound else sign * (bound - v)
        code = "on_track" if short <= 0 else "behind" if short <= KEEP_BEHIND else "far_behind"
        detail.append((str(int(y)), code))
    year, value = int(s["period"].iloc[-1]), float(s["value"].iloc[-1])
    p = pace(s, spec.direction, (max(bound_year, year + 1), bound))
    return Status(detail[-1][1], year, value, bound, None, p, spec.type, tuple(detail), n)


def _share_in_areas(goals, spec: GoalSpec, area_series: dict[str, pd.DataFrame],
                    areas: pd.DataFrame | None) -> Status:
    codes = match_areas(spec.areas, areas) if areas is not None else {}
    area_spec = GoalSpec("level", spec.direction)
    detail, latest = [], []
    for name in spec.areas:
        code = codes.get(name)
        series = area_series.get(code) if code else None
        if series is None or series.empty:
            detail.append((name, "no_data"))
            continue
        st = compute_status(goals, series, spec.direction, area_spec)
        detail.append((name, st.code))
        latest.append(st)
    n = max((st.measurements for st in latest), default=0)
    if not latest:
        return Status("no_data", goal_type=spec.type, detail=tuple(detail))
    judged = [c for _, c in detail if c in JUDGED]
    year = max(st.year for st in latest)
    if not judged:
        return Status("baseline_only", year, None, None, None, goal_type=spec.type,
                      detail=tuple(detail), measurements=n)
    worst = max(judged, key=JUDGED.index)
    return Status(worst, year, None, None, None, goal_type=spec.type, detail=tuple(detail),
                  measurements=n)


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


def method_text() -> str:
    """The judgement rules in one paragraph, in the current language: shown under every
    status overview (spearhead page, PDF, presentation) so the rule travels with the
    verdict."""
    return t("Doelpad: laatste stadscijfer tegenover het doelpad van het doeltype (niveau, "
             "verandering t.o.v. een basisjaar, cumulatief sinds de start, jaarlijks tempo, "
             "minstens/hoogstens, per inwoner, in genoemde gebieden). Op koers: hoogstens "
             "5 % van de gevraagde verandering achter; achter: tot 20 %; ver achter: meer. "
             "Nulmeting: pas vanaf de tweede meting wordt een indicator beoordeeld. Tempo: "
             "methode van Statistics Canada in Open SDG (waargenomen jaarlijkse groei sinds "
             "het basisjaar tegenover de groei die nodig is om het doel op tijd te halen; op "
             "schema vanaf 95 %, versnelling nodig 60-95 %, beperkte vooruitgang 0-60 %, "
             "achteruitgang onder 0).")
