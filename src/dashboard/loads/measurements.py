"""Validating a measurement file: every problem at once, each with row, column and reason.

Columns (Dutch template; other headers and layouts are mapped by ``columns.detect``, see
docs/loads.md): ``indicator`` (optional when the indicator is given separately), ``gebied``
(code, exact name or a spelling variant of it; ``niveau`` may disambiguate), ``jaar``,
``waarde``, optional ``eenheid``, ``bron``, ``opmerking``. Problems name the file's own
column header (in a wide layout: the header of the cell's column).

Errors block the load; warnings (big year-on-year jumps, district values that do not add up
to the city total) must be confirmed explicitly before committing.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..store import PEER
from ..errors import Problem
from ..i18n import t
from ..safety import bytes_sha256
from ..tables import level_plural
from .columns import Context, Mapping, Resolved, detect, grid_preview
from .read import RawTable, apply_columns, read_grid

FIRST_YEAR = 2000
JUMP_WARNING = 0.5          # warn when a value changes more than 50 % on the previous year
SUM_TOLERANCE = 0.01        # districts within 1 % of the city total
ADDITIVE_UNITS = {"aantal", "m²", "aantal personen", "gwh", "mw", "mwp", "aantal inwoners"}
NEEDED_COLUMNS = {"area", "period", "value"}


@dataclass
class Validated:
    file: str
    sha256: str
    rows: pd.DataFrame                       # indicator_id, area_code, period, value, ...
    errors: pd.DataFrame                     # row, field, reason
    warnings: pd.DataFrame                   # row, field, reason
    sheet: str | None = None
    problems_preview: list[Problem] = field(default_factory=list)
    columns: Resolved | None = None          # the column mapping that was used
    preview: pd.DataFrame | None = None      # the file's first rows, as it shows them
    unmatched: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"value": [], "rows": [], "candidates": []}))  # unknown areas and their nearest

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def error_list(self, limit: int | None = None) -> list[Problem]:
        e = self.errors if limit is None else self.errors.head(limit)
        return [Problem(self.file, int(r) if r else None, f or None, why)
                for r, f, why in zip(e["row"], e["field"], e["reason"])]

    def warning_list(self, limit: int | None = None) -> list[Problem]:
        w = self.warnings if limit is None else self.warnings.head(limit)
        return [Problem(self.file, int(r) if r else None, f or None, why)
                for r, f, why in zip(w["row"], w["field"], w["reason"])]


def _each(template: str, **columns) -> list[str]:
    """A translated ``template`` with ``{name}`` placeholders, filled in row by row from
    equally long columns (only the failing rows get a message).

    Same text as ``template.format(**row)`` for every row, built column-wise: a
    1,000,000-row file of duplicates gets its 968,896 messages in a fraction of the time
    of a per-row ``format`` over Arrow-backed string columns.
    """
    parts = list(string.Formatter().parse(template))
    if any(f is not None and (spec or conv) for _l, f, spec, conv in parts):
        keys = list(columns)   # format specs or conversions: row by row
        return [template.format(**dict(zip(keys, values)))
                for values in zip(*columns.values())]
    text = {k: np.array([str(x) for x in (v.tolist() if hasattr(v, "tolist") else v)],
                        dtype=object) for k, v in columns.items()}
    if not text:
        return []
    out = np.full(len(next(iter(text.values()))), "", dtype=object)
    for literal, name, _spec, _conv in parts:   # literal: "{{" already read as "{"
        if literal:
            out = out + literal
        if name is not None:
            out = out + text[name]
    return out.tolist()


# Dot-grouped thousands: 1 to 3 leading digits (not a leading zero), then groups of three.
_THOUSANDS_DOT = r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$"


def parse_numbers(text: pd.Series) -> pd.Series:
    """Dutch and plain number formats → float (NaN where not a number), value by value.

    '1.234,5' and '1234,5' → 1234.5; '56.211' (dot groups of three) → 56211; '1.5' and
    '0.125' → decimals; with both separators the last one is the decimal separator; spaces
    inside numbers are ignored. Each value is read on its own (never depends on other rows).
    """
    s = text.astype(str).str.replace("\u00a0", "", regex=False).str.replace(" ", "",
                                                                            regex=False)
    has_comma = s.str.contains(",", regex=False)
    has_dot = s.str.contains(".", regex=False)
    comma_last = s.str.contains(r",[^.]*$", regex=True)
    out = s.copy()
    m = has_comma & has_dot & comma_last          # 1.234,5
    out[m] = s[m].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    m = has_comma & has_dot & ~comma_last         # 1,234.5
    out[m] = s[m].str.replace(",", "", regex=False)
    m = has_comma & ~has_dot                      # 1234,5
    out[m] = s[m].str.replace(",", ".", regex=False)
    m = has_dot & ~has_comma & s.str.match(_THOUSANDS_DOT)   # 56.211
    out[m] = s[m].str.replace(".", "", regex=False)
    values = pd.to_numeric(out, errors="coerce")
    return values.where(np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)))


def validate(raw: RawTable, sha256: str, indicators: pd.DataFrame, areas: pd.DataFrame,
             current: pd.DataFrame | None = None, indicator: str | None = None,
             today: dt.date | None = None, context: Context | None = None) -> Validated:
    """Check every row; ``current`` holds the store's current values for the warnings."""
    f = raw.frame
    errors: list[pd.DataFrame] = []
    labels = dict(raw.labels)
    res = raw.columns
    wide_fields = ({"waarde", "jaar"} if res is not None and res.wide == "period" else
                   {"waarde", "indicator"} if res is not None and res.wide == "indicator"
                   else set())

    def where(fld: str, sub: pd.DataFrame):
        """The file's own header for a field (per row in a wide layout)."""
        if fld in wide_fields and "_col" in sub.columns:
            return np.where(sub["_col"].to_numpy(dtype=object) != "",
                            sub["_col"].to_numpy(dtype=object), labels.get(fld, fld))
        return labels.get(fld, fld)

    def err(mask: pd.Series | np.ndarray, fld: str, reasons) -> None:
        """Record rows in ``mask``; ``reasons`` is a text or a function of the row subset
        (messages are only built for the rows that fail)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            sub = f.loc[mask]
            rs = reasons(sub) if callable(reasons) else reasons
            errors.append(pd.DataFrame({"row": sub["_row"].to_numpy(),
                                        "field": where(fld, sub),
                                        "reason": rs.to_numpy() if isinstance(rs, pd.Series)
                                        else rs}))

    missing = NEEDED_COLUMNS - set(f.columns)
    if indicator is None and "indicator" not in f.columns:
        missing.add("indicator")
    if missing:
        names = {"area": "gebied", "period": "jaar", "value": "waarde", "indicator": "indicator"}
        e = pd.DataFrame({"row": 0, "field": [names[m] for m in sorted(missing)],
                          "reason": t("kolom ontbreekt")})
        return Validated(raw.file, sha256, f.iloc[0:0], e, _empty(), raw.sheet)
    if f.empty:
        e = pd.DataFrame({"row": [0], "field": [""], "reason": [t("geen gegevensrijen")]})
        return Validated(raw.file, sha256, f, e, _empty(), raw.sheet)

    ind = indicators.set_index("id")
    if indicator is not None:
        if indicator not in ind.index:
            e = pd.DataFrame({"row": [0], "field": ["indicator"],
                              "reason": [t("onbekende indicator '{value}'",
                                           value=indicator)]})
            return Validated(raw.file, sha256, f.iloc[0:0], e, _empty(), raw.sheet)
        if "indicator" not in f.columns:
            f = f.assign(indicator=indicator)
        else:
            f = f.assign(indicator=f["indicator"].where(f["indicator"] != "", indicator))
    ind_ok = f["indicator"].isin(ind.index)
    err(~ind_ok, "indicator",
        lambda d: _each(t("onbekende indicator '{value}'"), value=d["indicator"]))
    if indicator is not None:
        other = ind_ok & (f["indicator"] != indicator)
        err(other, "indicator",
            lambda d: _each(t("andere indicator dan gekozen ('{value}')"), value=d["indicator"]))

    # Areas: code first, else exact name (case-insensitive), else the name written
    # loosely (accents, hyphens, 'St.'/'Sint-', spaces), with `niveau` if given.
    ctx = context or Context(areas, indicators)
    area = f["area"]
    level_col = f["level"].str.lower() if "level" in f.columns else pd.Series("", index=f.index)
    resolved = area.where(area.isin(ctx.codes))
    need = resolved.isna() & (area != "")
    ambiguous = pd.Series(False, index=f.index)
    if need.any():
        pairs = pd.DataFrame({"a": area[need], "l": level_col[need]})
        found = {(a, lv): ctx.area(a, lv) for a, lv in pairs.drop_duplicates().itertuples(
            index=False)}
        keys = list(zip(pairs["a"], pairs["l"]))
        resolved.loc[pairs.index] = [found[k][0] for k in keys]
        ambiguous.loc[pairs.index] = [found[k][1] for k in keys]
    err(ambiguous, "gebied", lambda d: _each(
        t("naam '{value}' komt meer dan eens voor; geef de code of de kolom niveau"),
        value=d["area"]))
    unknown = resolved.isna() & ~ambiguous & (area != "")
    unmatched = _unmatched(f[unknown], ctx, ind)
    hint = dict(zip(unmatched["value"], unmatched["candidates"]))
    with_hint = unknown & area.isin([v for v, c in hint.items() if c])
    err(unknown & ~with_hint, "gebied",
        lambda d: _each(t("onbekend gebied '{value}'"), value=d["area"]))
    err(with_hint, "gebied", lambda d: _each(
        t("onbekend gebied '{value}'; het meest gelijkend: {candidates}"), value=d["area"],
        candidates=d["area"].map(hint)))
    err(area == "", "gebied", t("gebied ontbreekt"))
    area_level = resolved.map(areas.set_index("code")["level"])

    # Level allowed for the indicator (vectorised: a set of allowed (indicator, level) keys).
    # Benchmark peers (level 'peer') take values of every indicator the sources compare
    # with the group average.
    compared = (ind.index[ind["comparison_value"].notna()] if "comparison_value" in ind
                else [])
    allowed_keys = pd.Index([f"{i}|{lv}" for i, levels in ind["levels"].items() for lv in levels]
                            + [f"{i}|{PEER}" for i in compared])
    level_ok = (f["indicator"] + "|" + area_level.fillna("")).isin(allowed_keys)
    bad_level = ind_ok & resolved.notna() & ~level_ok
    err(bad_level, "gebied", lambda d: _each(
        t("indicator '{indicator}' bestaat niet op niveau {level}"), indicator=d["indicator"],
        level=area_level[d.index]))

    # Period.
    today = today or dt.date.today()
    period = pd.to_numeric(f["period"], errors="coerce")
    not_int = period.isna() | (period != period.round())
    err(not_int, "jaar", lambda d: _each(t("'{value}' is geen jaartal"), value=d["period"]))
    out_of_range = ~not_int & ((period < FIRST_YEAR) | (period > today.year))
    err(out_of_range, "jaar", lambda d: _each(t("jaar {value} valt buiten {first}–{last}"),
                                              value=d["period"], first=[FIRST_YEAR] * len(d),
                                              last=[today.year] * len(d)))

    # Value.
    value = parse_numbers(f["value"])
    err(value.isna(), "waarde", lambda d: _each(t("'{value}' is geen getal"), value=d["value"]))
    lo = f["indicator"].map(ind["plausible_min"]).astype(float)
    hi = f["indicator"].map(ind["plausible_max"]).astype(float)
    negative = value.notna() & (value < 0) & (lo.fillna(-np.inf) >= 0)
    err(negative, "waarde", t("negatieve waarde kan niet voor deze indicator"))
    outside = value.notna() & ~negative & (((value < lo) & lo.notna()) |
                                           ((value > hi) & hi.notna()))
    err(outside, "waarde", lambda d: _each(
        t("waarde {value} buiten het plausibele bereik {low} – {high}"), value=d["value"],
        low=lo[d.index].map(_fmt), high=hi[d.index].map(_fmt)))

    # Unit.
    if "unit" in f.columns:
        expected_unit = f["indicator"].map(ind["unit"]).fillna("")
        wrong = ind_ok & (f["unit"] != "") & (f["unit"].str.lower() != expected_unit.str.lower())
        err(wrong, "eenheid", lambda d: _each(t("eenheid '{unit}' verschilt van '{expected}'"),
                                              unit=d["unit"], expected=expected_unit[d.index]))

    if "_extra" in f.columns:
        err(f["_extra"] == "1", "", t("meer cellen dan kolommen in de kopregel"))

    # Duplicates inside the file.
    key = pd.DataFrame({"i": f["indicator"], "a": resolved, "p": period})
    dup = key.duplicated(keep="first") & resolved.notna() & ~not_int
    if dup.any():
        first_row = key.assign(r=f["_row"]).groupby(["i", "a", "p"])["r"].transform("first")
        err(dup, "gebied+jaar", lambda d: _each(
            t("dubbel: zelfde indicator, gebied en jaar als rij {row}"),
            row=first_row[d.index].astype(str)))

    errors_df = (pd.concat(errors, ignore_index=True) if errors else _empty()
                 ).sort_values(["row", "field"], kind="stable")
    if wide_fields:  # one row of a wide sheet is several values: say each problem once
        errors_df = errors_df.drop_duplicates()
    errors_df = errors_df.reset_index(drop=True)
    rows = pd.DataFrame({
        "indicator_id": f["indicator"], "area_code": resolved, "period": period,
        "value": value, "source": f["source"] if "source" in f.columns else "",
        "note": f["note"] if "note" in f.columns else "", "_row": f["_row"],
    })
    if not errors_df.empty:
        return Validated(raw.file, sha256, rows, errors_df, _empty(), raw.sheet,
                         columns=res, unmatched=unmatched)
    rows["period"] = rows["period"].astype(int)
    warnings_df = _warnings(rows, current, ind, areas)
    if len(warnings_df) and labels.get("waarde") and not wide_fields:
        warnings_df["field"] = warnings_df["field"].replace({"waarde": labels["waarde"]})
    return Validated(raw.file, sha256, rows, errors_df, warnings_df, raw.sheet, columns=res,
                     unmatched=unmatched)


MAX_CANDIDATE_LOOKUPS = 500   # unknown area values given nearest candidates (per file)


def _unmatched(f: pd.DataFrame, ctx: Context, ind: pd.DataFrame) -> pd.DataFrame:
    """Every unknown area value once: the rows it is on and its closest areas (at the
    levels the rows' indicators exist at)."""
    if f.empty:
        return pd.DataFrame({"value": [], "rows": [], "candidates": []})
    levels = ind["levels"] if "levels" in ind else pd.Series(dtype=object)
    out = []
    for n, (value, group) in enumerate(f.groupby("area", sort=False)):
        rows = sorted(set(group["_row"].astype(int)))
        shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
        allowed: set[str] = set()
        for i in group["indicator"].unique():
            if i in levels.index:
                allowed |= set(levels[i])
        found = ctx.candidates(value, allowed or None) if n < MAX_CANDIDATE_LOOKUPS else []
        out.append((value, shown, ", ".join(found)))
    return pd.DataFrame(out, columns=["value", "rows", "candidates"])


def _fmt(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:g}"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype=int), "field": pd.Series(dtype=str),
                         "reason": pd.Series(dtype=str)})


def _warnings(rows: pd.DataFrame, current: pd.DataFrame | None, ind: pd.DataFrame,
              areas: pd.DataFrame) -> pd.DataFrame:
    """Year-on-year jumps and district sums that miss the city total (all vectorised)."""
    out: list[pd.DataFrame] = []
    keys = ["indicator_id", "area_code", "period"]
    known = rows[[*keys, "value"]]
    if current is not None and len(current):
        cur = current[[*keys, "value"]].merge(rows[keys], on=keys, how="left", indicator=True)
        cur = cur[cur["_merge"] == "left_only"].drop(columns="_merge")
        known = pd.concat([cur, known], ignore_index=True)
    prev = known.rename(columns={"value": "prev_value"}).assign(period=known["period"] + 1)
    joined = rows.merge(prev, on=keys, how="inner")
    jump = (joined["prev_value"] != 0) & (
        (joined["value"] - joined["prev_value"]).abs() / joined["prev_value"].abs() > JUMP_WARNING)
    if jump.any():
        j = joined[jump]
        out.append(pd.DataFrame({
            "row": j["_row"].to_numpy(), "field": "waarde",
            "reason": [t("sprong van {change} t.o.v. {year} ({before} → {after})",
                         change=f"{(v - p) / abs(p):+.0%}", year=int(y) - 1, before=f"{p:g}",
                         after=f"{v:g}")
                       for v, p, y in zip(j["value"], j["prev_value"], j["period"])]}))
    # District values vs the city total, for additive units, when a whole level is present.
    city_codes = areas.loc[areas["level"] == "gemeente", "code"]
    additive = [i for i, u in ind["unit"].items() if str(u).lower() in ADDITIVE_UNITS]
    if len(city_codes) and additive:
        level_of = areas.set_index("code")["level"]
        level_sizes = level_of.value_counts()
        sub = rows[rows["indicator_id"].isin(additive)].assign(
            level=lambda d: d["area_code"].map(level_of))
        sub = sub[~sub["level"].isin(["gemeente", PEER])]
        sums = sub.groupby(["indicator_id", "period", "level"]).agg(
            total=("value", "sum"), n=("value", "size"), row=("_row", "min")).reset_index()
        sums = sums[sums["n"] == sums["level"].map(level_sizes)]
        city = known[known["area_code"] == city_codes.iloc[0]][["indicator_id", "period",
                                                                "value"]]
        sums = sums.merge(city, on=["indicator_id", "period"], how="inner")
        off = sums[(sums["value"] != 0) &
                   ((sums["total"] - sums["value"]).abs() / sums["value"].abs() > SUM_TOLERANCE)]
        if len(off):
            out.append(pd.DataFrame({
                "row": off["row"].to_numpy(), "field": "waarde",
                "reason": [t("som van de {levels} voor {indicator} {year} is {total}, "
                             "stadstotaal is {city}", levels=level_plural(lv), indicator=i,
                             year=p, total=f"{tot:g}", city=f"{c:g}")
                           for i, p, lv, tot, c in zip(off["indicator_id"], off["period"],
                                                       off["level"], off["total"],
                                                       off["value"])]}))
    return (pd.concat(out, ignore_index=True) if out else _empty())


@dataclass
class Inspected:
    """A file's header row and columns as detected (or as ``mapping`` says), before any
    row is validated: what the editor shows for confirmation."""

    columns: Resolved | None
    preview: pd.DataFrame | None
    problems: list[Problem]
    sheet: str | None = None


def inspect_file(data: bytes, file: str, store, indicator: str | None = None,
                 sheet: str | None = None, mapping: Mapping | None = None) -> Inspected:
    from ..errors import InputError

    mapping = mapping or Mapping()
    try:
        grid = read_grid(data, file, sheet or mapping.sheet)
    except InputError as exc:
        return Inspected(None, None, exc.problems)
    ctx = Context(store.areas(), store.indicators(), indicator or mapping.indicator)
    res = detect(file, grid.head, ctx, mapping, NEEDED_COLUMNS)
    return Inspected(res, grid_preview(grid.head, res), res.problems, grid.sheet)


def validate_file(data: bytes, file: str, store, indicator: str | None = None,
                  sheet: str | None = None, mapping: Mapping | None = None) -> Validated:
    """Read + map the columns + validate; reading and column problems come back as errors
    too (never an exception). ``mapping`` is a person's confirmed or saved column choice
    (its indicator and sheet apply when none is given here)."""
    from ..errors import InputError

    mapping = mapping or Mapping()
    indicator = indicator or mapping.indicator
    sheet = sheet or mapping.sheet
    sha = bytes_sha256(data)

    def refused(problems, res=None, preview=None, sheet_name=None) -> Validated:
        e = pd.DataFrame({"row": [p.row or 0 for p in problems],
                          "field": [p.field or "" for p in problems],
                          "reason": [p.reason for p in problems]})
        return Validated(file, sha, pd.DataFrame(), e, _empty(), sheet_name, columns=res,
                         preview=preview)

    try:
        grid = read_grid(data, file, sheet)
    except InputError as exc:
        return refused(exc.problems)
    indicators = store.indicators()
    areas = store.areas()
    ctx = Context(areas, indicators, indicator)
    res = detect(file, grid.head, ctx, mapping, NEEDED_COLUMNS)
    preview = grid_preview(grid.head, res)
    if res.problems:
        return refused(res.problems, res, preview, grid.sheet)
    try:
        frame, labels = apply_columns(grid, res)
    except InputError as exc:
        return refused(exc.problems, res, preview, grid.sheet)
    raw = RawTable(file, frame, grid.sheet, labels, res)
    ids = (sorted(raw.frame["indicator"].unique().tolist())
           if "indicator" in raw.frame.columns else [])
    if indicator:
        ids = sorted(set(ids) | {indicator})
    current = store.current_values([i for i in ids if i])
    validated = validate(raw, sha, indicators, areas, current, indicator, context=ctx)
    validated.preview = preview
    return validated
