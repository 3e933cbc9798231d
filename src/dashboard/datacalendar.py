"""The data calendar: when each indicator's next figure is expected, and what is late.

Each indicator may state its source's rhythm (``cadence`` in ``indicators.csv``) and how
many months after the end of a period its figure is published (``lag_months``). The next
figure after the latest period P is the period P + years(cadence); it is expected at the end
of that period plus the lag (e.g. yearly, lag 6: the 2024 figure is expected by 30 June
2025). A figure is *late* ("verwacht sinds …") once that date has passed, *due soon* within
DUE_SOON_DAYS before it. ``once`` (a one-off figure) and ``irregular`` expect nothing.
The anchor is Kausal Watch's "indicator values are late / due soon".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .i18n import t

# cadence → years between figures (None: no next figure is expected)
CADENCES: dict[str, int | None] = {
    "yearly": 1, "two_yearly": 2, "three_yearly": 3, "five_yearly": 5, "six_yearly": 6,
    "once": None, "irregular": None,
}
CADENCE_LABEL = {
    "yearly": t("jaarlijks", lang="nl"), "two_yearly": t("tweejaarlijks", lang="nl"),
    "three_yearly": t("driejaarlijks", lang="nl"), "five_yearly": t("vijfjaarlijks", lang="nl"),
    "six_yearly": t("zesjaarlijks", lang="nl"), "once": t("eenmalig", lang="nl"),
    "irregular": t("onregelmatig", lang="nl"),
}
DEFAULT_LAG_MONTHS = 6
DUE_SOON_DAYS = 90


@dataclass(frozen=True)
class Expected:
    indicator_id: str
    cadence: str | None
    last_period: int | None
    next_period: int | None
    expected_on: dt.date | None
    state: str          # "late", "due_soon", "on_time", "unknown"

    @property
    def late(self) -> bool:
        return self.state == "late"


def _end_of_year_plus(year: int, months: int) -> dt.date:
    month_index = 12 + months            # months after 1 January of ``year``
    y, m = year + (month_index - 1) // 12, (month_index - 1) % 12 + 1
    first_next = dt.date(y + (m == 12), m % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def expected(indicator_id: str, cadence: str | None, lag_months: int | None,
             last_period: int | None, today: dt.date) -> Expected:
    """When the figure after ``last_period`` is expected, and whether it is late on
    ``today`` (pass the clock in: the board uses :mod:`dashboard.clock`)."""
    years = CADENCES.get(cadence or "")
    if not years or last_period is None:
        return Expected(indicator_id, cadence, last_period, None, None, "unknown")
    lag = DEFAULT_LAG_MONTHS if lag_months is None or pd.isna(lag_months) else int(lag_months)
    nxt = int(last_period) + years
    on = _end_of_year_plus(nxt, lag)
    state = ("late" if today > on else "due_soon"
             if (on - today).days <= DUE_SOON_DAYS else "on_time")
    return Expected(indicator_id, cadence, int(last_period), nxt, on, state)


def calendar(indicators: pd.DataFrame, city: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """One row per indicator with a cadence: last period, next period, expected date and
    state; sorted late first, then due soon, by date."""
    last = city.groupby("indicator_id")["period"].max() if not city.empty else {}
    rows = []
    for ind in indicators.itertuples():
        cadence = getattr(ind, "cadence", None)
        if cadence is None or (isinstance(cadence, float) and pd.isna(cadence)):
            continue
        lp = last.get(ind.id) if len(last) else None
        e = expected(ind.id, cadence, getattr(ind, "lag_months", None),
                     None if lp is None or pd.isna(lp) else int(lp), today)
        rows.append({"id": ind.id, "spearhead_id": ind.spearhead_id, "name": ind.name,
                     "cadence": cadence, "last_period": e.last_period,
                     "next_period": e.next_period, "expected_on": e.expected_on,
                     "state": e.state})
    out = pd.DataFrame(rows, columns=["id", "spearhead_id", "name", "cadence", "last_period",
                                      "next_period", "expected_on", "state"])
    order = {"late": 0, "due_soon": 1, "on_time": 2, "unknown": 3}
    return out.assign(_o=out["state"].map(order)).sort_values(
        ["_o", "expected_on"], na_position="last").drop(columns="_o").reset_index(drop=True)
