"""Changing the portfolio: one validation for the editor, the Excel round trip and the
CLI, then one transaction per change set (a batch), undone like any load.

A change set is a list of rows (an Excel sheet, one editor form, one CLI call), each an
action id plus the fields it sets, by their column names in :data:`COLUMNS`. A field
that is absent keeps its current value; a field present but empty clears it (status:
"nog niet beoordeeld"). Every problem names the file, row and column; with any problem
nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError, Problem
from ..i18n import t
from ..store import ACTION_STATE_COLUMNS, Store, utc_now
from . import model

# Column of the sheet (Dutch, what the coordinator reads) → tracked field.
COLUMNS: dict[str, str] = {
    "status": "status", "fase": "phase", "start": "start_year", "einde": "end_year",
    "dienst": "service", "contact": "contact", "indicatoren": "indicator_ids",
    "gebieden": "area_codes", "locatie": "location",
}
UPDATE_DATE = "update_datum"
UPDATE_TEXT = "update_tekst"
ID = "id"
YEARS = range(2000, 2101)


@dataclass
class Checked:
    """A validated change set: the full tracked rows of the actions it touches and the
    dated updates; ``problems`` empty when it may be committed."""

    file: str
    states: pd.DataFrame
    updates: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    changes: pd.DataFrame | None = None  # per action and field: before → after
    sha256: str = ""  # of the uploaded file (the batch records it)

    @property
    def ok(self) -> bool:
        return not self.problems


def _year(text: str) -> int | None:
    text = str(text).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{4}(\.0)?", text) and int(float(text)) in YEARS:
        return int(float(text))
    raise ValueError(t("verwacht een jaartal tussen 2000 en 2100"))


def _day(text: str) -> dt.date:
    text = str(text).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(t("verwacht een datum (2026-12-07 of 07/12/2026)"))


def _text(text: str, limit: int = model.MAX_TEXT) -> str | None:
    text = " ".join(str(text).split())
    if len(text) > limit:
        raise ValueError(t("langer dan {n} tekens", n=limit))
    return text or None


class Context:
    """What a change set is checked against: the actions, their current tracked rows,
    the indicators and the areas (codes and names)."""

    def __init__(self, store: Store) -> None:
        self.actions = store.actions()
        states = store.action_states()
        self.current = {r["action_id"]: {c: _plain(r[c]) for c in ACTION_STATE_COLUMNS}
                        for r in states.to_dict("records")}
        # The dated updates in force: a row whose update is already there with the same
        # day, text and status (the same file loaded twice) adds none.
        notes = store.action_updates()
        self.updates = {(a, _date(d), str(x), s if isinstance(s, str) else None)
                        for a, d, x, s in zip(notes["action_id"], notes["day"], notes["text"],
                                              notes["status"])}
        self.indicators = set(store.indicators()["id"])
        areas = store.areas()
        areas = areas[areas["level"] != "peer"]
        self.area_codes = set(areas["code"])
        self.area_by_name: dict[str, list[str]] = {}
        for code, name in zip(areas["code"], areas["name"]):
            self.area_by_name.setdefault(model._place_key(name), []).append(code)


def _date(value) -> dt.date:
    return value if type(value) is dt.date else pd.Timestamp(value).date()


def _plain(value):
    if hasattr(value, "tolist"):
        return list(value.tolist())
    if isinstance(value, float) and pd.isna(value):
        return None
    if value is pd.NA:
        return None
    return value


def _areas(text: str, ctx: Context) -> list[str]:
    out = []
    for part in model.split_list(text):
        if part in ctx.area_codes:
            out.append(part)
            continue
        found = ctx.area_by_name.get(model._place_key(part), [])
        if len(found) != 1:
            raise ValueError(t("onbekend gebied '{value}' (een code of een naam)", value=part)
                             if not found else
                             t("gebied '{value}' is niet eenduidig; geef de code", value=part))
        out.append(found[0])
    return list(dict.fromkeys(out))


def _indicators(text: str, ctx: Context) -> list[str]:
    ids = model.split_list(text)
    unknown = [i for i in ids if i not in ctx.indicators]
    if unknown:
        raise ValueError(t("onbekende indicator '{id}'", id=unknown[0]))
    return list(dict.fromkeys(ids))


PARSERS = {
    "status": lambda v, ctx: model.parse_status(v),
    "phase": lambda v, ctx: model.parse_phase(v),
    "start_year": lambda v, ctx: _year(v),
    "end_year": lambda v, ctx: _year(v),
    "service": lambda v, ctx: _text(v),
    "contact": lambda v, ctx: _text(v),
    "indicator_ids": _indicators,
    "area_codes": _areas,
    "location": lambda v, ctx: model.parse_location(v),
}


def check(rows: list[tuple[int | None, dict[str, str]]], file: str, ctx: Context,
          today: dt.date | None = None) -> Checked:
    """Validate a change set. ``rows``: (row number shown in messages or None, column →
    cell text). Every problem is collected; the result's states hold the full new
    tracked row of every action a row touches."""
    today = today or dt.date.today()
    problems: list[Problem] = []
    states: dict[str, dict] = {}
    updates: list[dict] = []
    changes: list[dict] = []
    known = set(ctx.actions["id"])
    seen: dict[str, int | None] = {}

    def bad(row, column, reason):
        problems.append(Problem(file, row, column, reason))

    for row, cells in rows:
        action_id = str(cells.get(ID, "")).strip()
        if not action_id:
            bad(row, ID, t("mag niet leeg zijn"))
            continue
        if action_id not in known:
            bad(row, ID, t("onbekende actie '{id}'", id=action_id))
            continue
        if action_id in seen:
            bad(row, ID, t("actie '{id}' staat al op rij {row}", id=action_id,
                           row=seen[action_id]))
            continue
        seen[action_id] = row
        before = dict(ctx.current.get(action_id) or _empty(action_id))
        after = dict(before)
        row_ok = True
        for column, name in COLUMNS.items():
            if column not in cells:
                continue
            try:
                after[name] = PARSERS[name](cells[column], ctx)
            except ValueError as exc:
                bad(row, column, str(exc))
                row_ok = False
        start, end = after["start_year"], after["end_year"]
        if row_ok and start is not None and end is not None and end < start:
            bad(row, "einde", t("einde {end} ligt voor de start {start}", end=end,
                                start=start))
            row_ok = False
        note = _update(row, cells, action_id, after["status"], today, bad)
        if not row_ok:
            continue
        if note is not None and (action_id, note["day"], note["text"],
                                 note["status"]) not in ctx.updates:
            updates.append(note)
        if after != before:
            states[action_id] = after
            changes.extend({"action_id": action_id, "field": k, "before": before[k],
                            "after": after[k]} for k in ACTION_STATE_COLUMNS
                           if before[k] != after[k])
    return Checked(file=file, states=_frame(list(states.values())),
                   updates=pd.DataFrame(updates, columns=["action_id", "day", "text",
                                                          "status"]),
                   problems=problems,
                   changes=pd.DataFrame(changes, columns=["action_id", "field", "before",
                                                          "after"]))


def _update(row, cells, action_id, status, today, bad) -> dict | None:
    """The row's dated update (text and date), checked; None without text."""
    text_cell = str(cells.get(UPDATE_TEXT, "") or "").strip()
    day_cell = str(cells.get(UPDATE_DATE, "") or "").strip()
    if not text_cell:
        if day_cell:
            bad(row, UPDATE_TEXT, t("een update met een datum heeft een tekst nodig"))
        return None
    try:
        text = _text(text_cell, model.MAX_UPDATE)
    except ValueError as exc:
        bad(row, UPDATE_TEXT, str(exc))
        return None
    day = today
    if day_cell:
        try:
            day = _day(day_cell)
        except ValueError as exc:
            bad(row, UPDATE_DATE, str(exc))
            return None
    if day > today:
        bad(row, UPDATE_DATE, t("datum {day} ligt in de toekomst", day=day.isoformat()))
        return None
    return {"action_id": action_id, "day": day, "text": text, "status": status}


def _empty(action_id: str) -> dict:
    return {c: ([] if c in ("indicator_ids", "area_codes") else None)
            for c in ACTION_STATE_COLUMNS} | {"action_id": action_id}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(ACTION_STATE_COLUMNS))
    for c in ("start_year", "end_year"):
        frame[c] = pd.array([None if v is None else int(v) for v in frame[c]], dtype="Int64")
    return frame


class ChangeRefused(Exception):
    """A change set with problems: nothing written."""


def commit(store: Store, checked: Checked, who: str) -> dict:
    """Write a checked change set in one transaction (one batch, undone like a load)."""
    if not checked.ok:
        raise InputError(checked.problems)
    now = utc_now()
    batch = {"id": f"actions-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}", "loaded_at": now,
             "who": who or "onbekend", "file_name": checked.file,
             "sha256": checked.sha256}
    counts = store.commit_actions(batch, checked.states, checked.updates)
    return {"batch_id": batch["id"] if counts["changed"] or counts["updates"] else None,
            **counts}


def batch_counts(store: Store) -> dict[str, dict[str, int]]:
    """Per portfolio batch (an "actions-…" batch) how many actions it changed and how many
    updates it added: what the history lists ("acties: 1 gewijzigd, 1 update")."""
    frame = store.action_batch_counts()
    return {r["id"]: {"changed": int(r["changed"]), "updates": int(r["updates"])}
            for r in frame.to_dict("records")}


def set_status(store: Store, action_id: str, status: str, comment: str, day: dt.date,
               who: str, file: str = "editor", today: dt.date | None = None,
               **fields: str) -> dict:
    """One status change with its dated comment (the editor's form, the CLI): checked
    as a one-row change set, then committed. ``fields``: further columns to set, by
    sheet column (``dienst``) or field name (``service``)."""
    cells = {ID: action_id, "status": status, UPDATE_TEXT: comment,
             UPDATE_DATE: day.isoformat() if isinstance(day, dt.date) else str(day or "")}
    by_field = {f: c for c, f in COLUMNS.items()}
    unknown = [k for k in fields if k not in COLUMNS and k not in by_field]
    if unknown:
        raise TypeError(f"unknown field(s): {', '.join(unknown)}")
    cells.update({by_field.get(k, k): v for k, v in fields.items()})
    checked = check([(None, cells)], file, Context(store), today)
    if not str(comment or "").strip():
        checked.problems.append(Problem(file, None, UPDATE_TEXT,
                                        t("een statuswijziging heeft een toelichting nodig")))
    return commit(store, checked, who)
