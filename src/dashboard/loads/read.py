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
MIB = 1024 * 1024
# Limits on a coordinator's file, checked before anything is built in memory (a 1.5 KB
# .xlsx declaring A1:XFD20000 once took 2.8 GB; 130,000 header columns aborted the
# process). Every refusal names the file and the limit. The board is built for
# Flanders-scale loads of 1,000,000 rows (tests/test_loads_robustness.py, bench/scale.py).
MAX_BYTES = 200 * MIB            # any file: Streamlit's upload limit (server.maxUploadSize)
MAX_LINE_BYTES = 64 * 1024       # one CSV line: 200 columns of 300 characters
MAX_COLUMNS = 200                # a measurement file has 9 columns (the template too)
MAX_ROWS = 2_000_000             # twice the Flanders-scale load
MAX_CELLS = 20_000_000           # filled cells (lines x header columns for a CSV)
MAX_SHEETS = 50
# An .xlsx is a zip: its directory is checked first (nothing decompressed).
MAX_XLSX_MEMBERS = 1_000         # a 50-sheet workbook with drawings has a few hundred parts
MAX_XLSX_UNCOMPRESSED = 300 * MIB  # all parts together (worksheets are streamed)
MAX_XLSX_PART = 50 * MIB         # one XML part read whole (shared strings, styles, workbook)
MAX_ZIP_RATIO = 200              # a part above 1 MB compressed more than this: a zip bomb
ZIP_RATIO_FROM = MIB


@dataclass
class RawTable:
    file: str
    frame: pd.DataFrame  # canonical column names + _row
    sheet: str | None = None


def _problem(file: str, reason: str, row: int | None = None, field: str | None = None):
    return InputError([Problem(file, row, field, reason)])


def _mb(n: int) -> str:
    return f"{n // MIB} MB"


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Dutch thousands


def _too_big(file: str, what: str, limit) -> InputError:
    return _problem(file, t("'{file}' {what}; de grens is {limit}", file=file, what=what,
                            limit=limit))


def encoding_of(data: bytes, file: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise _problem(file, t("tekstcodering niet herkend (verwacht UTF-8 of Windows-1252)"))


def decode(data: bytes, file: str) -> str:
    return data.decode(encoding_of(data, file))


_LINE_BREAK = re.compile(rb"\r\n|\n|\r")  # lines as pandas splits them


def _fields(line: bytes) -> int:
    return max(line.count(b";"), line.count(b",")) + 1


def _check_csv_shape(data: bytes, file: str) -> bytes:
    """Bound size, line count and line length (bytes, before decoding or parsing); return
    the first HEADER_SCAN_ROWS lines."""
    if len(data) > MAX_BYTES:
        raise _too_big(file, t("is groter dan {size}", size=_mb(MAX_BYTES)), _mb(MAX_BYTES))
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1
    if lines > MAX_ROWS + HEADER_SCAN_ROWS:
        raise _too_big(file, t("heeft meer dan {n} regels", n=_count(MAX_ROWS)),
                       t("{n} rijen", n=_count(MAX_ROWS)))
    start, number, head_end = 0, 0, None
    while start <= len(data):
        number += 1
        m = _LINE_BREAK.search(data, start)
        end = m.start() if m else len(data)
        if end - start > MAX_LINE_BYTES:
            if _fields(data[start:start + MAX_LINE_BYTES]) > MAX_COLUMNS:
                raise _too_big(file, t("regel {row} heeft meer dan {n} kolommen", row=number,
                                       n=MAX_COLUMNS), t("{n} kolommen", n=MAX_COLUMNS))
            raise _too_big(file, t("regel {row} is langer dan {n} bytes", row=number,
                                   n=_count(MAX_LINE_BYTES)),
                           t("{n} bytes per regel", n=_count(MAX_LINE_BYTES)))
        if number == HEADER_SCAN_ROWS:
            head_end = end
        if m is None:
            break
        start = m.end()
    return data[:head_end if head_end is not None else len(data)]


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
    head_bytes = _check_csv_shape(data, file)
    encoding = encoding_of(data, file)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise _problem(file, t("leeg bestand"))
    # Lines as pandas splits them (\r\n, \n, \r; not form feeds or other separators).
    head_lines = re.split(r"\r\n|\n|\r", head_bytes.decode(encoding))[:HEADER_SCAN_ROWS]
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
    if len(header) > MAX_COLUMNS:
        raise _too_big(file, t("regel {row} heeft meer dan {n} kolommen", row=header_at + 1,
                               n=MAX_COLUMNS), t("{n} kolommen", n=MAX_COLUMNS))
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1
    if lines * len(header) > MAX_CELLS:
        raise _too_big(file, t("heeft meer dan {n} cellen ({rows} regels x {cols} kolommen)",
                               n=_count(MAX_CELLS), rows=lines,
                               cols=len(header)),
                       t("{n} cellen", n=_count(MAX_CELLS)))
    mapped = [ALIASES.get(h) for h in header]
    for i, name in enumerate(mapped):
        if name is not None and name in mapped[:i]:
            raise _problem(file, t("kolom '{column}' komt twee keer voor", column=header[i]),
                           row=header_at + 1, field=header[i])
    spare = 32  # cells beyond the header are read too, to report them per row
    try:
        frame = pd.read_csv(io.BytesIO(data), encoding=encoding, sep=delimiter, dtype=str,
                            header=None,
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
    _check_xlsx_directory(data, file)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise _problem(file, t("onleesbaar Excel-bestand: {error}",
                               error=type(exc).__name__)) from None
    try:
        if len(wb.sheetnames) > MAX_SHEETS:
            raise _too_big(file, t("heeft {n} werkbladen", n=len(wb.sheetnames)),
                           t("{n} werkbladen", n=MAX_SHEETS))
        if sheet is not None and sheet not in wb.sheetnames:
            raise _problem(file, t("werkblad '{sheet}' bestaat niet; wel: {sheets}",
                                   sheet=sheet, sheets=", ".join(wb.sheetnames)))
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        try:
            rows = _sheet_rows(ws, file)
        except InputError:
            raise
        except Exception as exc:  # broken sheet XML
            raise _problem(file, t("onleesbaar Excel-bestand: {error}",
                                   error=type(exc).__name__)) from None
    finally:
        wb.close()
    if not rows:
        raise _problem(file, t("werkblad '{sheet}' is leeg", sheet=ws.title))
    header_at = _find_header(rows, file, needed)
    return RawTable(file, _to_frame(rows, header_at, file), sheet=ws.title)


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)


def _check_xlsx_directory(data: bytes, file: str) -> None:
    """Bound the workbook from its zip directory before openpyxl decompresses anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _problem(file, t("geen geldig .xlsx-bestand (beschadigd of ander formaat)")
                       ) from None
    if len(infos) > MAX_XLSX_MEMBERS:
        raise _too_big(file, t("bevat {n} onderdelen", n=len(infos)),
                       t("{n} onderdelen", n=MAX_XLSX_MEMBERS))
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNCOMPRESSED:
        raise _too_big(file, t("is uitgepakt {size}", size=_mb(total)),
                       _mb(MAX_XLSX_UNCOMPRESSED))
    for info in infos:
        if (info.file_size > ZIP_RATIO_FROM
                and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)):
            raise _too_big(file, t("onderdeel '{part}' is meer dan {ratio} keer samengeperst "
                                   "(zip-bom?)", part=info.filename, ratio=MAX_ZIP_RATIO),
                           f"{MAX_ZIP_RATIO}:1")
        name = info.filename.lower()
        if (name.endswith((".xml", ".rels")) and not _SHEET_PART.fullmatch(info.filename)
                and info.file_size > MAX_XLSX_PART):
            raise _too_big(file, t("onderdeel '{part}' is uitgepakt {size}",
                                   part=info.filename, size=_mb(info.file_size)),
                           _mb(MAX_XLSX_PART))


def _sheet_rows(ws, file: str) -> list[list[str]]:
    """The sheet's rows as text, streamed from its XML: only the cells that hold a value
    (the declared dimension and styled empty cells build nothing), within the limits."""
    from openpyxl.worksheet._reader import WorkSheetParser

    if not hasattr(ws, "_get_source"):  # a chart sheet: no cells
        return []
    wb = ws.parent
    rows: list[list[str]] = []
    cells = 0
    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=wb.data_only,
                                 epoch=wb.epoch, date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        for idx, row in parser.parse():
            values = [(c["column"], c["value"]) for c in row if c["value"] is not None]
            if not values:
                continue
            idx = max(idx, len(rows) + 1)  # rows out of order: keep the order read
            if idx > MAX_ROWS:
                raise _too_big(file, t("werkblad '{sheet}' heeft meer dan {n} rijen",
                                       sheet=ws.title, n=_count(MAX_ROWS)),
                               t("{n} rijen", n=_count(MAX_ROWS)))
            width = max(col for col, _ in values)
            if width > MAX_COLUMNS:
                raise _too_big(file, t("werkblad '{sheet}' heeft een waarde in kolom {col} "
                                       "(rij {row})", sheet=ws.title, col=width, row=idx),
                               t("{n} kolommen", n=MAX_COLUMNS))
            cells += len(values)
            if cells > MAX_CELLS:
                raise _too_big(file, t("werkblad '{sheet}' heeft meer dan {n} gevulde cellen",
                                       sheet=ws.title, n=_count(MAX_CELLS)),
                               t("{n} cellen", n=_count(MAX_CELLS)))
            line = [""] * width
            for col, value in values:
                line[col - 1] = _cell(value)
            rows.extend([] for _ in range(idx - 1 - len(rows)))
            rows.append(line)
    return rows


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
        raise _too_big(file, t("is groter dan {size}", size=_mb(MAX_BYTES)), _mb(MAX_BYTES))
    name = file.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv_bytes(data, file, needed)
    if name.endswith(".xlsx"):
        return read_excel_bytes(data, file, needed, sheet)
    suffix = name.rsplit(".", 1)[-1] if "." in name else t("(geen)")
    raise _problem(file, t("onbekend bestandstype '.{suffix}'; verwacht .csv of .xlsx",
                           suffix=suffix))
