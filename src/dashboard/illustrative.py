"""Deterministic generator of ILLUSTRATIVE district data.

The city has not published district-level series for the map indicators, so this module
makes plausible ones, clearly flagged ``illustrative = true`` everywhere they are stored
and labelled "illustratief" wherever they are shown. Same inputs (seed, sector geometry,
catalog) → byte-identical output. Everything is anchored on real city-level figures:

- population per sector 2015–2024, summing to 77,292 in 2020 (Plan Samenleven Kortrijk)
  with 0.4 % growth a year around it;
- public charging points per sector, cumulative, summing to exactly 660 in 2024
  (Inspiratienota 5.4 Modal Shift), growing ~30 % a year before;
- net unsealing per sector per year, summing to exactly 214,000 m² in 2022
  (Inspiratienota 5.7 Blauwe stad); m² unsealed since 2024 and m² per inhabitant;
- the share of buildings connected to the heat network, non-zero only in the five
  districts the note names (Gentse Poort, Venning, Kortrijk-Centrum, Drie Hofsteden,
  Sint-Elisabeth);
- point and line layers: charging locations (count, power), heat-network zones and trunk
  lines, unsealing projects (including parking Groeninghelaan, named in the note).

Documented in docs/data.md. Bump GENERATOR_VERSION whenever the output changes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, mapping

GENERATOR_VERSION = "1"
YEARS = tuple(range(2015, 2025))
SOURCE = "Illustratief: gegenereerd (dashboard.illustrative, seed {seed}), geen officiële cijfers"

POPULATION_2020 = 77_292          # Plan Samenleven Kortrijk: inhabitants on 5 Nov 2020
POPULATION_GROWTH = 0.004
CHARGING_POINTS_2024 = 660        # Inspiratienota 5.4: "begin 2024" 660 laadpunten
NET_UNSEALING_2022 = 214_000      # Inspiratienota 5.7: -0.2 % net sealing in 2022
UNSEALED_2024 = 7_800             # illustrative first year on the 56,211 m² path
HEAT_DISTRICTS = ("Gentse Poort", "Venning", "Kortrijk-Centrum", "Drie Hofsteden",
                  "Sint-Elisabeth")
HEAT_SOURCE_SECTOR = "Industriegebied - Kanaal"
POWER_KW = np.array([11, 22, 50, 150])
POWER_P = np.array([0.55, 0.3, 0.1, 0.05])

# Indicators this generator writes (ids from the catalog).
INDICATORS = ("inwoners", "laadpunten", "laadpunten_per_100_inw", "netto_verharding_afname",
              "ontharde_oppervlakte", "ontharding_per_inwoner", "warmtenet_aandeel_gebouwen")


@dataclass(frozen=True)
class Generated:
    measurements: pd.DataFrame   # indicator_id, area_code, period, value
    features: pd.DataFrame       # layer, feature_id, name, area_code, properties, geometry


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _split_integer(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split an integer total over weights; the parts sum to the total exactly."""
    if total <= 0:
        return np.zeros(len(weights), dtype=int)
    return rng.multinomial(total, weights / weights.sum())


def _random_points(poly, n: int, rng: np.random.Generator) -> list[Point]:
    minx, miny, maxx, maxy = poly.bounds
    pts: list[Point] = []
    while len(pts) < n:
        xs = rng.uniform(minx, maxx, 4 * n + 8)
        ys = rng.uniform(miny, maxy, 4 * n + 8)
        inside = shapely.contains_xy(poly, xs, ys)
        pts.extend(Point(round(x, 6), round(y, 6)) for x, y in zip(xs[inside], ys[inside]))
    return pts[:n]


def generate(sectors: gpd.GeoDataFrame, parents: dict[str, list[str]], seed: int
             ) -> Generated:
    """Generate sector series, aggregate them to wijk and deelgemeente, and the layers.

    ``sectors``: WGS84 GeoDataFrame (code, name, geometry) sorted by code;
    ``parents``: sector code → [wijk, deelgemeente, gemeente] codes.
    """
    sectors = sectors.sort_values("code").reset_index(drop=True)
    n = len(sectors)
    codes = sectors["code"].to_numpy()
    years = np.array(YEARS)

    # Population: gamma weights, slightly different growth per sector; exact 2020 total.
    rng = _rng(seed, 1)
    weights = rng.gamma(4.0, 1.0, n)
    growth = POPULATION_GROWTH + rng.normal(0, 0.004, n)
    pop = np.empty((len(years), n))
    for yi, year in enumerate(years):
        raw = weights * (1 + growth) ** (year - 2020)
        total = POPULATION_2020 * (1 + POPULATION_GROWTH) ** (year - 2020)
        pop[yi] = _split_integer(int(round(total)), raw, _rng(seed, 100 + yi))

    # Charging points: cumulative, never decreasing; exactly 660 in 2024.
    rng = _rng(seed, 2)
    totals = np.round(CHARGING_POINTS_2024 * np.exp(-0.3 * (2024 - years))).astype(int)
    attract = weights * rng.uniform(0.3, 1.7, n)
    charging = np.zeros((len(years), n), dtype=int)
    previous = np.zeros(n, dtype=int)
    for yi, total in enumerate(totals):
        previous = previous + _split_integer(int(total - previous.sum()), attract, rng)
        charging[yi] = previous

    # Net unsealing m² per year; exactly 214,000 in 2022; other years vary around it.
    rng = _rng(seed, 3)
    city_unsealing = {y: int(NET_UNSEALING_2022 * rng.uniform(0.4, 1.2)) for y in YEARS}
    city_unsealing[2022] = NET_UNSEALING_2022
    unseal_w = rng.gamma(1.5, 1.0, n)
    unsealing = np.array([_split_integer(city_unsealing[y], unseal_w * rng.uniform(0.5, 1.5, n),
                                         rng) for y in YEARS])
    unsealed_2024 = _split_integer(UNSEALED_2024, unseal_w, rng)

    # Heat network: share of buildings connected, only in the five named districts.
    rng = _rng(seed, 4)
    buildings = np.maximum(50, np.round(weights * 320)).astype(int)
    heat_mask = sectors["name"].isin(HEAT_DISTRICTS).to_numpy()
    connected = np.zeros((len(years), n), dtype=int)
    start = 2018
    for i in np.flatnonzero(heat_mask):
        final_share = rng.uniform(0.06, 0.16)  # by 2024, far from the 40 % of 2040
        for yi, year in enumerate(years):
            frac = max(0.0, (year - start) / (2024 - start))
            connected[yi, i] = int(round(buildings[i] * final_share * frac))

    rows: list[tuple[str, str, int, float]] = []

    def emit(indicator: str, table: dict[str, np.ndarray], yrs=YEARS) -> None:
        for code, series in table.items():
            for year, value in zip(yrs, series):
                rows.append((indicator, code, int(year), float(value)))

    def aggregate(matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Sector columns → dict code → series, for sectors and their wijk/deelgemeente."""
        out = {c: matrix[:, i] for i, c in enumerate(codes)}
        for depth in (0, 1):
            groups: dict[str, np.ndarray] = {}
            for i, c in enumerate(codes):
                key = parents[c][depth]
                groups[key] = groups.get(key, 0) + matrix[:, i]
            out.update(groups)
        return out

    pop_t = aggregate(pop)
    charging_t = aggregate(charging)
    emit("inwoners", pop_t)
    emit("laadpunten", charging_t)
    emit("laadpunten_per_100_inw",
         {c: np.round(charging_t[c] / pop_t[c] * 100, 3) for c in charging_t})
    emit("netto_verharding_afname", aggregate(unsealing))
    unsealed_t = aggregate(unsealed_2024[None, :])
    pop_2024 = {c: v[-1:] for c, v in pop_t.items()}
    emit("ontharde_oppervlakte", unsealed_t, yrs=(2024,))
    # m² per inhabitant: what was unsealed before 2024 (the note implies the 1 m²/inh goal
    # minus the 56,211 m² still to do) spread like the yearly unsealing, plus 2024.
    prior_total = max(0, int(POPULATION_2020 * (1 + POPULATION_GROWTH) ** 4) - 56_211)
    prior = _split_integer(prior_total, unseal_w, _rng(seed, 5))
    stock_t = aggregate((prior + unsealed_2024)[None, :])
    emit("ontharding_per_inwoner", {c: np.round(stock_t[c] / pop_2024[c], 3) for c in stock_t},
         yrs=(2024,))
    connected_t = aggregate(connected)
    buildings_t = aggregate(np.tile(buildings, (len(years), 1)))
    emit("warmtenet_aandeel_gebouwen",
         {c: np.round(connected_t[c] / buildings_t[c] * 100, 2) for c in connected_t})

    measurements = pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "value"])
    features = _layers(sectors, charging[-1], unsealed_2024, heat_mask, seed)
    return Generated(measurements=measurements, features=features)


def _layers(sectors: gpd.GeoDataFrame, charging_2024: np.ndarray, unsealed_2024: np.ndarray,
            heat_mask: np.ndarray, seed: int) -> pd.DataFrame:
    feats: list[dict] = []

    def add(layer: str, fid: str, name: str, area: str | None, props: dict, geom) -> None:
        feats.append({"layer": layer, "feature_id": fid, "name": name, "area_code": area,
                      "properties": json.dumps(props, ensure_ascii=False, sort_keys=True),
                      "geometry": json.dumps(mapping(geom))})

    # Charging locations: 1-4 points each, power drawn from a fixed distribution.
    rng = _rng(seed, 10)
    for i, row in sectors.iterrows():
        remaining = int(charging_2024[i])
        counts = []
        while remaining > 0:
            c = int(min(remaining, rng.choice([1, 2, 2, 2, 4])))
            counts.append(c)
            remaining -= c
        points = _random_points(row.geometry, len(counts), rng)
        for k, (count, pt) in enumerate(zip(counts, points)):
            power = int(rng.choice(POWER_KW, p=POWER_P))
            add("laadpunten", f"LP-{row['code']}-{k + 1:02d}",
                f"Laadlocatie {row['name']} {k + 1}", row["code"],
                {"aantal": count, "vermogen_kw": power}, pt)

    # Heat network: zones = the five districts; trunk lines from the industrial source.
    heat = sectors[heat_mask]
    for _, row in heat.iterrows():
        add("warmtenet_zone", f"WZ-{row['code']}", f"Warmtezone {row['name']}", row["code"],
            {"doel_aandeel_2040": 40}, row.geometry)
    source_rows = sectors[sectors["name"] == HEAT_SOURCE_SECTOR]
    start = (source_rows.geometry.iloc[0] if len(source_rows) else sectors.geometry.iloc[0])
    current = start.representative_point()
    todo = {r["code"]: r.geometry.representative_point() for _, r in heat.iterrows()}
    k = 0
    while todo:  # greedy nearest-neighbour chain: source → districts
        code = min(todo, key=lambda c: current.distance(todo[c]))
        nxt = todo.pop(code)
        k += 1
        add("warmtenet_leiding", f"WL-{k:02d}", f"Hoofdleiding {k}", code,
            {"type": "hoofdleiding", "restwarmte": True},
            LineString([(round(current.x, 6), round(current.y, 6)),
                        (round(nxt.x, 6), round(nxt.y, 6))]))
        current = nxt

    # Unsealing projects: Groeninghelaan (named in the note) + one per sector with
    # the most m² unsealed in 2024.
    rng = _rng(seed, 11)
    centre = sectors[sectors["name"] == "Kortrijk-Centrum"]
    anchor = centre.iloc[0] if len(centre) else sectors.iloc[0]
    add("ontharding_project", "OP-00", "Ontharding parking Groeninghelaan", anchor["code"],
        {"m2": 2_500, "jaar": 2024, "genoemd_in": "Inspiratienota 5.7 Blauwe stad"},
        _random_points(anchor.geometry, 1, rng)[0])
    top = np.argsort(-unsealed_2024, kind="stable")[:12]
    for j, i in enumerate(sorted(top), start=1):
        row = sectors.iloc[i]
        add("ontharding_project", f"OP-{j:02d}", f"Ontharding {row['name']}", row["code"],
            {"m2": int(unsealed_2024[i]), "jaar": 2024},
            _random_points(row.geometry, 1, rng)[0])
    return pd.DataFrame(feats)


# District generators a city configuration can name (``district_generator``). This one is
# anchored on Kortrijk's published figures; a city without one gets no district series.
GENERATORS = {"kortrijk-2040": generate}

BENCHMARK_VERSION = "2"  # 2: averages of the *other* members leave the city out
# Relative spread of the illustrative peer values around the group average.
BENCHMARK_SPREAD = 0.18


def _exact_tenths(values: np.ndarray, target: float, lo: float, hi: float) -> np.ndarray:
    """``values`` rounded to one decimal such that they sum to ``target`` (itself rounded
    to a tenth) exactly, within [lo, hi] where possible: the remainder of the rounding goes
    in steps of 0.1 to the values closest to the next step, deterministically."""
    tenths = np.round(values * 10).astype(np.int64)
    lo_t = -np.inf if np.isinf(lo) else math.ceil(lo * 10 - 1e-9)
    hi_t = np.inf if np.isinf(hi) else math.floor(hi * 10 + 1e-9)
    residual = int(round(target * 10)) - int(tenths.sum())
    error = values * 10 - tenths  # > 0: rounded down
    step = 1 if residual > 0 else -1
    while residual:
        room = tenths + step <= hi_t if step > 0 else tenths + step >= lo_t
        if not room.any():
            break
        order = np.argsort(-step * error, kind="stable")
        for i in order[room[order]][:abs(residual)]:
            tenths[i] += step
            error[i] -= step
            residual -= step
    return tenths / 10


def benchmark_values(indicators: pd.DataFrame, city_values: pd.DataFrame,
                     members: dict[str, str], city_code: str, seed: int) -> pd.DataFrame:
    """ILLUSTRATIVE values for the other members of the benchmark group.

    The sources give, per indicator, this city's value and the group average only. For the
    benchmark map this makes one value per other member, in the year of the city's latest
    value, whose mean matches the published average exactly (values have one decimal):

    - an average of the *other* members (:func:`benchmark.average_excludes_city`: the
      label, or the note quoted in the definition, says "andere"): the mean of the
      generated values alone;
    - otherwise (the average of the group): the mean over all members, this city with its
      real value included.

    Values stay within the indicator's plausible range. Same inputs → same output.

    ``indicators``: id, comparison_value, comparison_label, definition, plausible_min,
    plausible_max; ``city_values``: indicator_id, period, value (the city's own, real
    figures).
    """
    from .benchmark import average_excludes_city

    others = sorted(c for c in members if c != city_code)
    latest = (city_values.sort_values("period").groupby("indicator_id").tail(1)
              .set_index("indicator_id"))
    rows = []
    for k, ind in enumerate(indicators.sort_values("id").itertuples(index=False)):
        avg = ind.comparison_value
        if pd.isna(avg) or ind.id not in latest.index or not others:
            continue
        period = int(latest.loc[ind.id, "period"])
        with_city = city_code in members and not average_excludes_city(
            getattr(ind, "comparison_label", None), getattr(ind, "definition", None))
        own = float(latest.loc[ind.id, "value"]) if with_city else 0.0
        target_sum = avg * (len(others) + with_city) - own
        base = target_sum / len(others)
        rng = _rng(seed, 1000 + k)
        draws = rng.normal(0.0, BENCHMARK_SPREAD * abs(base) or 1.0, len(others))
        values = base + draws - draws.mean()
        lo = -np.inf if pd.isna(ind.plausible_min) else float(ind.plausible_min)
        hi = np.inf if pd.isna(ind.plausible_max) else float(ind.plausible_max)
        for _ in range(20):  # clip, then spread the clipped remainder over the others
            values = np.clip(values, lo, hi)
            gap = target_sum - values.sum()
            free = (values > lo) & (values < hi)
            if abs(gap) < 1e-9 or not free.any():
                break
            values[free] += gap / free.sum()
        values = _exact_tenths(values, target_sum, lo, hi)
        rows += [(ind.id, code, period, float(v)) for code, v in zip(others, values)]
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "value"])
