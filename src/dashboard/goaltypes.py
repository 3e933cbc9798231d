"""Goal types: what a goal of the note *means*, as data, with the note's own example.

Every indicator in ``indicators.csv`` has a ``goal_type``. The type says how the goal rows
in ``goals.csv`` are read and turns them into a *goal path in the indicator's own unit*,
so charts, maps and the judgement rules in :mod:`dashboard.status` all work on the same
numbers. The goal rows always have ``kind`` baseline (the start), intermediate or target.

``level`` — a level to reach by a year.
    Goal rows hold the level. Note 1.1: "Vandaag biedt Kortrijk 57,9 opvangplaatsen aan
    per 100 kinderen", goal "minstens 60": baseline 2024 57.9, target 60. Path: a straight
    line from the baseline (or the first measurement) to each goal in turn.

``change`` — a change against a base year, in %.
    The baseline row holds the base year (value 0, "0 % change"); goal rows hold the change
    in % against that year (negative for a decrease). The base *level* is the measurement in
    the base year, so the path in the indicator's unit is ``base × (1 + change / 100)``.
    Note speerpunt 5: CO₂ −40 % by 2030 and −70 % by 2040 against 2005, and "klimaatneutraal"
    (−100 %) by 2050. Patrimony: −55 % against 2015 by 2030, which the note (5.2) restates
    as −40.3 % against 2019: one goal, stored once against 2015.

``cumulative`` — an amount added since a start.
    The baseline row holds the start year and the stock at the start (0 for a counter);
    goal rows hold the amount *added* since the start. Progress is what was added, not a
    level. Note 5.4: "Begin 2024 telde Kortrijk 660 laadpunten", "nog 666 extra
    laadpaalequivalenten ... tegen 2030": start 2024 stock 660, +666 by 2030. Also 77,746
    trees 2025–2030, 56,211 m² to unseal by 2030, 100 extra childcare places by 2030.

``annual_rate`` — a change every year, in % a year.
    Goal rows hold the yearly change in % and the last year it applies; judged year by year
    (each year's change against the rate), not as a ramp to the horizon. Note 5.3: "Ons
    eigen energieverbruik vermindert jaarlijks met 2,5%": −2.5 % a year.

``keep_min`` / ``keep_max`` — keep at least / at most a value.
    Goal rows hold the floor (ceiling) from their year on; a value under the floor is not on
    track, whatever the trend. Note 2.3: the OCMW "behoudt minstens zijn marktaandeel van
    33%"; 1.3 "minstens jaarlijks 6 VTE's" doorstroom (a yearly norm, judged every year).

``per_capita`` — a ratio derived from a count and a population series.
    ``derived_from`` names the formula, e.g. ``laadpunten / inwoners * 100``. The ratio is
    computed, never loaded, so count and ratio cannot contradict each other. Goal rows hold
    the ratio (a level). Note 5.4: 1.5 laadpuntequivalenten per 100 inwoners; 5.7 1 m²
    unsealed per inhabitant; 5.4 2 deelwagens per 1,000 inhabitants.

``share_in_areas`` — a share to reach in named areas only.
    ``goal_areas`` lists the areas by name as the note gives them; each is judged on its own
    series and no verdict is given elsewhere. Note 5.3: 40 % of the buildings in Gentse
    Poort, Venning, Kortrijk Centrum, Drie Hofsteden and St Elisabeth by 2040.

``none`` — a context figure: the note sets no goal (shown, never judged on a path).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from .i18n import t
from .store import LEVELS

GOAL_TYPES: tuple[str, ...] = ("level", "change", "cumulative", "annual_rate", "keep_min",
                               "keep_max", "per_capita", "share_in_areas", "none")
# Dutch names (message ids) shown on screen and in docs/status.md.
GOAL_TYPE_LABEL = {
    "level": t("niveau tegen een jaar", lang="nl"),
    "change": t("verandering t.o.v. basisjaar", lang="nl"),
    "cumulative": t("cumulatief sinds start", lang="nl"),
    "annual_rate": t("jaarlijks tempo", lang="nl"),
    "keep_min": t("minstens behouden", lang="nl"),
    "keep_max": t("hoogstens behouden", lang="nl"),
    "per_capita": t("per inwoner (afgeleid)", lang="nl"),
    "share_in_areas": t("aandeel in genoemde gebieden", lang="nl"),
    "none": t("geen doel (context)", lang="nl"),
}


def goal_type_label(code: str) -> str:
    """The goal type's name in the current language."""
    return t(GOAL_TYPE_LABEL.get(code, GOAL_TYPE_LABEL["none"]))


_FORMULA = re.compile(r"^\s*([a-z0-9_]+)\s*/\s*([a-z0-9_]+)\s*(?:\*\s*([0-9]+(?:\.[0-9]+)?))?\s*$")


@dataclass(frozen=True)
class Derived:
    """``count / population * scale``: the ratio of two city series."""
    count: str
    population: str
    scale: float = 1.0

    def __str__(self) -> str:
        scale = "" if self.scale == 1 else f" * {self.scale:g}"
        return f"{self.count} / {self.population}{scale}"


def parse_derived(text: str | None) -> Derived | None:
    """``"laadpunten / inwoners * 100"`` → Derived; None for empty; ValueError if malformed."""
    if text is None or not str(text).strip():
        return None
    m = _FORMULA.match(str(text))
    if not m:
        raise ValueError(f"'{text}': verwacht 'teller / noemer * schaal'")
    return Derived(m.group(1), m.group(2), float(m.group(3) or 1))


def _missing(value) -> bool:
    """None, NaN or pandas NA (DuckDB gives lists as arrays, so no plain ``pd.isna``)."""
    return value is None or (not hasattr(value, "__len__") and bool(pd.isna(value)))


@dataclass(frozen=True)
class GoalSpec:
    """The goal semantics of one indicator (from its catalog row)."""
    type: str = "level"
    direction: str = "higher"
    areas: tuple[str, ...] = ()
    derived: Derived | None = None
    assumption: str | None = None

    @classmethod
    def of(cls, row) -> GoalSpec:
        """From an indicator row (dict, namedtuple or Series); old rows default to level."""
        get = row.get if isinstance(row, dict) else (lambda k, d=None: getattr(row, k, d))
        areas = get("goal_areas", None)
        areas = () if _missing(areas) else tuple(str(a) for a in areas)
        kind = get("goal_type", None)
        kind = "level" if _missing(kind) or kind == "" else str(kind)
        derived = get("derived_from", None)
        derived = None if _missing(derived) else parse_derived(derived)
        assumption = get("assumption", None)
        assumption = None if _missing(assumption) or not str(assumption).strip() \
            else str(assumption)
        return cls(kind, str(get("direction", "higher")), areas, derived, assumption)


@dataclass(frozen=True)
class Path:
    """The goal path in the indicator's unit, plus what it was derived from."""
    points: list[tuple[int, float]] = field(default_factory=list)
    start: tuple[int, float] | None = None   # (year, level) the path starts from
    problem: str | None = None               # why no path could be built (Dutch id)


def _split(goals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = goals[goals["kind"] == "baseline"].sort_values("year")
    rest = goals[goals["kind"] != "baseline"].sort_values(["year", "kind"])
    return base, rest.drop_duplicates("year", keep="last")


def value_in(series: pd.DataFrame, year: int) -> float | None:
    rows = series[series["period"] == year]
    return None if rows.empty else float(rows["value"].iloc[-1])


def goal_path(spec: GoalSpec, goals: pd.DataFrame | None,
              series: pd.DataFrame | None = None) -> Path:
    """The goal path of ``spec``'s type from its goal rows (and, for change, annual_rate
    and a level path without baseline, the measured ``series``: period, value)."""
    if goals is None or goals.empty or spec.type == "none":
        return Path()
    series = series if series is not None else pd.DataFrame(columns=["period", "value"])
    base, rest = _split(goals)
    if rest.empty:
        return Path()
    if spec.type == "change":
        if base.empty:
            return Path(problem="geen basisjaar")
        y0 = int(base["year"].iloc[0])
        level = value_in(series, y0)
        if level is None:
            return Path(problem="geen meting in het basisjaar")
        pts = [(y0, level)] + [(int(y), level * (1 + float(v) / 100))
                               for y, v in zip(rest["year"], rest["value"]) if y > y0]
        return Path(pts, (y0, level))
    if spec.type == "cumulative":
        if base.empty:
            return Path(problem="geen startjaar")
        y0, stock = int(base["year"].iloc[0]), float(base["value"].iloc[0])
        pts = [(y0, stock)] + [(int(y), stock + float(v))
                               for y, v in zip(rest["year"], rest["value"]) if y > y0]
        return Path(pts, (y0, stock))
    if spec.type == "annual_rate":
        start_year = int(base["year"].iloc[0]) if not base.empty else None
        s = series.sort_values("period")
        if start_year is not None:
            s = s[s["period"] >= start_year]
        if s.empty:
            return Path(problem="geen meting om van te vertrekken")
        y0, v0 = int(s["period"].iloc[0]), float(s["value"].iloc[0])
        rate, until = float(rest["value"].iloc[-1]) / 100, int(rest["year"].iloc[-1])
        pts = [(y, v0 * (1 + rate) ** (y - y0)) for y in range(y0, max(until, y0) + 1)]
        return Path(pts, (y0, v0))
    # level, keep_min, keep_max, per_capita, share_in_areas: goal rows hold levels.
    pts: list[tuple[int, float]] = []
    if not base.empty:
        pts.append((int(base["year"].iloc[0]), float(base["value"].iloc[0])))
    elif not series.empty and spec.type not in ("keep_min", "keep_max"):
        first_goal = int(rest["year"].iloc[0])
        before = series[series["period"] < first_goal].sort_values("period")
        if not before.empty:
            pts.append((int(before["period"].iloc[0]), float(before["value"].iloc[0])))
    start = pts[0] if pts else None
    pts += [(int(y), float(v)) for y, v in zip(rest["year"], rest["value"])
            if start is None or y > start[0]]
    return Path(pts, start)


def derive(derived: Derived, city: pd.DataFrame) -> pd.DataFrame:
    """The ratio series ``count / population * scale`` from city measurements (columns
    indicator_id, period, value[, illustrative]), only in years where both are measured; a
    ratio is illustrative when either input is."""
    cols = ["period", "value", "illustrative", "source"]
    count = city[city["indicator_id"] == derived.count]
    pop = city[city["indicator_id"] == derived.population]
    if count.empty or pop.empty:
        return pd.DataFrame(columns=cols)
    both = count.merge(pop, on="period", suffixes=("_c", "_p"))
    both = both[both["value_p"] > 0]
    ill_c = both["illustrative_c"] if "illustrative_c" in both else False
    ill_p = both["illustrative_p"] if "illustrative_p" in both else False
    out = pd.DataFrame({
        "period": both["period"].astype(int),
        "value": both["value_c"] / both["value_p"] * derived.scale,
        "illustrative": (pd.Series(ill_c, index=both.index).astype(bool)
                         | pd.Series(ill_p, index=both.index).astype(bool)),
        "source": f"afgeleid: {derived}",
    })
    return out.sort_values("period").reset_index(drop=True)


def normalise_name(name: str) -> str:
    """Case, accents, hyphens and "Sint"/"St." folded: "St Elisabeth" ≈ "Sint-Elisabeth"."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    text = re.sub(r"[-_.'’/]", " ", text.lower())
    text = re.sub(r"\bst\b", "sint", text)
    return " ".join(text.split())


def match_areas(names: tuple[str, ...], areas: pd.DataFrame) -> dict[str, str | None]:
    """Each goal-area name → the code of the area with that (normalised) name, preferring
    the finest level (the note names neighbourhoods); None when no area has the name."""
    order = {level: i for i, level in enumerate(LEVELS)}   # finest first
    cand = areas.assign(_n=areas["name"].map(normalise_name),
                        _o=areas["level"].map(order).fillna(9))
    out: dict[str, str | None] = {}
    for name in names:
        hit = cand[cand["_n"] == normalise_name(name)].sort_values("_o")
        out[name] = None if hit.empty else str(hit["code"].iloc[0])
    return out
