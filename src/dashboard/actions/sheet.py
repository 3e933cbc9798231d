"""The Excel round trip of the portfolio: download the action list, edit status, phase,
years, service, contact, links and location, add a dated update, upload it again.

Written with openpyxl (every text cell typed as a string, so a title starting with "="
is never a formula); read back through :func:`dashboard.loads.read.read_grid`, the same
size-limited drivers as measurement loads (``.xlsx`` by openpyxl, ``.csv`` by pandas).
The upload is checked by :func:`dashboard.actions.edit.check` (file, row and column of
every problem) and committed as one batch.
"""

from __future__ import annotations

import io

import pandas as pd

from ..errors import InputError, Problem
from ..i18n import t
from ..loads.read import read_grid
from ..safety import bytes_sha256
from . import edit, model

SHEET = "acties"
# Columns shown for reference only (never read back).
INFO = ("speerpunt", "sectie", "titel", "doeljaar", "laatst_gewijzigd")
EDITABLE = tuple(edit.COLUMNS)
HEADER = (edit.ID, *INFO, *EDITABLE, edit.UPDATE_DATE, edit.UPDATE_TEXT)
READ = {edit.ID, *EDITABLE, edit.UPDATE_DATE, edit.UPDATE_TEXT}
HEADER_SCAN = 10  # the header is in the first rows (a title row above it is allowed)


def rows_of(actions: pd.DataFrame) -> list[list]:
    """The sheet's rows (header first) for the board's action frame (Dutch words)."""
    out: list[list] = [list(HEADER)]
    for a in actions.to_dict("records"):
        out.append([
            a["id"], int(a["spearhead_id"]), a["section"], a["title"],
            _int(a["target_year"]),
            "" if pd.isna(a.get("changed_at")) else str(a["changed_at"])[:16],
            model.status_label(a["status"]) if isinstance(a["status"], str) else "",
            model.phase_label(a["phase"]) if isinstance(a["phase"], str) else "",
            _int(a["start_year"]), _int(a["end_year"]), a["service"] or "",
            a["contact"] or "", ";".join(a["indicator_ids"]), ";".join(a["area_codes"]),
            a["location"] or "", "", ""])
    return out


def _int(value):
    return "" if value is None or pd.isna(value) else int(value)


def to_xlsx(actions: pd.DataFrame) -> bytes:
    """The action list as a workbook: sheet "acties" (a status drop-down, header frozen)
    and sheet "uitleg" (what every column takes). ``actions``: ``Board.actions`` in
    Dutch (the sheet's words are the Dutch ones; uploads accept NL, EN and FR)."""
    import openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    rows = rows_of(actions)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, also "=…" (no formula)
    ws.freeze_panes = "B2"
    labels = [model.status_label(s) for s in model.STATUSES]
    status_col = openpyxl.utils.get_column_letter(HEADER.index("status") + 1)
    rule = DataValidation(type="list", formula1='"' + ",".join(labels) + '"',
                          allow_blank=True)
    rule.add(f"{status_col}2:{status_col}{max(len(rows), 2)}")
    ws.add_data_validation(rule)
    for c, width in zip("ABCDEFGHIJKLMNOPQ", (9, 10, 30, 40, 9, 16, 16, 12, 7, 7, 18, 18,
                                              28, 24, 22, 13, 40)):
        ws.column_dimensions[c].width = width
    help_ = wb.create_sheet("uitleg")
    for line in explanation():
        help_.append(line)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def explanation() -> list[list[str]]:
    return [
        [t("kolom"), t("wat")],
        [edit.ID, t("de actie (niet wijzigen)")],
        [t("speerpunt … laatst_gewijzigd"), t("ter info; wordt niet ingelezen")],
        ["status", ", ".join(model.status_label(s) for s in model.STATUSES)
         + " " + t("(leeg: nog niet beoordeeld)")],
        ["fase", ", ".join(model.phase_labels().values())],
        ["start, einde", t("jaartal; einde niet voor start")],
        ["dienst, contact", t("verantwoordelijke dienst en contactrol")],
        ["indicatoren", t("indicator-id's, gescheiden door ;")],
        ["gebieden", t("gebiedscodes of -namen, gescheiden door ;")],
        ["locatie", t("'breedte, lengte' (WGS84) of een GeoJSON-geometrie")],
        [f"{edit.UPDATE_DATE}, {edit.UPDATE_TEXT}",
         t("een nieuwe update: datum (leeg: vandaag) en korte tekst")],
        [t("leeg veld"), t("wist de waarde; een kolom weglaten laat ze ongewijzigd")],
    ]


def read(data: bytes, file: str, ctx: edit.Context, today=None) -> edit.Checked:
    """Read and check an uploaded action list (xlsx or csv). Problems (an unreadable
    file, a missing id column, a bad cell) are in the result; nothing is written."""
    try:
        grid = read_grid(data, file, SHEET if file.lower().endswith(".xlsx") else None)
    except InputError as exc:
        if not file.lower().endswith(".xlsx"):
            return _refused(file, exc.problems)
        try:  # a workbook whose sheet was renamed: its first sheet (a broken file fails
            grid = read_grid(data, file)  # here again, with the reason)
        except InputError as again:
            return _refused(file, again.problems)
    header_at = next((i for i, row in enumerate(grid.head[:HEADER_SCAN])
                      if edit.ID in _names(row)), None)
    if header_at is None:
        return _refused(file, [Problem(file, None, edit.ID,
                                       t("geen kopregel met een kolom 'id' gevonden"))])
    names = _names(grid.head[header_at])
    try:
        body = grid.body(header_at, [n or f"_{i}" for i, n in enumerate(names)])
    except InputError as exc:
        return _refused(file, exc.problems)
    records = body.to_dict("records")
    formulas = (_formulas(data, grid.sheet, max((int(r["_row"]) for r in records), default=0),
                          len(names)) if file.lower().endswith(".xlsx") else {})
    rows = []
    for record in records:
        cells = {n: str(formulas.get((int(record["_row"]), i), record.get(i, "")) or "")
                 .strip() for i, n in enumerate(names) if n in READ}
        if not any(cells.values()):
            continue  # an empty line
        rows.append((int(record["_row"]), cells))
    checked = edit.check(rows, file, ctx, today)
    checked.sha256 = bytes_sha256(data)
    return checked


def _formulas(data: bytes, sheet: str | None, last_row: int, width: int
              ) -> dict[tuple[int, int], str]:
    """The formulas of the sheet by (row number, column index): a cell the coordinator
    typed as "=HYPERLINK(…)" is a formula to Excel, whose cached value (or nothing, in a
    file written without one) is all the bounded reader sees. Its text is the value, kept
    as text (never evaluated). Bounded: the rows and columns :func:`read_grid` accepted."""
    import openpyxl

    if not last_row or not width:
        return {}
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
        out = {}
        for r, row in enumerate(ws.iter_rows(min_row=1, max_row=last_row, max_col=width),
                                start=1):
            for c, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f" and isinstance(cell.value, str):
                    out[(r, c)] = cell.value
        return out
    finally:
        wb.close()


def _names(row: list[str]) -> list[str]:
    return [" ".join(str(c).split()).casefold() for c in row]


def _refused(file: str, problems: list[Problem]) -> edit.Checked:
    return edit.Checked(file=file, states=edit._frame([]), updates=pd.DataFrame(
        columns=["action_id", "day", "text", "status"]), problems=list(problems))
