"""Issue 11, finding 4 (and the zipped-Shapefile bomb): spreadsheet, CSV and zip bombs are
refused before anything is built in memory, with a message naming the file and the limit.

Each bomb goes through the real command line (``python -m dashboard import FILE
--dry-run``) in a child process against a private copy of the real build; the child
reports its own peak memory (``VmHWM`` from ``/proc/self/status``) on stderr, and it must
stay under PEAK_LIMIT_MB. Not ``ru_maxrss``: Linux carries the maximum of the forked
pytest worker across ``exec`` into it, so a large worker made every bomb look 500 MB big;
VmHWM belongs to the child's own address space, which ``exec`` starts afresh. A guard
(RLIMIT_AS, MEMORY_GUARD) and a timeout keep a bomb that does go off (as on the unfixed
code) from harming the machine: the child then dies with MemoryError and the test fails.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from dashboard import catalog, geodata
from dashboard.loads import read

from ..conftest import make_env

# The limits as docs/loads.md states them (the bombs are built from these values).
MIB = 1024 * 1024
DOCUMENTED = {
    (read, "MAX_COLUMNS"): 200, (read, "MAX_ROWS"): 2_000_000,
    (read, "MAX_CELLS"): 20_000_000, (read, "MAX_LINE_BYTES"): 65_536,
    (read, "MAX_SHEETS"): 50, (read, "MAX_XLSX_UNCOMPRESSED"): 300 * MIB,
    (read, "MAX_XLSX_PART"): 50 * MIB, (geodata, "MAX_LAYER_BYTES"): 200 * MIB,
    (catalog, "MAX_CATALOG_BYTES"): 20 * MIB,
}
COLUMNS, ROWS, CELLS, LINE_BYTES, SHEETS = 200, 2_000_000, 20_000_000, 65_536, 50
XLSX_UNCOMPRESSED_MB, XLSX_PART_MB, LAYER_MB, CATALOG_MB = 300, 50, 200, 20

PEAK_LIMIT_MB = 500
MEMORY_GUARD = 5 * 1024 ** 3 // 2  # address space of the child (an idle CLI reserves 1.3 GB)
TIMEOUT = 240

CHILD = r"""
import re, sys
from dashboard.cli import main
try:
    code = main(sys.argv[1:])
finally:
    with open("/proc/self/status") as fh:
        hwm = re.search(r"VmHWM:\s+(\d+) kB", fh.read()).group(1)
    print("PEAK_KB=%s" % hwm, file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def root(built_official, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bombs")
    shutil.copytree(built_official.db_path.parent, root / "data")
    shutil.copytree(built_official.geo_dir, root / "geo")
    return root


def _guard():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_GUARD, MEMORY_GUARD))


def load(root: Path, file: Path, *args: str) -> tuple[int, str, float]:
    """Run the import of ``file`` in a child; (exit code, stderr, peak memory in MB)."""
    env = {**os.environ, **make_env(root)}
    env.pop("DASHBOARD_GEODATA_DIR", None)
    proc = subprocess.run([sys.executable, "-c", CHILD, "import", str(file), "--dry-run",
                           "--who", "test", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, preexec_fn=_guard)
    found = re.search(r"PEAK_KB=(\d+)", proc.stderr)
    assert found, f"the child died (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    peak = int(found.group(1)) / 1024
    print(f"{file.name}: exit {proc.returncode}, peak {peak:.0f} MB")
    return proc.returncode, proc.stderr, peak


def assert_refused(result, file: Path, limit: str) -> None:
    code, err, peak = result
    assert "Traceback" not in err, err[-3000:]
    assert code == 2, (code, err[-3000:])
    lines = [ln for ln in err.splitlines() if file.name in ln and limit in ln]
    assert lines, f"no message naming {file.name} and the limit {limit!r}:\n{err[-3000:]}"
    assert peak < PEAK_LIMIT_MB, f"peak memory {peak:.0f} MB"


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


# ------------------------------------------------------------------------------ xlsx
HEADER = ["indicator", "gebied", "jaar", "waarde"]
ROW = ["inwoners", "34022", 2021, 77500]


def _workbook(path: Path, far_cell: str | None = None, sheets: int = 1) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(ROW)
    if far_cell:
        ws[far_cell] = 1
    for i in range(1, sheets):
        wb.create_sheet(f"Blad{i + 1}")
    wb.save(path)
    return path


def _rewrite(path: Path, member: str, write) -> None:
    """Replace one member of the zip at ``path``; ``write(old_bytes, fh)`` streams the new."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            if info.filename == member:
                with dst.open(member, "w", force_zip64=True) as fh:
                    write(src.read(info), fh)
            else:
                dst.writestr(info, src.read(info))


SST = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _add_shared_strings(path: Path, strings) -> None:
    """Give the workbook a shared-strings part (openpyxl writes inline strings) holding
    ``strings`` (an iterable of bytes), streamed into the zip."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="' + SST.encode() + b'"/></Types>')
            dst.writestr(info, data)
        with dst.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     b'main">')
            for text in strings:
                fh.write(b"<si><t>" + text + b"</t></si>")
            fh.write(b"</sst>")


def test_finding_04_xlsx_declaring_a1_xfd20000_with_far_cells(root, tmp_path):
    """Cells at A1 and XFD20000: the page cannot use a value in column 16,384."""
    path = _workbook(tmp_path / "dimensie.xlsx", far_cell="XFD20000")
    with zipfile.ZipFile(path) as zf:
        assert re.search(rb'<dimension ref="A1:XFD20000" ?/>', zf.read("xl/worksheets/sheet1.xml"))
    assert path.stat().st_size < 10_000
    assert_refused(load(root, path), path, f"de grens is {COLUMNS} kolommen")


def test_finding_04_xlsx_whose_dimension_says_a1_xfd20000(root, tmp_path):
    """Valid rows 1, 2 and 20,000 in columns A-D, the <dimension> edited to A1:XFD20000:
    nothing is padded to the declared width (2.6 GB of empty cells before), the three
    rows are read."""
    path = tmp_path / "dimensie.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(ROW)
    for col, value in zip("ABCD", ["inwoners", "34022", 2022, 77800]):
        ws[f"{col}20000"] = value
    wb.save(path)

    def edit(old: bytes, fh) -> None:
        new = re.sub(rb'<dimension ref="[^"]+" ?/>', b'<dimension ref="A1:XFD20000"/>', old)
        assert new != old
        fh.write(new)

    _rewrite(path, "xl/worksheets/sheet1.xml", edit)
    assert path.stat().st_size < 10_000
    code, err, peak = load(root, path)
    assert "Traceback" not in err, err[-3000:]
    assert code == 1, (code, err[-3000:])  # a dry run of a valid file
    assert peak < PEAK_LIMIT_MB, f"peak memory {peak:.0f} MB"


def test_finding_04_xlsx_shared_strings_bomb(root, tmp_path):
    """400 MB of shared strings compressed to a few MB (openpyxl reads them whole)."""
    path = _workbook(tmp_path / "strings.xlsx")
    big = b"A" * (10 * 1024 * 1024)
    _add_shared_strings(path, (big for _ in range(40)))
    assert path.stat().st_size < 5 * 1024 * 1024
    assert_refused(load(root, path), path,
                   f"de grens is {XLSX_UNCOMPRESSED_MB} MB")


def test_finding_04_xlsx_shared_strings_part_over_its_limit(root, tmp_path):
    """80 MB of shared strings that do not compress well (not a ratio bomb): over the limit
    of one part read whole."""
    path = _workbook(tmp_path / "strings.xlsx")
    rng = np.random.default_rng(4)
    digits = np.frombuffer(b"0123456789abcdef", np.uint8)
    _add_shared_strings(path, (digits[rng.integers(0, 16, 10 * 1024 * 1024)].tobytes()
                               for _ in range(8)))
    assert_refused(load(root, path), path, f"de grens is {XLSX_PART_MB} MB")


def test_finding_04_xlsx_with_too_many_sheets(root, tmp_path):
    path = _workbook(tmp_path / "bladen.xlsx", sheets=SHEETS + 1)
    assert_refused(load(root, path), path, f"de grens is {SHEETS} werkbladen")


# ------------------------------------------------------------------------------- csv
def test_finding_04_csv_with_130000_header_columns(root, tmp_path):
    path = tmp_path / "kolommen.csv"
    path.write_bytes(b";".join([b"indicator", b"gebied", b"jaar", b"waarde"]) + b";" * 130_000
                     + b"\ninwoners;34022;2021;77500\n")
    assert path.stat().st_size < 160_000
    assert_refused(load(root, path), path, f"de grens is {COLUMNS} kolommen")


def test_finding_04_csv_with_one_enormous_line(root, tmp_path):
    path = tmp_path / "regel.csv"
    with path.open("wb") as fh:
        fh.write(b"indicator;gebied;jaar;waarde;opmerking\ninwoners;34022;2021;77500;")
        block = b"x" * (1024 * 1024)
        for _ in range(120):
            fh.write(block)
        fh.write(b"\n")
    assert_refused(load(root, path), path, f"de grens is {_n(LINE_BYTES)} bytes")


def test_finding_04_csv_with_too_many_rows(root, tmp_path):
    path = tmp_path / "rijen.csv"
    with path.open("wb") as fh:
        fh.write(b"indicator;gebied;jaar;waarde\n")
        block = b"inwoners;34022;2021;77500\n" * 100_000
        for _ in range(ROWS // 100_000 + 1):
            fh.write(block)
    assert_refused(load(root, path), path, f"de grens is {_n(ROWS)} rijen")


def test_finding_04_csv_with_too_many_cells(root, tmp_path):
    columns = COLUMNS - 1
    rows = CELLS // columns + 1
    path = tmp_path / "cellen.csv"
    with path.open("wb") as fh:
        fh.write(b";".join([b"indicator", b"gebied", b"jaar", b"waarde"]
                           + [b"x%d" % i for i in range(columns - 4)]) + b"\n")
        block = (b"inwoners;34022;2021;77500" + b";" * (columns - 4) + b"\n") * 10_000
        for _ in range(rows // 10_000 + 1):
            fh.write(block)
    assert_refused(load(root, path), path, f"de grens is {_n(CELLS)} cellen")


# ------------------------------------------------------------------ zipped Shapefile
def _points_shapefile_zip(path: Path, n: int) -> None:
    """A valid Shapefile of ``n`` points in Kortrijk (WGS84), zipped: ~38 bytes per point
    uncompressed, a few per point compressed."""
    chunk = 1_000_000
    shp_len = 100 + 28 * n
    shx_len = 100 + 8 * n

    def header(length: int) -> bytes:
        h = bytearray(100)
        h[0:4] = (9994).to_bytes(4, "big")
        h[24:28] = (length // 2).to_bytes(4, "big")
        h[28:32] = (1000).to_bytes(4, "little")
        h[32:36] = (1).to_bytes(4, "little")
        h[36:68] = np.array([3.26, 50.82, 3.26, 50.82], "<f8").tobytes()
        return bytes(h)

    rec = np.dtype([("num", ">i4"), ("len", ">i4"), ("type", "<i4"), ("x", "<f8"),
                    ("y", "<f8")])
    idx = np.dtype([("off", ">i4"), ("len", ">i4")])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("bom.shp", "w", force_zip64=True) as fh:
            fh.write(header(shp_len))
            for start in range(0, n, chunk):
                k = min(chunk, n - start)
                a = np.zeros(k, rec)
                a["num"] = np.arange(start + 1, start + k + 1)
                a["len"], a["type"], a["x"], a["y"] = 10, 1, 3.26, 50.82
                fh.write(a.tobytes())
        with zf.open("bom.shx", "w", force_zip64=True) as fh:
            fh.write(header(shx_len))
            for start in range(0, n, chunk):
                k = min(chunk, n - start)
                a = np.zeros(k, idx)
                a["off"] = (100 + 28 * np.arange(start, start + k)) // 2
                a["len"] = 10
                fh.write(a.tobytes())
        with zf.open("bom.dbf", "w", force_zip64=True) as fh:
            head = bytearray(32)
            head[0] = 3
            head[4:8] = n.to_bytes(4, "little")
            head[8:10] = (32 + 32 + 1).to_bytes(2, "little")
            head[10:12] = (1 + 1).to_bytes(2, "little")
            field = bytearray(32)
            field[0:2] = b"id"
            field[11:12] = b"C"
            field[16] = 1
            fh.write(bytes(head) + bytes(field) + b"\r")
            for start in range(0, n, chunk):
                fh.write(b" x" * min(chunk, n - start))
            fh.write(b"\x1a")
        zf.writestr("bom.prj", 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
                               '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",'
                               '0.0174532925199433]]')


def test_finding_04_zipped_shapefile_bomb_for_a_layer_load(root, tmp_path):
    """8 million points: 300 MB unpacked from a zip of a few tens of MB."""
    path = tmp_path / "laadpunten.zip"
    _points_shapefile_zip(path, 8_000_000)
    assert path.stat().st_size < 100 * 1024 * 1024
    assert_refused(load(root, path, "--layer", "laadpunten"), path,
                   f"de grens is {LAYER_MB} MB")


# ------------------------------------------------------------------------- catalog
def test_finding_04_catalog_file_over_its_limit(tmp_path):
    """The catalog reader bounds each file before pandas reads it whole."""
    from dashboard.errors import InputError
    from dashboard.settings import PROJECT_ROOT

    folder = tmp_path / "catalog"
    shutil.copytree(PROJECT_ROOT / "data" / "catalog", folder)
    with (folder / "measurements.csv").open("ab") as fh:
        line = b"inwoners,2020,1,x\n"
        fh.write(line * (CATALOG_MB * MIB // len(line) + 1))
    with pytest.raises(InputError) as caught:
        catalog.read_catalog(folder)
    limit = f"de grens is {CATALOG_MB} MB"
    assert any("measurements.csv" in p.reason and limit in p.reason
               for p in caught.value.problems), caught.value.problems


def test_limits_are_the_documented_ones():
    assert {name: getattr(module, name, None) for (module, name) in DOCUMENTED} == {
        name: value for (_module, name), value in DOCUMENTED.items()}
