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
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError, Problem
from ..i18n import t
from . import columns

HEADER_SCAN_ROWS = columns.HEADER_SCAN_ROWS
HEAD_ROWS = columns.HEADER_SCAN_ROWS + columns.SAMPLE_ROWS  # header search + content sample
MIB = 1024 * 1024
# Limits on a coordinator's file, checked before anything is built in memory (a 1.5 KB
# .xlsx declaring A1:XFD20000 once took 2.8 GB; 130,000 header columns aborted the
# process). Every refusal names the file and the limit. The board is built for
# Flanders-scale loads of 1,000,000 rows (tests/test_loads_robustness.py, src/dashboard/scale.py).
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
    frame: pd.DataFrame  # canonical column names + _row (+ _col in a wide layout)
    sheet: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # Dutch field → file's header
    columns: columns.Resolved | None = None


# An Excel cell that holds a formula but no calculated value (a workbook written by a
# program, never opened and saved in Excel or LibreOffice). U+FFFE cannot occur in XML, so
# no cell text of an .xlsx can be this.
UNCALCULATED = "\ufffe="


@dataclass
class Grid:
    """A sheet or CSV as rows of text before its header is known: ``head`` holds the first
    rows (index = the file's row number - 1) for finding the header and judging content;
    ``body(header_at, header)`` reads every row below the header into positional columns
    ``0 … n-1`` with ``_row`` (the file's row number) and ``_extra`` ("1": a value in a
    column without a header)."""

    file: str
    head: list[list[str]]
    body: Callable[[int, list[str]], pd.DataFrame]
    sheet: str | None = None
    uncalculated: bool = False  # some cell is UNCALCULATED (an Excel sheet only)


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
    the first HEAD_ROWS lines."""
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
        if number == HEAD_ROWS:
            head_end = end
        if m is None:
            break
        start = m.end()
    return data[:head_end if head_end is not None else len(data)]


def _too_wide(file: str, row: int) -> InputError:
    return _too_big(file, t("regel {row} heeft meer dan {n} kolommen", row=row,
                            n=MAX_COLUMNS), t("{n} kolommen", n=MAX_COLUMNS))


def _unnamed(header: list[str], width: int) -> list[int]:
    return [i for i in range(width) if i >= len(header) or header[i] == ""]


def grid_from_rows(rows: list[list[str]], file: str, sheet: str | None = None) -> Grid:
    """A grid over rows already in memory (an Excel sheet: index = row number - 1)."""

    def body(header_at: int, header: list[str]) -> pd.DataFrame:
        width = len(header)
        records, numbers, extra = [], [], []
        for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
            cells = [("" if c is None else str(c)).strip() for c in row]
            if not any(cells):
                continue  # blank lines are not data
            records.append((cells + [""] * width)[:width])
            numbers.append(number)
            extra.append("1" if any(cells[i] for i in _unnamed(header, len(cells))) else "")
        frame = pd.DataFrame(records, columns=range(width), dtype=object) if records else \
            pd.DataFrame({i: pd.Series(dtype=object) for i in range(width)})
        frame["_row"] = numbers
        frame["_extra"] = extra
        return frame

    # The head is what the preview shows: a formula without a value as "=…" there (its
    # rows below the header are refused by apply_columns).
    head = [[("" if c is None else "=…" if c == UNCALCULATED else str(c)).strip() for c in r]
            for r in rows[:HEAD_ROWS]]
    return Grid(file, head, body, sheet, uncalculated=any(UNCALCULATED in r for r in rows))


def read_csv_grid(data: bytes, file: str) -> Grid:
    head_bytes = _check_csv_shape(data, file)
    encoding = encoding_of(data, file)
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise _problem(file, t("leeg bestand"))
    # Lines as pandas splits them (\r\n, \n, \r; not form feeds or other separators).
    head_lines = re.split(r"\r\n|\n|\r", head_bytes.decode(encoding))[:HEAD_ROWS]
    # The delimiter is the one that makes a header appear (ties: more recognised names).
    best = None
    for delimiter in (";", ","):
        try:
            head = list(csv.reader(io.StringIO("\n".join(head_lines)), delimiter=delimiter))
        except csv.Error as exc:
            raise _problem(file, t("onleesbare CSV: {error}", error=exc)) from None
        head = [[c.strip() for c in row] for row in head]
        score = max((columns.row_score(row) for row in head[:HEADER_SCAN_ROWS]), default=0)
        if best is None or score > best[0]:
            best = (score, delimiter, head)
    _score, delimiter, head = best
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1

    def body(header_at: int, header: list[str]) -> pd.DataFrame:
        if len(header) > MAX_COLUMNS:
            raise _too_wide(file, header_at + 1)
        if lines * len(header) > MAX_CELLS:
            raise _too_big(file, t("heeft meer dan {n} cellen ({rows} regels x {cols} "
                                   "kolommen)", n=_count(MAX_CELLS), rows=lines,
                                   cols=len(header)),
                           t("{n} cellen", n=_count(MAX_CELLS)))
        spare = 32  # cells beyond the header are read too, to report them per row
        try:
            frame = pd.read_csv(io.BytesIO(data), encoding=encoding, sep=delimiter, dtype=str,
                                header=None, skiprows=header_at + 1, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False,
                                names=range(len(header) + spare), index_col=False,
                                engine="c", on_bad_lines="error")
        except (pd.errors.ParserError, ValueError) as exc:
            raise _problem(file, t("onleesbare CSV (te veel velden of ongesloten "
                                   "aanhalingsteken): {error}",
                                   error=str(exc).strip()[:200])) from None
        unnamed = _unnamed(header, len(header) + spare)
        extra = (frame[unnamed].fillna("").astype(str).apply(lambda c: c.str.strip()) != ""
                 ).any(axis=1)
        frame = frame[list(range(len(header)))]
        frame["_row"] = frame.index + header_at + 2
        frame["_extra"] = extra.map({True: "1", False: ""})
        return frame

    return Grid(file, head, body)


def read_csv_bytes(data: bytes, file: str, needed: set[str]) -> RawTable:
    return table_from_grid(read_csv_grid(data, file), needed)


def read_excel_bytes(data: bytes, file: str, needed: set[str], sheet: str | None = None
                     ) -> RawTable:
    return table_from_grid(read_excel_grid(data, file, sheet), needed)


def read_excel_grid(data: bytes, file: str, sheet: str | None = None) -> Grid:
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
    return grid_from_rows(rows, file, ws.title)


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
    from openpyxl.chartsheet import Chartsheet
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    if isinstance(ws, Chartsheet):  # no cells (a renamed _get_source fails loudly below)
        return []
    wb = ws.parent
    rows: list[list[str]] = []
    cells = 0

    class Parser(WorkSheetParser):
        """The cached values (``data_only``), and UNCALCULATED for a formula without one:
        read as an empty cell, a whole row of them would vanish without a word."""

        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["value"] = UNCALCULATED
            return cell

    with ws._get_source() as src:
        parser = Parser(src, ws._shared_strings, data_only=wb.data_only,
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


def read_grid(data: bytes, file: str, sheet: str | None = None) -> Grid:
    """The file's rows, bounded by the limits above; dispatch on the name's suffix."""
    if len(data) > MAX_BYTES:
        raise _too_big(file, t("is groter dan {size}", size=_mb(MAX_BYTES)), _mb(MAX_BYTES))
    name = file.lower()
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv_grid(data, file)
    if name.endswith(".xlsx"):
        return read_excel_grid(data, file, sheet)
    suffix = name.rsplit(".", 1)[-1] if "." in name else t("(geen)")
    raise _problem(file, t("onbekend bestandstype '.{suffix}'; verwacht .csv of .xlsx",
                           suffix=suffix))


def table_from_grid(grid: Grid, needed: set[str], mapping: columns.Mapping | None = None,
                    context: columns.Context | None = None) -> RawTable:
    """Detect (or take from ``mapping``) the columns and read the rows as long rows with
    canonical names; every column problem at once as an InputError."""
    res = columns.detect(grid.file, grid.head, context or columns.Context(), mapping,
                         needed)
    if res.problems:
        raise InputError(res.problems)
    frame, labels = apply_columns(grid, res)
    return RawTable(grid.file, frame, grid.sheet, labels, res)


def apply_columns(grid: Grid, res: columns.Resolved) -> tuple[pd.DataFrame, dict[str, str]]:
    """The grid's rows below the header in canonical columns (:func:`columns.apply`);
    an InputError naming each formula cell without a calculated value among them."""
    frame, labels = columns.apply(grid.body(res.header_at, res.header), res)
    if grid.uncalculated:
        _refuse_uncalculated(grid.file, frame)
    return frame, labels


def _refuse_uncalculated(file: str, frame: pd.DataFrame) -> None:
    """Every read cell that is a formula without a calculated value, as one InputError
    (row and field named); cells of columns the load does not read do not matter."""
    problems = []
    for name in frame.columns:
        if str(name).startswith("_"):
            continue
        hit = frame[name].astype(str) == UNCALCULATED
        problems.extend(Problem(file, int(row), columns.FIELD.get(name, str(name)), t(
            "formule zonder berekende waarde: het bestand is niet in Excel of LibreOffice "
            "bewaard; open en bewaar het daar opnieuw, of plak de cijfers als waarden"))
            for row in frame.loc[hit, "_row"])
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row or 0, p.field or "")))


def read_table(data: bytes, file: str, needed: set[str], sheet: str | None = None,
               mapping: columns.Mapping | None = None,
               context: columns.Context | None = None) -> RawTable:
    """Read a CSV or Excel file into canonical long rows (see :mod:`.columns`)."""
    return table_from_grid(read_grid(data, file, sheet), needed, mapping, context)
