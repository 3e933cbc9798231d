"""Which column of a city service's sheet holds what: header row, column roles, wide layouts.

A sheet as city services send it ("Laadpunten per sector" with a title row and the
headers ``Sector | Sectorcode | Jaar | Aantal laadpunten | Eenheid | Opmerking``) is read
into a :class:`~dashboard.loads.read.Grid` (rows of text, the file's own row numbers);
:func:`detect` finds the header row and gives every column a role (``area``, ``period``,
``value``, ``indicator``, ``level``, ``unit``, ``source``, ``note``) from a Dutch, French
and English vocabulary and from the content (NIS and sector codes, area names, four-digit
years, numbers). Years as columns (``2019 | 2020 | 2021``) or one indicator per column are
*wide* layouts that :func:`apply` turns into long rows.

What was detected is a :class:`Resolved`; a person confirms or corrects it as a
:class:`Mapping` (column roles by header text), which can be saved under a name
(:func:`save_mapping`: a small JSON file under the data directory) and reused by the
editor and the command line. Nothing here reads the database or Streamlit.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..i18n import t

ROLES = ("indicator", "area", "level", "period", "value", "unit", "source", "note")
# The Dutch column name of each role: what the template uses and problems are reported as.
FIELD = {"indicator": "indicator", "area": "gebied", "level": "niveau", "period": "jaar",
         "value": "waarde", "unit": "eenheid", "source": "bron", "note": "opmerking"}
# Role names people may type (CLI ``--column ROLE=HEADER``): English and Dutch.
ROLE_NAMES = {**{r: r for r in ROLES}, **{v: k for k, v in FIELD.items()}}
WIDE_KINDS = ("none", "period", "indicator")
# The headers of the board's own template and its long-standing aliases: a file whose
# columns all carry one of these needs no confirmation of its mapping.
STANDARD = {
    "indicator": "indicator", "indicator_id": "indicator", "indicatorcode": "indicator",
    "gebied": "area", "gebiedscode": "area", "area": "area", "area_code": "area",
    "code": "area", "naam gebied": "area",
    "niveau": "level", "level": "level",
    "jaar": "period", "periode": "period", "period": "period", "year": "period",
    "waarde": "value", "value": "value",
    "eenheid": "unit", "unit": "unit",
    "bron": "source", "source": "source",
    "opmerking": "note", "note": "note",
}
# Header words per role (normalised: lower case, no accents, separators as spaces).
VOCABULARY = {
    "indicator": {"indicator", "indicator id", "indicatorcode", "indicator code",
                  "indicatoren", "indicateur", "kpi", "variabele", "variable", "maatstaf",
                  "measure", "mesure"},
    "area": {"gebied", "gebieden", "gebiedscode", "gebiedsnaam", "naam gebied", "area",
             "area code", "area name", "wijk", "wijken", "wijknaam", "wijkcode", "buurt",
             "sector", "sectoren", "sectorcode", "sectornaam", "statistische sector",
             "statsec", "deelgemeente", "deelgemeenten", "gemeente", "fusiegemeente",
             "nis", "niscode", "nis code", "code", "zone", "quartier", "secteur",
             "secteur statistique", "commune", "section", "district", "neighbourhood",
             "neighborhood", "locatie", "location", "plaats", "entiteit", "entite",
             "territoire", "lieu"},
    "level": {"niveau", "level", "gebiedsniveau", "type gebied", "gebiedstype",
              "niveau geographique", "echelle"},
    "period": {"jaar", "jaartal", "jaren", "periode", "peiljaar", "referentiejaar",
               "period", "year", "annee", "annees", "date", "datum", "exercice"},
    "value": {"waarde", "waarden", "aantal", "getal", "totaal", "cijfer", "cijfers",
              "hoeveelheid", "meting", "resultaat", "score", "value", "valeur", "nombre",
              "count", "total", "amount", "quantity", "quantite", "montant", "number",
              "result", "resultat", "percentage", "aandeel", "share", "part"},
    "unit": {"eenheid", "eenheden", "maateenheid", "meeteenheid", "unite", "unites",
             "unit", "units"},
    "source": {"bron", "bronnen", "bronvermelding", "herkomst", "source", "sources",
               "origine", "provenance"},
    "note": {"opmerking", "opmerkingen", "toelichting", "commentaar", "uitleg", "nota",
             "notitie", "remarque", "remarques", "commentaire", "commentaires", "note",
             "notes", "comment", "comments", "memo", "explication"},
}
HEADER_SCAN_ROWS = 20     # the header row is looked for in the first 20 rows
SAMPLE_ROWS = 50          # rows below the header the content is judged on
CONTENT_ONLY = 1.6        # a column without a known header: 80 % of its content must fit
MAX_MAPPING_BYTES = 64 * 1024
MAX_HEADER_TEXT = 200
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_YEAR_IN = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_CODE = re.compile(r"\d{5}(?:[A-Z][0-9A-Z]{2}[0-9A-Z-]|W[A-Z]|[A-Z])?")


@functools.lru_cache(maxsize=8192)
def _norm(text: str) -> str:
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    tokens = re.sub(r"[^0-9a-z]+", " ", s).split()
    return " ".join("sint" if tk in {"st", "snt"} else tk for tk in tokens)


def norm(text) -> str:
    """Text compared loosely: no accents, lower case, separators (hyphens, dots, brackets,
    apostrophes) as one space, 'St.' / 'St-' / 'St ' read as 'Sint'."""
    return _norm(str(text))


@functools.lru_cache(maxsize=8192)
def header_score(header: str, role: str) -> int:
    """3: the header is a word of the role; 2: it contains one; 1: a word starts with one
    (compounds such as 'sectornaam'); 0: none."""
    h = norm(header)
    if not h:
        return 0
    words = VOCABULARY[role]
    if h in words:
        return 3
    tokens = h.split()
    pairs = {" ".join(tokens[i:i + 2]) for i in range(len(tokens) - 1)}
    if set(tokens) & words or pairs & words:
        return 2
    if any(tk.startswith(w) for tk in tokens for w in words if len(w) >= 4):
        return 1
    return 0


def header_year(header: str) -> int | None:
    """The year a header stands for: '2021', 'Aantal 2021', 'waarde (2021)'; None if the
    header holds anything but a year and value words."""
    h = norm(header)
    years = _YEAR_IN.findall(h)
    if len(years) != 1:
        return None
    rest = [tk for tk in h.split() if tk != years[0]]
    if all(tk in VOCABULARY["value"] or tk in {"in", "en", "op", "per", "van", "de", "het",
                                                "jaar", "year", "annee"} for tk in rest):
        return int(years[0])
    return None


# --------------------------------------------------------------------- the area lookup
@dataclass
class Context:
    """What the content is compared with: the board's areas and indicators."""

    areas: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"code": [], "level": [], "name": []}))
    indicators: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"id": [], "name": [], "unit": []}))
    indicator: str | None = None   # the indicator chosen for the whole file

    def __post_init__(self) -> None:
        a = self.areas
        self.codes = set(a["code"].astype(str))
        self.upper_codes = {c.upper(): c for c in self.codes}
        names = a.assign(k=a["name"].astype(str).str.lower(),
                         n=a["name"].astype(str).map(norm))
        self.by_name = names.groupby("k")["code"].agg(list).to_dict()
        self.by_name_level = names.groupby(["k", "level"])["code"].agg(list).to_dict()
        self.by_norm = names.groupby("n")["code"].agg(list).to_dict()
        self.by_norm_level = names.groupby(["n", "level"])["code"].agg(list).to_dict()
        self.level_of = dict(zip(a["code"], a["level"]))
        self.name_of = dict(zip(a["code"], a["name"]))
        self.levels = set(a["level"].astype(str))
        ind = self.indicators
        self.indicator_ids = set(ind["id"].astype(str))
        self.indicator_by_norm = {norm(v): i for col in ("id", "name") if col in ind
                                  for i, v in zip(ind["id"], ind[col])}
        self.units = {str(u).lower() for u in ind.get("unit", []) if pd.notna(u)}

    def area(self, value: str, level: str = "") -> tuple[str | None, bool, str]:
        """(code, ambiguous, how) for one cell: by code, exact name, normalised name;
        ``level`` (the ``niveau`` column) narrows names used at several levels."""
        if not value:
            return None, False, ""
        if value in self.codes:
            return value, False, "code"
        code = self.upper_codes.get(value.upper().replace(" ", ""))
        if code is not None:
            return code, False, "code"
        lower = value.lower()
        codes = (self.by_name_level.get((lower, level), []) if level
                 else self.by_name.get(lower, []))
        how = "name"
        if not codes:
            n = norm(value)
            codes = (self.by_norm_level.get((n, level), []) if level
                     else self.by_norm.get(n, []))
            how = "normalised"
        if len(codes) == 1:
            return codes[0], False, how
        return None, len(codes) > 1, how if codes else ""

    def candidates(self, value: str, levels: set[str] | None = None, n: int = 3
                   ) -> list[str]:
        """The closest areas to an unmatched value, as 'name (code)'."""
        pool = [(c, self.name_of[c]) for c in self.codes
                if not levels or self.level_of[c] in levels]
        if not pool:
            return []
        by_key: dict[str, list[str]] = {}
        for code, name in pool:
            by_key.setdefault(norm(name), []).append(code)
            by_key.setdefault(code.lower(), []).append(code)
        hits = difflib.get_close_matches(norm(value) if not _CODE.fullmatch(value.upper())
                                         else value.lower(), list(by_key), n=n, cutoff=0.6)
        out: list[str] = []
        for key in hits:
            for code in sorted(by_key[key]):
                label = f"{self.name_of[code]} ({code})"
                if label not in out:
                    out.append(label)
        return out[:n]


# ------------------------------------------------------------------------- a mapping
@dataclass
class Mapping:
    """A person's choice: which header holds which role (``""``: the role is not used),
    the layout, the header row (1-based; None: detected) and, optionally, the indicator
    and sheet of the file. Headers are matched loosely (:func:`norm`)."""

    columns: dict[str, str] = field(default_factory=dict)
    wide: str | None = None                 # None: detected; else one of WIDE_KINDS
    indicator_columns: dict[str, str] = field(default_factory=dict)  # header → indicator
    header_row: int | None = None
    indicator: str | None = None
    sheet: str | None = None

    def is_empty(self) -> bool:
        return not (self.columns or self.wide or self.indicator_columns or self.header_row)

    def to_json(self) -> dict:
        return {"kind": "kolomindeling", "version": 1, "columns": dict(self.columns),
                "wide": self.wide, "indicator_columns": dict(self.indicator_columns),
                "header_row": self.header_row, "indicator": self.indicator,
                "sheet": self.sheet}

    @classmethod
    def from_json(cls, data, where: str) -> Mapping:
        """Check a stored mapping: only known keys, roles and layouts, short texts."""
        def bad(reason: str) -> InputError:
            return InputError([Problem(where, None, None, reason)])

        if not isinstance(data, dict) or data.get("kind") != "kolomindeling":
            raise bad(t("geen kolomindeling"))
        def text(v, allow_none=True):
            if v is None and allow_none:
                return None
            if not isinstance(v, str) or len(v) > MAX_HEADER_TEXT:
                raise bad(t("ongeldige waarde in de kolomindeling"))
            return v
        columns = data.get("columns") or {}
        if not isinstance(columns, dict) or not set(columns) <= set(ROLES):
            raise bad(t("ongeldige rollen in de kolomindeling"))
        wide = data.get("wide")
        if wide is not None and wide not in WIDE_KINDS:
            raise bad(t("ongeldige indeling '{wide}'", wide=str(wide)[:40]))
        ind_cols = data.get("indicator_columns") or {}
        if not isinstance(ind_cols, dict) or len(ind_cols) > 200:
            raise bad(t("ongeldige waarde in de kolomindeling"))
        header_row = data.get("header_row")
        if header_row is not None and (not isinstance(header_row, int)
                                       or isinstance(header_row, bool)
                                       or not 1 <= header_row <= HEADER_SCAN_ROWS):
            raise bad(t("ongeldige waarde in de kolomindeling"))
        return cls({r: text(h, False) for r, h in columns.items()}, wide,
                   {text(h, False): text(i, False) for h, i in ind_cols.items()},
                   header_row, text(data.get("indicator")), text(data.get("sheet")))


def parse_column_flags(flags: list[str]) -> Mapping:
    """``ROLE=HEADER`` (``--column``; ``ROLE=`` leaves a role out) into a mapping."""
    m = Mapping()
    for flag in flags:
        role, sep, header = flag.partition("=")
        role = ROLE_NAMES.get(role.strip().lower())
        if not sep or role is None:
            raise InputError([Problem("--column", None, None, t(
                "'{flag}': verwacht ROL=KOLOM met ROL een van {roles}", flag=flag,
                roles=", ".join(ROLES)))])
        m.columns[role] = header.strip()
    return m


def mapping_dir(settings) -> Path:
    """Named mappings live next to the database, in the data directory."""
    return Path(settings.db_path).parent / "kolomindelingen"


def _mapping_path(folder: Path, name: str) -> Path:
    if not _NAME.fullmatch(name or ""):
        raise InputError([Problem(name, None, None, t(
            "ongeldige naam voor een kolomindeling (letters, cijfers, '-', '_' of '.', "
            "hoogstens 64 tekens)"))])
    return folder / f"{name}.json"


def save_mapping(folder: Path, name: str, mapping: Mapping) -> Path:
    path = _mapping_path(folder, name)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(mapping.to_json(), ensure_ascii=False, indent=2),
                   encoding="utf-8")
    tmp.replace(path)
    return path


def load_mapping(folder: Path, name: str) -> Mapping:
    path = _mapping_path(folder, name)
    if not path.is_file():
        known = ", ".join(list_mappings(folder)) or t("(geen)")
        raise InputError([Problem(name, None, None, t(
            "kolomindeling '{name}' bestaat niet; wel: {names}", name=name, names=known))])
    if path.stat().st_size > MAX_MAPPING_BYTES:
        raise InputError([Problem(path.name, None, None, t(
            "kolomindeling is groter dan {n} kB", n=MAX_MAPPING_BYTES // 1024))])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError([Problem(path.name, None, None, t("onleesbare kolomindeling"))]
                         ) from None
    return Mapping.from_json(data, path.name)


def list_mappings(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if _NAME.fullmatch(p.stem))


# ------------------------------------------------------------------------ detection
@dataclass
class Resolved:
    """Where the header is and which column (by position) plays which role."""

    header_at: int | None                  # 0-based index in the grid; None: not found
    header: list[str]                      # the header row's cells as in the file
    roles: dict[str, int] = field(default_factory=dict)
    wide: str = "none"
    wide_columns: dict[int, object] = field(default_factory=dict)  # column → year / id
    standard: bool = True                  # only the template's own headers, long layout
    problems: list[Problem] = field(default_factory=list)
    detected: set[str] = field(default_factory=set)   # roles found from content alone

    @property
    def header_row(self) -> int | None:
        return None if self.header_at is None else self.header_at + 1

    def label(self, i: int) -> str:
        h = self.header[i] if i < len(self.header) else ""
        return h or t("kolom {n}", n=i + 1)

    def mapping(self, indicator: str | None = None, sheet: str | None = None) -> Mapping:
        """The confirmed form (headers by text) to show, save or give as CLI flags."""
        cols = {r: self.label(i) for r, i in self.roles.items()}
        for r in ROLES:
            cols.setdefault(r, "")
        ind_cols = ({self.label(i): str(v) for i, v in self.wide_columns.items()}
                    if self.wide == "indicator" else {})
        return Mapping(cols, self.wide, ind_cols, None, indicator, sheet)

    def lines(self) -> list[str]:
        """One line per used role (and the wide columns), for the CLI."""
        out = [t("kopregel: rij {row}", row=self.header_row)] if self.header_at is not None \
            else []
        for role in ROLES:
            if role in self.roles:
                out.append(f"{FIELD[role]} ({role}) = '{self.label(self.roles[role])}'")
        if self.wide == "period":
            out.append(t("jaren als kolommen: {columns}", columns=", ".join(
                f"'{self.label(i)}'" for i in self.wide_columns)))
        elif self.wide == "indicator":
            out.append(t("één indicator per kolom: {columns}", columns=", ".join(
                f"'{self.label(i)}' → {v}" for i, v in self.wide_columns.items())))
        return out

    def flags(self) -> str:
        """The command line that confirms this mapping."""
        parts = [f"--column {r}={_quote(self.label(i))}" for r, i in self.roles.items()]
        if self.wide != "none":
            parts.append(f"--wide {self.wide}")
        return " ".join(parts)


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[\w.-]+", text) else '"' + text.replace('"', '\\"') + '"'


def row_score(row: list[str]) -> int:
    """How much a row looks like a header: the cells that name a role (each once), plus
    one for two or more year headers (a wide layout)."""
    roles, cells = set(), 0
    for cell in row:
        if not cell:
            continue
        best = max(ROLES, key=lambda r: header_score(cell, r))
        if header_score(cell, best) >= 2 and best not in roles:
            roles.add(best)
            cells += 1
    years = sum(1 for c in row if c and header_year(c) is not None)
    return cells + (1 if years >= 2 else 0)


def _content(values: list[str], role: str, ctx: Context) -> float:
    """0 … 2: how well a column's sample fits the role."""
    vals = [v for v in values if v]
    if not vals:
        return 0.0
    n = len(vals)
    if role == "area":
        if ctx.codes:
            codes = sum(1 for v in vals if ctx.area(v)[2] == "code")
            names = sum(1 for v in vals if ctx.area(v)[2] in {"name", "normalised"})
            return min(2.0, 2.0 * codes / n + 1.8 * names / n)
        return 2.0 * sum(1 for v in vals if _CODE.fullmatch(v.upper())) / n
    if role == "period":
        return 2.0 * sum(1 for v in vals if _YEAR.fullmatch(v)) / n
    if role == "value":
        from .measurements import parse_numbers

        numbers = parse_numbers(pd.Series(vals, dtype=object)).notna().sum()
        years = sum(1 for v in vals if _YEAR.fullmatch(v))
        codes = sum(1 for v in vals if (ctx.area(v)[2] == "code" if ctx.codes
                                        else _CODE.fullmatch(v)))  # NIS codes are numbers
        return max(0.0, 2.0 * numbers / n - 1.0 * years / n - 2.0 * codes / n)
    if role == "indicator":
        return 2.0 * sum(1 for v in vals if v in ctx.indicator_ids) / n
    if role == "unit":
        return 2.0 * sum(1 for v in vals if v.lower() in ctx.units) / n
    if role == "level":
        return 2.0 * sum(1 for v in vals if v.lower() in ctx.levels) / n
    return 0.5  # source, note: any text


def _find_header_row(head: list[list[str]]) -> int | None:
    best, best_score = None, 1
    for i, row in enumerate(head[:HEADER_SCAN_ROWS]):
        score = row_score(row)
        if score > best_score:
            best, best_score = i, score
    return best


def _row_with(head: list[list[str]], headers: list[str]) -> int | None:
    wanted = {norm(h) for h in headers if h}
    for i, row in enumerate(head[:HEADER_SCAN_ROWS]):
        if wanted and wanted <= {norm(c) for c in row if c}:
            return i
    return None


def detect(file: str, head: list[list[str]], ctx: Context, mapping: Mapping | None = None,
           needed: set[str] = frozenset({"area", "period", "value"})) -> Resolved:
    """The header row and each column's role, from ``mapping`` where it says so, else from
    the vocabulary and the content; problems (no header, a missing or doubled column, a
    header of the mapping not in the file) are collected, never raised."""
    mapping = mapping or Mapping()
    explicit = {r: h for r, h in mapping.columns.items() if r in ROLES}
    if mapping.header_row is not None:
        header_at = (mapping.header_row - 1
                     if 0 <= mapping.header_row - 1 < min(len(head), HEADER_SCAN_ROWS)
                     else None)
    else:
        header_at = _row_with(head, [h for h in explicit.values() if h]
                              + list(mapping.indicator_columns))
        if header_at is None:
            header_at = _find_header_row(head)
    if header_at is None:
        wanted = ", ".join(sorted({k for k, v in STANDARD.items()
                                   if v in needed and k.isalpha()}))
        return Resolved(None, [], standard=False, problems=[Problem(file, None, None, t(
            "geen kopregel gevonden in de eerste {n} rijen; verwacht kolommen zoals: "
            "{columns}", n=HEADER_SCAN_ROWS, columns=wanted))])
    header = [str(c).strip() for c in head[header_at]]
    sample = head[header_at + 1:header_at + 1 + SAMPLE_ROWS]
    width = len(header)
    columns = [[row[i] if i < len(row) else "" for row in sample] for i in range(width)]
    res = Resolved(header_at, header)
    problems = res.problems
    by_norm: dict[str, int] = {}
    for i, h in enumerate(header):
        by_norm.setdefault(norm(h), i)
    taken: set[int] = set()

    def lookup(h: str, role: str) -> int | None:
        i = by_norm.get(norm(h))
        if i is None and re.fullmatch(r"kolom \d+|column \d+|colonne \d+", norm(h)):
            i = int(norm(h).split()[1]) - 1
            i = i if 0 <= i < width else None
        if i is None:
            problems.append(Problem(file, header_at + 1, FIELD[role], t(
                "kolom '{column}' staat niet in de kopregel (rij {row}); wel: {columns}",
                column=h, row=header_at + 1,
                columns=", ".join(f"'{c}'" for c in header if c))))
        return i

    for role, h in explicit.items():
        if h:
            i = lookup(h, role)
            if i is not None:
                res.roles[role] = i
                taken.add(i)
    # Wide layouts.
    wide = mapping.wide
    years = {i: header_year(h) for i, h in enumerate(header)
             if i not in taken and h and header_year(h) is not None}
    period_named = "period" in res.roles or (
        explicit.get("period") is None and any(
            header_score(h, "period") >= 2 for i, h in enumerate(header) if i not in years))
    ind_cols: dict[int, str] = {}
    if mapping.indicator_columns:
        for h, ind in mapping.indicator_columns.items():
            i = lookup(h, "indicator")
            if i is not None:
                ind_cols[i] = ind
    else:
        ind_cols = {i: ctx.indicator_by_norm[norm(h)] for i, h in enumerate(header)
                    if i not in taken and i not in years and norm(h) in ctx.indicator_by_norm
                    and _content(columns[i], "value", ctx) >= CONTENT_ONLY}
    value_named = "value" in res.roles or (explicit.get("value") is None and any(
        header_score(h, "value") >= 2 for i, h in enumerate(header)
        if i not in years and i not in ind_cols))
    if wide is None:
        if years and not period_named:
            wide = "period"
        elif ind_cols and not value_named and "indicator" not in res.roles:
            wide = "indicator"
        else:
            wide = "none"
    res.wide = wide
    if wide == "period":
        res.wide_columns = dict(sorted(years.items()))
        if not years:
            problems.append(Problem(file, header_at + 1, "jaar", t(
                "geen kolommen met een jaartal als kop (zoals 2019, 2020)")))
    elif wide == "indicator":
        res.wide_columns = dict(sorted(ind_cols.items()))
        if not ind_cols:
            problems.append(Problem(file, header_at + 1, "indicator", t(
                "geen kolommen met een indicator als kop")))
    taken |= set(res.wide_columns)
    skip = {"period", "value"} if wide == "period" else (
        {"indicator", "value"} if wide == "indicator" else set())
    # Every other role: the best (header, content) pair first, each column once.
    open_roles = [r for r in ROLES if r not in res.roles and r not in explicit
                  and r not in skip]
    cands = []
    for role in open_roles:
        for i in range(width):
            if i in taken:
                continue
            hs = header_score(header[i], role) if header[i] else 0
            cs = _content(columns[i], role, ctx)
            if hs == 0 and (cs < CONTENT_ONLY or role in {"source", "note"}):
                continue
            if hs == 1 and role in {"source", "note", "unit", "level"} and cs < 1:
                continue
            cands.append((hs + cs, hs, -i, role, i))
    cands.sort(reverse=True)
    for score, hs, _neg, role, i in cands:
        if role in res.roles or i in taken:
            continue
        twin = [c for c in cands if c[3] == role and c[4] != i and c[4] not in taken
                and c[1] >= 2 and c[0] == score and hs >= 2]
        if twin:  # two columns fit equally well: a person must choose
            other = twin[0][4]
            problems.append(Problem(file, header_at + 1, header[max(i, other)], t(
                "kolom '{column}' komt twee keer voor", column=header[max(i, other)])))
        res.roles[role] = i
        taken.add(i)
        if hs == 0:
            res.detected.add(role)
    # Missing roles (the file's indicator may come from outside).
    need = set(needed) - skip
    for role in sorted(need - set(res.roles), key=ROLES.index):
        problems.append(Problem(file, None, FIELD[role], t("kolom ontbreekt")))
    res.standard = (wide == "none" and not res.detected and not explicit
                    and all(STANDARD.get(header[i].strip().lower()) == r
                            for r, i in res.roles.items()))
    return res


# ------------------------------------------------------------------------- applying
def apply(frame: pd.DataFrame, res: Resolved) -> tuple[pd.DataFrame, dict[str, str]]:
    """The grid's body (positional columns ``0 … n-1``, ``_row``, ``_extra``) as long rows
    with the roles as columns; blank rows dropped. Returns the rows and, per Dutch field
    name, the file's own header where it differs (for problems). In a wide layout each
    filled cell of a wide column is a row; ``_col`` holds its header."""
    labels = {FIELD[r]: res.label(i) for r, i in res.roles.items()
              if norm(res.label(i)) != FIELD[r]}
    keep = {i: r for r, i in res.roles.items()}
    cols = {r: frame[i] if i in frame.columns else pd.Series("", index=frame.index)
            for i, r in keep.items()}
    base = pd.DataFrame({"_row": frame["_row"], **cols, "_extra": frame["_extra"]})
    for r in keep.values():
        base[r] = base[r].fillna("").astype(str).str.strip()
    if res.wide == "none":
        nonblank = (base[list(keep.values())] != "").any(axis=1) | (base["_extra"] == "1")
        return base[nonblank].reset_index(drop=True), labels
    target = "period" if res.wide == "period" else "indicator"
    parts = []
    for order, (i, key) in enumerate(res.wide_columns.items()):
        cell = (frame[i] if i in frame.columns else pd.Series("", index=frame.index)
                ).fillna("").astype(str).str.strip()
        part = base.assign(**{target: str(key), "value": cell, "_col": res.label(i),
                              "_order": order})
        parts.append(part[cell != ""])
    # A row without a filled wide cell is no data (a footnote), unless it has cells
    # beyond the header (reported).
    filled = pd.concat([p["_row"] for p in parts]) if parts else pd.Series(dtype=int)
    lonely = base[(base["_extra"] == "1") & ~base["_row"].isin(set(filled))].assign(
        **{target: "", "value": "", "_col": "", "_order": -1})
    out = pd.concat([*parts, lonely], ignore_index=True)
    out = out.sort_values(["_row", "_order"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True), labels


def grid_preview(head: list[list[str]], res: Resolved | None, rows: int = 8) -> pd.DataFrame:
    """The first rows below the header as the file shows them (for the editor)."""
    if res is None or res.header_at is None:
        body = head[:rows + 4]
        width = max((len(r) for r in body), default=0)
        labels = [t("kolom {n}", n=i + 1) for i in range(width)]
        start = 1
    else:
        body = head[res.header_at + 1:res.header_at + 1 + rows]
        width = max([len(res.header), *(len(r) for r in body)])
        labels = [res.label(i) for i in range(width)]
        start = res.header_at + 2
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        unique.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    data = [[r[i] if i < len(r) else "" for i in range(width)] for r in body]
    frame = pd.DataFrame(data, columns=unique) if data else pd.DataFrame(columns=unique)
    frame.insert(0, t("Rij"), np.arange(start, start + len(frame)))
    return frame


__all__ = ["FIELD", "ROLES", "Context", "Mapping", "Resolved", "apply", "detect",
           "grid_preview", "list_mappings", "load_mapping", "mapping_dir", "norm",
           "parse_column_flags", "save_mapping"]
