"""The indicator catalog: human-editable CSV files → validated frames → the store.

Files (see docs/catalog.md): ``spearheads.csv``, ``indicators.csv``, ``goals.csv`` and
``measurements.csv`` (real, city-level figures reported in the source documents).
Validation collects every problem, each naming file, row and field, before anything is
written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from .cityconfig import CityConfig
from .datacalendar import CADENCES
from .errors import InputError, Problem
from .goaltypes import GOAL_TYPES, parse_derived
from .safety import bytes_sha256
from .store import DIRECTIONS, GOAL_KINDS, LEVELS

FILES = ("spearheads.csv", "indicators.csv", "goals.csv", "measurements.csv")

REQUIRED = {
    "spearheads.csv": ["id", "slug", "name", "source_section"],
    "indicators.csv": [
        "id", "spearhead_id", "name", "unit", "direction", "levels", "definition",
        "source_document", "source_section",
    ],
    "goals.csv": ["indicator_id", "year", "value", "kind", "source_section"],
    "measurements.csv": ["indicator_id", "period", "value", "source_section"],
}
OPTIONAL = {
    "spearheads.csv": ["sdgs"],
    "indicators.csv": [
        "sdgs",
        "comparison_label", "comparison_value", "comparison_year", "plausible_min",
        "plausible_max",
        # Goal semantics (goaltypes.py) and data calendar (datacalendar.py).
        "goal_type", "goal_areas", "derived_from", "cadence", "lag_months", "assumption",
    ],
    "goals.csv": ["note", "illustrative"],
    # illustrative: ja/1/true for a figure made up to illustrate (a new city's first
    # catalog); stored with the flag and shown "illustratief" like generated series.
    # source_document: when the figure comes from another document than the indicator's.
    "measurements.csv": ["note", "illustrative", "source_document"],
}
# One catalog file at most (the real ones are under 100 kB; a city of a thousand indicators
# with translations stays under a few MB): read whole, so bounded before pandas sees it.
MAX_CATALOG_BYTES = 20 * 1024 * 1024
TRUE_WORDS = {"ja", "yes", "true", "1", "waar"}
FALSE_WORDS = {"", "nee", "no", "false", "0", "onwaar"}


@dataclass(frozen=True)
class Catalog:
    spearheads: pd.DataFrame
    indicators: pd.DataFrame
    goals: pd.DataFrame
    measurements: pd.DataFrame
    sha256: str


def _int_list(text: str) -> list[int]:
    return [int(p) for p in str(text).split(";") if p.strip()]


def _str_list(text: str) -> list[str]:
    return [p.strip() for p in str(text).split(";") if p.strip()]


def _too_big(path: Path) -> str | None:
    """The reason ``path`` is not read (over MAX_CATALOG_BYTES), else None."""
    size = path.stat().st_size
    if size <= MAX_CATALOG_BYTES:
        return None
    return (f"'{path.name}' is groter dan {MAX_CATALOG_BYTES // (1024 * 1024)} MB; "
            f"de grens is {MAX_CATALOG_BYTES // (1024 * 1024)} MB")


def _read_csv(path: Path) -> pd.DataFrame:
    """A catalog CSV as strings; InputError when over the size limit."""
    reason = _too_big(path)
    if reason:
        raise InputError([Problem(str(path), None, None, reason)])
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def catalog_sha256(folder: Path) -> str:
    return bytes_sha256(b"".join(name.encode() + (folder / name).read_bytes()
                                 for name in FILES))


def read_catalog(folder: Path) -> Catalog:
    """Read and validate the four catalog files; raise InputError listing every problem."""
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for name in FILES:
        path = folder / name
        if not path.exists():
            problems.append(Problem(str(path), None, None, "bestand ontbreekt"))
            continue
        reason = _too_big(path)
        if reason:
            problems.append(Problem(str(path), None, None, reason))
            continue
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            problems.append(Problem(str(path), None, None, f"onleesbaar CSV-bestand: {exc}"))
            continue
        missing = [c for c in REQUIRED[name] if c not in df.columns]
        for col in missing:
            problems.append(Problem(str(path), None, col, "kolom ontbreekt"))
        for col in OPTIONAL.get(name, []):
            if col not in df.columns:
                df[col] = ""
        df = df.apply(lambda s: s.str.strip())
        df["_row"] = range(2, len(df) + 2)  # row 1 is the header
        df["_file"] = str(path)
        frames[name] = df
    if problems:
        raise InputError(problems)

    sp, ind, goals, meas = (frames[n] for n in FILES)

    def bad(df: pd.DataFrame, row: int, field: str, reason: str) -> None:
        problems.append(Problem(df["_file"].iat[0], row, field, reason))

    def check_required(df: pd.DataFrame, cols: list[str]) -> None:
        for col in cols:
            for row in df.loc[df[col] == "", "_row"]:
                bad(df, int(row), col, "verplicht veld is leeg")

    def check_number(df: pd.DataFrame, col: str, integer: bool = False, optional=False):
        for value, row in zip(df[col], df["_row"]):
            if value == "" and (optional or col in REQUIRED[Path(df["_file"].iat[0]).name]):
                continue  # optional, or already reported as an empty required field
            try:
                number = float(value)
                if integer and number != int(number):
                    raise ValueError
            except ValueError:
                kind = "geheel getal" if integer else "getal"
                bad(df, int(row), col, f"'{value}' is geen {kind}")

    def check_unique(df: pd.DataFrame, cols: list[str]) -> None:
        dup = df[df.duplicated(cols, keep="first")]
        for row in dup["_row"]:
            bad(df, int(row), "+".join(cols), "dubbele sleutel")

    check_required(sp, REQUIRED["spearheads.csv"])
    check_number(sp, "id", integer=True)
    check_unique(sp, ["id"])
    check_required(ind, REQUIRED["indicators.csv"])
    check_unique(ind, ["id"])
    check_number(ind, "spearhead_id", integer=True)
    for col in ("comparison_value", "plausible_min", "plausible_max"):
        check_number(ind, col, optional=True)
    check_number(ind, "comparison_year", integer=True, optional=True)
    for col, frame in (("sdgs", sp), ("sdgs", ind)):
        for value, row in zip(frame[col], frame["_row"]):
            try:
                sdgs = _int_list(value)  # empty: the source shows no SDG for it
                if any(not 1 <= s <= 17 for s in sdgs):
                    raise ValueError
            except ValueError:
                bad(frame, int(row), col, f"'{value}' is geen lijst van SDG-nummers 1-17")
    for value, row in zip(ind["direction"], ind["_row"]):
        if value not in DIRECTIONS:
            bad(ind, int(row), "direction", f"'{value}' moet 'higher' of 'lower' zijn")
    for value, row in zip(ind["levels"], ind["_row"]):
        levels = _str_list(value)
        if "gemeente" not in levels or any(lv not in LEVELS for lv in levels):
            bad(ind, int(row), "levels", f"'{value}': niveaus uit {LEVELS}, met 'gemeente'")
    spearhead_ids = set(sp["id"])
    for value, row in zip(ind["spearhead_id"], ind["_row"]):
        if value not in spearhead_ids:
            bad(ind, int(row), "spearhead_id", f"onbekend speerpunt '{value}'")

    indicator_ids = set(ind["id"])
    with_goals = set(goals.loc[goals["kind"] != "baseline", "indicator_id"])
    for r in ind.to_dict("records"):
        row, kind = int(r["_row"]), r["goal_type"] or ("level" if r["id"] in with_goals
                                                       else "none")
        if kind not in GOAL_TYPES:
            bad(ind, row, "goal_type", f"'{kind}' moet een van {GOAL_TYPES} zijn")
            continue
        if kind == "none" and r["id"] in with_goals:
            bad(ind, row, "goal_type", "'none' maar goals.csv heeft een doel voor deze "
                                       "indicator")
        if kind != "none" and r["id"] not in with_goals:
            bad(ind, row, "goal_type", f"'{kind}' maar goals.csv heeft geen doel voor deze "
                                       "indicator")
        try:
            derived = parse_derived(r["derived_from"])
        except ValueError as exc:
            bad(ind, row, "derived_from", str(exc))
            derived = None
        if kind == "per_capita" and derived is None and not r["derived_from"]:
            bad(ind, row, "derived_from", "een afgeleid doel (per_capita) heeft een formule "
                                          "nodig, bv. 'laadpunten / inwoners * 100'")
        for ref in (derived.count, derived.population) if derived else ():
            if ref not in set(ind["id"]):
                bad(ind, row, "derived_from", f"onbekende indicator '{ref}'")
        if kind == "share_in_areas" and not _str_list(r["goal_areas"]):
            bad(ind, row, "goal_areas", "een doel in genoemde gebieden heeft gebieden nodig")
        if r["cadence"] and r["cadence"] not in CADENCES:
            bad(ind, row, "cadence", f"'{r['cadence']}' moet een van {tuple(CADENCES)} zijn")
    derived_ids = set(ind.loc[ind["derived_from"] != "", "id"])
    for value, row in zip(meas["indicator_id"], meas["_row"]):
        if value in derived_ids:
            bad(meas, int(row), "indicator_id", f"'{value}' wordt berekend (derived_from), "
                                                "laad de teller en de bevolking")
    check_number(ind, "lag_months", integer=True, optional=True)
    for frame, year_col in ((goals, "year"), (meas, "period")):
        check_required(frame, REQUIRED[Path(frame["_file"].iat[0]).name] if len(frame) else [])
        check_number(frame, year_col, integer=True)
        check_number(frame, "value")
        for value, row in zip(frame["indicator_id"], frame["_row"]):
            if value not in indicator_ids:
                bad(frame, int(row), "indicator_id", f"onbekende indicator '{value}'")
    for value, row in zip(goals["kind"], goals["_row"]):
        if value not in GOAL_KINDS:
            bad(goals, int(row), "kind", f"'{value}' moet een van {GOAL_KINDS} zijn")
    check_unique(goals, ["indicator_id", "year", "kind"])
    check_unique(meas, ["indicator_id", "period"])
    for frame in (meas, goals):
        for value, row in zip(frame["illustrative"], frame["_row"]):
            if value.strip().lower() not in TRUE_WORDS | FALSE_WORDS:
                bad(frame, int(row), "illustrative", f"'{value}' moet ja of nee zijn")
    if problems:
        raise InputError(problems)

    sp = sp.assign(id=sp["id"].astype(int), sdgs=sp["sdgs"].map(_int_list))
    num = lambda s: pd.to_numeric(s.replace("", None))  # noqa: E731
    ind = ind.assign(
        spearhead_id=ind["spearhead_id"].astype(int),
        levels=ind["levels"].map(_str_list),
        sdgs=ind["sdgs"].map(_int_list),
        comparison_value=num(ind["comparison_value"]),
        comparison_year=num(ind["comparison_year"]).astype("Int64"),
        plausible_min=num(ind["plausible_min"]),
        plausible_max=num(ind["plausible_max"]),
        comparison_label=ind["comparison_label"].replace("", None),
        position=range(len(ind)),
        goal_type=[k or ("level" if i in set(goals.loc[goals["kind"] != "baseline",
                                                          "indicator_id"]) else "none")
                   for i, k in zip(ind["id"], ind["goal_type"])],
        goal_areas=ind["goal_areas"].map(lambda v: _str_list(v) or None),
        derived_from=ind["derived_from"].replace("", None),
        cadence=ind["cadence"].replace("", None),
        lag_months=num(ind["lag_months"]).astype("Int64"),
        assumption=ind["assumption"].replace("", None),
    )
    goals = goals.assign(year=goals["year"].astype(int), value=goals["value"].astype(float),
                         illustrative=goals["illustrative"].str.strip().str.lower()
                         .isin(TRUE_WORDS))
    meas = meas.assign(period=meas["period"].astype(int), value=meas["value"].astype(float),
                       illustrative=meas["illustrative"].str.strip().str.lower().isin(TRUE_WORDS))
    drop = ["_row", "_file"]
    return Catalog(
        spearheads=sp.drop(columns=drop),
        indicators=ind.drop(columns=drop),
        goals=goals.drop(columns=drop),
        measurements=meas.drop(columns=drop),
        sha256=catalog_sha256(folder),
    )


def write_catalog(
    cur: duckdb.DuckDBPyConnection, cat: Catalog, batch_id: str, area_code: str
) -> None:
    """Replace the catalog tables and the catalog's own measurements (inside a transaction).

    Measurements of other batches (illustrative, coordinator loads) are untouched.
    """
    cur.execute("DELETE FROM goal")
    cur.execute("DELETE FROM indicator")
    cur.execute("DELETE FROM spearhead")
    # Earlier catalog versions are replaced (the catalog's history lives in git).
    cur.execute("DELETE FROM measurement WHERE batch_id IN "
                "(SELECT id FROM batch WHERE kind = 'catalog' AND id <> ?)", [batch_id])
    cur.execute("DELETE FROM batch WHERE kind = 'catalog' AND id <> ?", [batch_id])
    frame = cat.spearheads  # noqa: F841 (DuckDB reads local frames by name)
    cur.execute("INSERT INTO spearhead (id, slug, name, sdgs, source_section) "
                "SELECT id, slug, name, sdgs, source_section FROM frame")
    frame = cat.indicators  # noqa: F841
    cur.execute(
        "INSERT INTO indicator (id, spearhead_id, name, unit, direction, levels, sdgs, "
        "definition, source_document, source_section, comparison_label, comparison_value, "
        "comparison_year, plausible_min, plausible_max, position, goal_type, goal_areas, "
        "derived_from, cadence, lag_months, assumption) "
        "SELECT id, spearhead_id, name, unit, direction, levels, sdgs, definition, "
        "source_document, source_section, comparison_label, comparison_value, comparison_year, "
        "plausible_min, plausible_max, position, goal_type, goal_areas, derived_from, cadence, "
        "lag_months, assumption FROM frame")
    frame = cat.goals  # noqa: F841
    cur.execute("INSERT INTO goal (indicator_id, year, value, kind, source_section, note, "
                "illustrative) SELECT indicator_id, year, value, kind, source_section, note, "
                "illustrative FROM frame")
    docs = cat.indicators.set_index("id")["source_document"]
    meas = cat.measurements.assign(
        area_code=area_code,
        source=[f"{d or docs[i]}, {s}" for i, s, d in
                zip(cat.measurements["indicator_id"], cat.measurements["source_section"],
                    cat.measurements["source_document"])],
        batch_id=batch_id,
        replaced_by=None,
    )
    frame = meas[["indicator_id", "area_code", "period", "value", "source", "illustrative",  # noqa: F841
                  "batch_id", "replaced_by", "note"]]
    cur.execute("INSERT INTO measurement SELECT * FROM frame")


# ------------------------------------------------------------------ content translations
TRANSLATIONS = "translations.csv"
TRANSLATION_COLUMNS = ("entity", "id", "field", "lang", "text")
# Which catalog texts are translated (entity → fields); see i18n.content.
TRANSLATED_FIELDS = {
    "spearhead": ("name",),
    "indicator": ("name", "unit", "definition", "comparison_label", "assumption"),
    "city": ("name", "vision", "caption"),
    "section": ("title", "intro"),
    "document": ("subtitle", "publisher", "date", "description"),
    "benchmark": ("group", "comparison_label"),
    "spotlight": ("title", "intro"),
    "action": ("title", "text"),
}
ACTIONS = "actions.csv"  # the note's actions (dashboard.actions); optional for a city


def translatable_texts(folder: Path, city: CityConfig) -> dict[tuple[str, str, str], str]:
    """Every catalog text shown on screen that needs a translation: (entity, id, field) →
    the Dutch text. Empty optional fields (no comparison) need none."""
    out: dict[tuple[str, str, str], str] = {}
    for entity, name in (("spearhead", "spearheads.csv"), ("indicator", "indicators.csv")):
        frame = _read_csv(folder / name)
        for row in frame.to_dict("records"):
            for f in TRANSLATED_FIELDS[entity]:
                if str(row.get(f, "")).strip():
                    out[(entity, str(row["id"]), f)] = row[f]
    if (folder / ACTIONS).exists():
        for row in _read_csv(folder / ACTIONS).to_dict("records"):
            for f in TRANSLATED_FIELDS["action"]:
                if str(row.get(f, "")).strip():
                    out[("action", str(row["id"]), f)] = row[f]
    for f in TRANSLATED_FIELDS["city"]:
        if getattr(city, f).strip():
            out[("city", city.nis_code, f)] = getattr(city, f)
    for f in TRANSLATED_FIELDS["benchmark"] if city.benchmark is not None else ():
        if getattr(city.benchmark, f).strip():
            out[("benchmark", city.nis_code, f)] = getattr(city.benchmark, f)
    for spot in city.spotlights:
        for f in TRANSLATED_FIELDS["spotlight"]:
            if getattr(spot, f).strip():
                out[("spotlight", spot.key, f)] = " ".join(getattr(spot, f).split())
    for doc in city.documents:
        for f in TRANSLATED_FIELDS["document"]:
            if getattr(doc, f).strip():
                out[("document", doc.key, f)] = getattr(doc, f)
    for s in city.map_sections:
        for f in TRANSLATED_FIELDS["section"]:
            if getattr(s, f).strip():
                out[("section", s.key, f)] = getattr(s, f)
    return out


def translation_problems(folder: Path, city: CityConfig, langs: tuple[str, ...] = ("en", "fr")
                         ) -> tuple[list[Problem], list[tuple[str, str, str, str]]]:
    """Check ``translations.csv``: (problems with its rows — unknown language, entity, id or
    field, empty text, duplicates —, translations missing as (entity, id, field, lang))."""
    path = folder / TRANSLATIONS
    wanted = translatable_texts(folder, city)
    if not path.exists():
        return ([Problem(str(path), None, None, "bestand ontbreekt")],
                sorted((*k, lang) for k in wanted for lang in langs))
    frame = _read_csv(path)
    missing_cols = [c for c in TRANSLATION_COLUMNS if c not in frame.columns]
    if missing_cols:
        return ([Problem(str(path), None, c, "kolom ontbreekt") for c in missing_cols], [])
    problems: list[Problem] = []
    have: set[tuple[str, str, str, str]] = set()
    for i, row in enumerate(frame.to_dict("records"), start=2):
        key = (row["entity"], row["id"], row["field"])
        if row["lang"] not in langs:
            problems.append(Problem(str(path), i, "lang", f"onbekende taal '{row['lang']}'"))
        elif key not in wanted:
            problems.append(Problem(str(path), i, "id", "geen tekst in de catalogus voor "
                                    f"{row['entity']} '{row['id']}', veld '{row['field']}'"))
        elif not row["text"].strip():
            problems.append(Problem(str(path), i, "text", "lege vertaling"))
        elif (*key, row["lang"]) in have:
            problems.append(Problem(str(path), i, "id", "dubbele vertaling"))
        have.add((*key, row["lang"]))
    missing = sorted((*k, lang) for k in wanted for lang in langs if (*k, lang) not in have)
    return problems, missing
