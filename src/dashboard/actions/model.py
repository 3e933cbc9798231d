"""The action portfolio's vocabulary and catalog (issue 14): statuses, phases, the
catalog file ``actions.csv`` as the build reads it, and where an action is.

Tracking follows Kausal Watch's model in long format: the catalog holds what the note
says (title, sentence, target year, quantity, places, indicators); every change of the
tracked fields (status, phase, start/end year, service, contact, linked indicators,
areas, location) is a new row of ``action_state`` in a batch, so history, undo and
pinned views work exactly as for measurements. Nothing is guessed: without an assessment
the status is ``None``, shown as "nog niet beoordeeld".
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem
from ..i18n import language, t

# Status codes in the order a portfolio moves through them; None is "not yet assessed".
STATUSES: tuple[str, ...] = ("not_started", "preparing", "in_progress", "done", "stopped")
PHASES: tuple[str, ...] = ("explore", "design", "execute", "follow_up")
CLOSED = frozenset({"done", "stopped"})
NOT_ASSESSED = "not_assessed"  # the roll-up's key for "no status yet"
# Text limits of tracked fields (a row of the Excel file, an editor comment).
MAX_TEXT = 300
MAX_UPDATE = 1000
MAX_LOCATION = 20_000  # a GeoJSON polygon of a site, not a whole district file


def status_labels() -> dict[str, str]:
    """Status code → its words in the current language (NL, EN or FR)."""
    return {"not_started": t("niet gestart"), "preparing": t("in voorbereiding"),
            "in_progress": t("in uitvoering"), "done": t("afgerond"),
            "stopped": t("stopgezet"), NOT_ASSESSED: t("nog niet beoordeeld")}


def phase_labels() -> dict[str, str]:
    """Phase code → its words in the current language."""
    return {"explore": t("verkenning"), "design": t("ontwerp"), "execute": t("uitvoering"),
            "follow_up": t("opvolging")}


def status_label(code: str | None) -> str:
    return status_labels()[code or NOT_ASSESSED]


def phase_label(code: str | None) -> str:
    return phase_labels()[code] if code else t("nog niet beoordeeld")


def _words(labels_of, codes) -> dict[str, str]:
    """Every accepted spelling (the code, its words in NL/EN/FR, any case) → code."""
    out = {}
    for lang in ("nl", "en", "fr"):
        with language(lang):
            labels = labels_of()
        for code in codes:
            out[_norm(labels[code])] = code
    out.update({_norm(c): c for c in codes})
    return out


def _norm(text: str) -> str:
    return " ".join(str(text).replace("_", " ").split()).casefold()


def parse_status(text: str) -> str | None:
    """A status from a file or form: a code or its words in any of the three languages;
    empty or "nog niet beoordeeld" → None. ValueError when unknown."""
    if not str(text).strip():
        return None
    words = _words(status_labels, (*STATUSES, NOT_ASSESSED))
    code = words.get(_norm(text))
    if code is None:
        raise ValueError(t("onbekende status '{value}' (bekend: {known})", value=text,
                           known=", ".join(status_labels()[c] for c in STATUSES)))
    return None if code == NOT_ASSESSED else code


def parse_phase(text: str) -> str | None:
    if not str(text).strip():
        return None
    code = _words(phase_labels, PHASES).get(_norm(text))
    if code is None:
        raise ValueError(t("onbekende fase '{value}' (bekend: {known})", value=text,
                           known=", ".join(phase_labels().values())))
    return code


# ------------------------------------------------------------------ the catalog file
CATALOG_COLUMNS = ("id", "spearhead_id", "section", "title", "text", "target_year",
                   "quantity", "place", "indicator_ids", "source_section")
_ID = re.compile(r"^a\d+\.\d+\.\d{2}$")


def read_catalog(folder: Path, spearhead_ids: set[int], indicator_ids: set[str]
                 ) -> pd.DataFrame:
    """``actions.csv`` of a catalog folder (empty when the city has none), checked: every
    problem names the file, row and field, and nothing is returned until all are fixed."""
    from ..catalog import _read_csv

    path = folder / "actions.csv"
    if not path.exists():
        return pd.DataFrame(columns=[*CATALOG_COLUMNS, "position"])
    frame = _read_csv(path)
    file = str(path)
    missing = [c for c in CATALOG_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError([Problem(file, None, c, t("kolom ontbreekt")) for c in missing])
    problems: list[Problem] = []
    seen: set[str] = set()
    for row, r in enumerate(frame.to_dict("records"), start=2):
        if not _ID.match(r["id"]):
            problems.append(Problem(file, row, "id", t("verwacht een id als a5.3.07")))
        elif r["id"] in seen:
            problems.append(Problem(file, row, "id", t("dubbele id '{id}'", id=r["id"])))
        seen.add(r["id"])
        if not r["spearhead_id"].isdigit() or int(r["spearhead_id"]) not in spearhead_ids:
            problems.append(Problem(file, row, "spearhead_id", t("onbekend speerpunt")))
        for f in ("title", "text", "section"):
            if not r[f].strip():
                problems.append(Problem(file, row, f, t("mag niet leeg zijn")))
        if r["target_year"] and not re.fullmatch(r"20\d\d", r["target_year"]):
            problems.append(Problem(file, row, "target_year", t("verwacht een jaartal")))
        for ind in split_list(r["indicator_ids"]):
            if ind not in indicator_ids:
                problems.append(Problem(file, row, "indicator_ids",
                                        t("onbekende indicator '{id}'", id=ind)))
    if problems:
        raise InputError(problems)
    out = frame[list(CATALOG_COLUMNS)].copy()
    out["spearhead_id"] = out["spearhead_id"].astype(int)
    out["target_year"] = pd.array([int(y) if y else None for y in out["target_year"]],
                                  dtype="Int64")
    out["position"] = range(1, len(out) + 1)
    return out


def split_list(text: object) -> list[str]:
    """A ';'-separated cell → its non-empty parts (a list cell is returned as a list)."""
    if isinstance(text, list | tuple):
        return [str(v) for v in text]
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return []
    return [p.strip() for p in str(text).split(";") if p.strip()]


# ------------------------------------------------------------------ where an action is
def _place_key(name: str) -> str:
    """'St Elisabeth', 'Kortrijk-Centrum' and 'kortrijk centrum' compare equal."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("-", " ")
    text = re.sub(r"^st\.? ", "sint ", text)
    return " ".join(text.split())


# Finest level first: the note's "Kortrijk Centrum" among the heat-network districts is
# the statistical sector Kortrijk-Centrum, not the larger wijk of the same name.
PLACE_LEVELS = ("sector", "wijk", "deelgemeente")


def locate(places: list[str], areas: pd.DataFrame) -> list[str]:
    """Area codes of the place names the note gives that are official area names
    (sector, else wijk, else deelgemeente). A name that is none (Hangar K, Hoog Kortrijk)
    is left for the coordinator to locate: no position is guessed."""
    out: list[str] = []
    for place in places:
        key = _place_key(place)
        for level in PLACE_LEVELS:
            found = areas[(areas["level"] == level)
                          & (areas["name"].map(_place_key) == key)]["code"].tolist()
            if found:
                out.extend(c for c in found if c not in out)
                break
    return out


def base_states(actions: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """The build's tracked row per action: nothing assessed, the note's indicators and
    the areas its places name."""
    return pd.DataFrame({
        "action_id": actions["id"], "status": None, "phase": None, "start_year": None,
        "end_year": None, "service": None, "contact": None,
        "indicator_ids": [split_list(v) for v in actions["indicator_ids"]],
        "area_codes": [locate(split_list(v), areas) for v in actions["place"]],
        "location": None})


# "50.8277, 3.2650" / "50.8277 3.2650", or with decimal commas "50,8277; 3,2650".
_PAIR_DOT = re.compile(r"(-?\d+(?:\.\d+)?)\s*[,\s]\s*(-?\d+(?:\.\d+)?)")
_PAIR_SEMICOLON = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*;\s*(-?\d+(?:[.,]\d+)?)")


def parse_location(text: str) -> str | None:
    """A location cell → GeoJSON geometry text (WGS84): "lat, lon" (as a map shows it)
    or a GeoJSON Point/Polygon/MultiPolygon. ValueError when neither."""
    import shapely.geometry

    text = str(text or "").strip()
    if not text:
        return None
    if len(text) > MAX_LOCATION:
        raise ValueError(t("locatie is te lang (meer dan {n} tekens)", n=MAX_LOCATION))
    pair = _PAIR_DOT.fullmatch(text) or _PAIR_SEMICOLON.fullmatch(text)
    if pair:
        lat, lon = (float(v.replace(",", ".")) for v in pair.groups())
        geom = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
    else:
        try:
            geom = json.loads(text)
        except ValueError:
            raise ValueError(t("verwacht 'breedte, lengte' (WGS84) of een GeoJSON-geometrie"
                               )) from None
        if not isinstance(geom, dict) or geom.get("type") not in (
                "Point", "Polygon", "MultiPolygon"):
            raise ValueError(t("verwacht een GeoJSON Point, Polygon of MultiPolygon"))
    try:
        shape = shapely.geometry.shape(geom)
    except Exception:  # noqa: BLE001 (shapely raises several types for bad coordinates)
        raise ValueError(t("ongeldige geometrie")) from None
    minx, miny, maxx, maxy = shape.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or shape.is_empty:
        raise ValueError(t("coördinaten buiten WGS84 (breedte -90..90, lengte -180..180)"))
    return json.dumps(shapely.geometry.mapping(shape), separators=(",", ":"))
