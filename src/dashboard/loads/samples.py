"""Valid load files for a store: every valid (indicator, area, year) once, with plausible
values, as the coordinator template's CSV. Used by the load benchmarks
(``bench/loads_bench.py``) and the robustness tests (``tests/test_loads_robustness.py``);
public, so neither imports the other."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..store import PEER, Store
from .measurements import ADDITIVE_UNITS, FIRST_YEAR

COLUMNS = ["indicator", "gebied", "jaar", "waarde", "eenheid", "bron"]


def dutch(values) -> list[str]:
    """Floats → Dutch notation with two decimals: 1234.5 → '1.234,50'."""
    return [f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") for x in values]


def valid_frame(store: Store, seed: int = 1, last_year: int | None = None) -> pd.DataFrame:
    """Every valid (indicator, area, year) once, with plausible, consistent values.

    Columns: indicator, gebied, jaar, v (float), eenheid. Values change −2..+3 % a year from
    a base inside the plausible range (no jump warnings) and, for additive units, the areas
    of each level share the city total exactly (no sum warnings).
    """
    rng = np.random.default_rng(seed)
    last_year = last_year or dt.date.today().year
    years = np.arange(FIRST_YEAR, last_year + 1)
    ind = store.indicators()
    areas = store.areas()
    parts = []
    for r in ind.itertuples():
        lo = 0.0 if pd.isna(r.plausible_min) else max(float(r.plausible_min), 0.0)
        hi = 1000.0 if pd.isna(r.plausible_max) else float(r.plausible_max)
        factor = (1 + rng.uniform(-0.02, 0.03)) ** (years - FIRST_YEAR)
        base = lo + rng.uniform(0.15, 0.35) * (hi - lo)
        additive = str(r.unit).lower() in ADDITIVE_UNITS
        for level in _levels(r):
            codes = areas.loc[areas["level"] == level, "code"].to_numpy()
            if additive and level != PEER:
                share = rng.uniform(0.5, 1.5, len(codes))
                values = np.outer(share / share.sum(), base * factor)
            else:
                values = np.outer(lo + rng.uniform(0.15, 0.35, len(codes)) * (hi - lo), factor)
            parts.append(pd.DataFrame({
                "indicator": r.id, "gebied": np.repeat(codes, len(years)),
                "jaar": np.tile(years, len(codes)), "v": values.ravel(), "eenheid": r.unit}))
    return pd.concat(parts, ignore_index=True)


def max_valid_rows(store: Store, last_year: int | None = None) -> int:
    """The largest number of rows one valid file can hold (unique keys, allowed levels)."""
    last_year = last_year or dt.date.today().year
    counts = store.area_counts()
    years = last_year - FIRST_YEAR + 1
    return int(sum(sum(counts.get(lv, 0) for lv in _levels(r)) * years
                   for r in store.indicators().itertuples()))


def _levels(indicator) -> list[str]:
    """The levels a load may fill: the indicator's own, plus the benchmark peers for an
    indicator the sources compare with the group average."""
    return list(indicator.levels) + ([PEER] if pd.notna(indicator.comparison_value) else [])


def to_csv(frame: pd.DataFrame, scale: float = 1.0, source: str = "benchmark") -> bytes:
    """Semicolon CSV with Dutch decimals (UTF-8), the coordinator template's columns."""
    out = frame.assign(waarde=dutch(frame["v"].to_numpy() * scale), bron=source)
    return out[COLUMNS].to_csv(sep=";", index=False).encode("utf-8")
