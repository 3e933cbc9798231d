"""Reading coordinator files into a table of strings with the file's own row numbers.

CSV (comma or semicolon, UTF-8 or cp1252) and Excel (.xlsx, first or chosen sheet; the
header row may sit below a title row). Every cell comes back as a string (Excel numbers as
their repr), with ``_row`` holding the row number a person sees in the file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

import pandas as pd

from ..errors import InputError, Problem
from ..i18n import t

# Column names we recognise (lower-case, after trimming), mapped to our own.
ALIASES = {
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
HEADER_SCAN_ROWS = 20
MAX_BYTES = 200 * 1024 * 1024


@dataclass
class RawTable:
    file: str
    frame: pd.DataFrame  # canonical column names + _row
    sheet: str | None = None


def _problem(file: str, reason: str, row: int | None = None, field: str | None = None):
    return InputError([Problem(file, row, field, reason)])


def decode(data: bytes, file: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _problem(file, t("tekstcodering niet herkend (verwacht UTF-8 of Windows-1252)"))


def _find_header(rows: list[list[str]], file: str, needed: set[str]) -> int:
    """The header row: the first row with the most recognised column names (at least two).

    Missing required columns are named in the error."""
    best, best_names = -1, set()
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = {ALIASES.get(str(c).strip().lower()) for c in row} - {None}
        if len(names) > len(best_names):
            best, best_names = i, names
        if needed <= names:
            return i
    if best >= 0 and len(best_names) >= 2:
        label = {"area": "gebied", "period": "jaar", "value": "waarde", "indicator": "indicator"}
        raise InputError([Problem(file, None, label.get(n, n), t("kolom ontbreekt"))
                          for n in sorted(needed - best_names)])
    wanted = ", ".join(sorted({k for k, v in ALIASES.items() if v in needed and k.isalpha()}))
    raise _problem(file, t("geen kopregel gevonden in de eerste {n} rijen; verwacht kolommen "
                           "zoals: {columns}", n=HEADER_SCAN_ROWS, columns=wanted))


def _to_frame(rows: list[list[str]], header_at: int, file: str) -> pd.DataFrame:
    """Rows below the header → canonical columns; ``_extra`` marks a value in a column
    without a header (openpyxl pads rows to the sheet width, so look at the cells)."""
    header = [str(c).strip().lower() if c is not None else "" for c in rows[header_at]]
    mapped = [ALIASES.get(h) for h in header]
    seen: set[str] = set()
    for name, raw in zip(mapped, header):
        if name is not None and name in seen:
            raise _problem(file, t("kolom '{column}' komt twee keer voor", column=raw),
                           row=header_at + 1, field=raw)
        if name:
            seen.add(name)
    names = [m for m in mapped if m]
    records = []
    for offset, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = [("" if c is None else str(c)).strip() for c in row]
        if not any(cells):
            continue  # blank lines are not data
        rec = dict.fromkeys(names, "")
        rec["_row"] = offset
        rec["_extra"] = ""
        for i, value in enumerate(cells):
            if i < len(mapped) and mapped[i]:
                rec[mapped[i]] = value
            elif value and (i >= len(header) or header[i] == ""):
                rec["_extra"] = "1"
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=["_row", *names, "_extra"])


def read_csv_bytes(data: bytes, file: str, needed: set[str]) -> RawTable:
    text = decode(data, file)
    if not text.strip():
        raise _problem(file, t("leeg bestand"))
    # Lines as pandas splits them (\r\n, \n, \r; not form feeds or other separators).
    head_lines = re.split(r"\r\n|\n|\r", text, maxsplit=HEADER_SCAN_ROWS)[:HEADER_SCAN_ROWS]
    # The delimiter is the one that makes a header appear (ties: more recognised names).
    best = None
    for delimiter in (";", ","):
        try:
            head = list(csv.reader(io.StringIO("\n".join(head_lines)), delimiter=delimiter))
        except csv.Error as exc:
            raise _problem(file, t("onleesbare CSV: {error}", error=exc)) from None
        score = max((len({ALIASES.get(c.strip().lower()) for c in row} - {None})
                     for row in head), default=0)
        if best is None or score > best[0]:
            best = (score, delimiter, head)
    _score, delimiter, head = best
    header_at = _find_header(head, file, needed)
    header = [c.strip().lower() for c in head[header_at]]
    mapped = [ALIASES.get(h) for h in header]
    for i, name in enumerate(mapped):
        if name is not None and name in mapped[:i]:
            raise _problem(file, t("kolom '{column}' komt twee keer voor", column=header[i]),
                           row=header_at + 1, field=header[i])
    spare = 32  # cells beyond the header are read too, to report them per row
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, header=None,
                            skiprows=header_at + 1, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, names=range(len(header) + spare),
                            index_col=False, engine="c", on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as exc:
        raise _problem(file, t("onleesbare CSV (te veel velden of ongesloten aanhalingsteken): "
                               "{error}", error=str(exc).strip()[:200])) from None
    frame["_row"] = frame.index + header_at + 2
    keep = {i: name for i, name in enumerate(mapped) if name}
    unnamed = [i for i in range(len(header) + spare) if i >= len(header) or header[i] == ""]
    extra = (frame[unnamed].fillna("").astype(str).apply(lambda c: c.str.strip()) != ""
             ).any(axis=1) if unnamed else pd.Series(False, index=frame.index)
    frame = frame.rename(columns=keep)[["_row", *keep.values()]]
    for col in keep.values():
        frame[col] = frame[col].fillna("").astype(str).str.strip()
    values = frame[list(keep.values())]
    nonblank = (values != "").any(axis=1) | extra
    frame = frame.assign(_extra=extra.map({True: "1", False: ""}))[nonblank]
    frame = frame.reset_index(drop=True)
    return RawTable(file, frame)


def read_excel_bytes(data: bytes, file: str, needed: set[str], sheet: str | None = None
                     ) -> RawTable:
    import openpyxl

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _problem(file, t("geen geldig .xlsx-bestand (beschadigd of ander formaat)"))
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise _problem(file, t("onleesbaar Excel-bestand: {error}",
                               error=type(exc).__name__)) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise _problem(file, t("werkblad '{sheet}' bestaat niet; wel: {sheets}",
                                   sheet=sheet, sheets=", ".join(wb.sheetnames)))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = [[_cell(c) for c in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise _problem(file, t("werkblad '{sheet}' is leeg", sheet=ws.title))
    header_at = _find_header(rows, file, needed)
    return RawTable(file, _to_frame(rows, header_at, file), sheet=ws.title)


def _cell(value) -> str:
    """Excel cells as text; numbers with a decimal comma so that '125.375' (a float) is
    never read as the Dutch thousands '125.375' = 125375."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return str(value)


def read_table(data: bytes, file: str, needed: set[str], sheet: str | None = None) -> RawTable:
    """Dispatch on the file name's suffix."""
    if len(data) > MAX_BYTES:
        raise _problem(file, t("bestand is groter dan {size} MB", size=MAX_BYTES // (1024 * 1024)))
    name = file.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv_bytes(data, file, needed)
    if name.endswith(".xlsx"):
        return read_excel_bytes(data, file, needed, sheet)
    suffix = name.rsplit(".", 1)[-1] if "." in name else t("(geen)")
    raise _problem(file, t("onbekend bestandstype '.{suffix}'; verwacht .csv of .xlsx",
                           suffix=suffix))
