"""Reading coordinator files into a table of strings with the file's own row numbers.

CSV (comma or semicolon, UTF-8 or cp1252) and Excel (.xlsx, first or chosen sheet; the
header row may sit below a title row). Every cell comes back as a string (Excel numbers as
their repr), with ``_row`` holding the row number a person sees in the file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import pandas as pd

from ..errors import InputError, Problem

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
    raise _problem(file, "tekstcodering niet herkend (verwacht UTF-8 of Windows-1252)")


def _find_header(rows: list[list[str]], file: str, needed: set[str]) -> int:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = {ALIASES.get(str(c).strip().lower()) for c in row}
        if needed <= names:
            return i
    wanted = ", ".join(sorted({k for k, v in ALIASES.items() if v in needed and k.isalpha()}))
    raise _problem(file, f"geen kopregel gevonden in de eerste {HEADER_SCAN_ROWS} rijen; "
                   f"verwacht kolommen zoals: {wanted}")


def _to_frame(rows: list[list[str]], header_at: int, file: str) -> pd.DataFrame:
    header = [str(c).strip().lower() for c in rows[header_at]]
    mapped = [ALIASES.get(h) for h in header]
    seen: set[str] = set()
    for name, raw in zip(mapped, header):
        if name is not None and name in seen:
            raise _problem(file, f"kolom '{raw}' komt twee keer voor", row=header_at + 1,
                           field=raw)
        if name:
            seen.add(name)
    records = []
    for offset, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cells = [("" if c is None else str(c)).strip() for c in row]
        if not any(cells):
            continue  # blank lines are not data
        rec = {"_row": offset}
        for name, value in zip(mapped, cells + [""] * (len(mapped) - len(cells))):
            if name:
                rec[name] = value
        if len(cells) > len(mapped) and any(cells[len(mapped):]):
            rec["_extra"] = "1"
        records.append(rec)
    columns = ["_row"] + [m for m in mapped if m]
    frame = pd.DataFrame.from_records(records, columns=columns + ["_extra"])
    return frame.fillna("")


def read_csv_bytes(data: bytes, file: str, needed: set[str]) -> RawTable:
    text = decode(data, file)
    if not text.strip():
        raise _problem(file, "leeg bestand")
    sample = text[:20_000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    head_lines = text.splitlines()[:HEADER_SCAN_ROWS]
    try:
        head = list(csv.reader(io.StringIO("\n".join(head_lines)), delimiter=delimiter))
    except csv.Error as exc:
        raise _problem(file, f"onleesbare CSV: {exc}") from None
    header_at = _find_header(head, file, needed)
    header = [c.strip().lower() for c in head[header_at]]
    mapped = [ALIASES.get(h) for h in header]
    for i, name in enumerate(mapped):
        if name is not None and name in mapped[:i]:
            raise _problem(file, f"kolom '{header[i]}' komt twee keer voor", row=header_at + 1,
                           field=header[i])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, header=None,
                            skiprows=header_at + 1, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, names=range(len(header)),
                            engine="c", on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as exc:
        raise _problem(file, f"onleesbare CSV (te veel velden of ongesloten aanhalingsteken): "
                       f"{str(exc).strip()[:200]}") from None
    frame["_row"] = frame.index + header_at + 2
    keep = {i: name for i, name in enumerate(mapped) if name}
    frame = frame.rename(columns=keep)[["_row", *keep.values()]]
    for col in keep.values():
        frame[col] = frame[col].str.strip()
    values = frame[list(keep.values())]
    frame = frame[(values != "").any(axis=1)].reset_index(drop=True)
    frame["_extra"] = ""
    return RawTable(file, frame)


def read_excel_bytes(data: bytes, file: str, needed: set[str], sheet: str | None = None
                     ) -> RawTable:
    import openpyxl

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _problem(file, "geen geldig .xlsx-bestand (beschadigd of ander formaat)")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise _problem(file, f"onleesbaar Excel-bestand: {type(exc).__name__}") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise _problem(file, f"werkblad '{sheet}' bestaat niet; wel: "
                           + ", ".join(wb.sheetnames))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = [[_cell(c) for c in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise _problem(file, f"werkblad '{ws.title}' is leeg")
    header_at = _find_header(rows, file, needed)
    return RawTable(file, _to_frame(rows, header_at, file), sheet=ws.title)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(data: bytes, file: str, needed: set[str], sheet: str | None = None) -> RawTable:
    """Dispatch on the file name's suffix."""
    if len(data) > MAX_BYTES:
        raise _problem(file, f"bestand is groter dan {MAX_BYTES // (1024 * 1024)} MB")
    name = file.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv_bytes(data, file, needed)
    if name.endswith(".xlsx"):
        return read_excel_bytes(data, file, needed, sheet)
    suffix = name.rsplit(".", 1)[-1] if "." in name else "(geen)"
    raise _problem(file, f"onbekend bestandstype '.{suffix}'; verwacht .csv of .xlsx")
