"""Fuzzing coordinator loads with hypothesis (well over 1,000 malformed inputs in all).

Generated inputs: CSV text with random delimiters, quoting, encodings, title lines, garbage
bytes and random values in the right columns; random bytes named .xlsx, truncated and
byte-flipped real workbooks and generated workbooks with random cells; GeoJSON-ish JSON
(and broken JSON) for every GIS layer. Each goes to ``loads.validate_file`` /
``loads.validate_layer_file`` and, when validation reports no errors, to ``loads.commit``.

Properties:

- no exception other than ``LoadRefused`` escapes validate or commit;
- when validation reports errors, commit is refused and ``Store.table_checksums()`` is
  unchanged;
- when a commit raises, ``table_checksums()`` is unchanged (nothing half-written);
- when a commit succeeds, the committed values are the current ones.

A few exceptions ARE known app bugs, each shown by a strict xfail case in
``test_loads_bad.py``; they are recognised narrowly (exception class + app function in the
traceback) in ``KNOWN_BUGS`` so the fuzzing keeps checking everything else. Even for them
the "nothing changed" property is asserted. Delete an entry once its bug is fixed.

One Store per module, on a private copy of the real build; deterministic (derandomize) so
CI is reproducible.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import geodata, loads
from dashboard.store import Store

pytestmark = [
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),   # GDAL notes on broken geometry
    pytest.mark.filterwarnings("ignore::UserWarning"),      # geopandas: 'could not parse JSON'
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]

YEAR = dt.date.today().year
EXAMPLES = {"csv": 380, "xlsx": 340, "layer": 300}          # 1,020 in all
FUZZ = settings(deadline=None, derandomize=True, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

# (exception class, app function in the traceback, the strict-xfail case that shows it)
KNOWN_BUGS: tuple[tuple[type[BaseException], str, str], ...] = ()  # all fixed


def _known_bug(exc: BaseException) -> str | None:
    functions = {frame.name for frame in traceback.extract_tb(exc.__traceback__)}
    for kind, function, case in KNOWN_BUGS:
        if isinstance(exc, kind) and function in functions:
            return case
    return None


# ------------------------------------------------------------------------------ fixture
@dataclass
class Fuzz:
    store: Store
    municipality: object
    sectors: object
    checksums: dict
    counts: Counter = field(default_factory=Counter)


KEEP_ILLUSTRATIVE_FROM = YEAR - 2


@pytest.fixture(scope="module")
def fz(built_official, tmp_path_factory):
    """One Store on a private copy of the real build.

    To keep ``table_checksums()`` (run after every example) cheap, the copy keeps only the
    last two years of the generated illustrative sector/district series (~7,000 rows
    otherwise, two thirds of the time per example); catalog values, areas and layers stay.
    """
    root = tmp_path_factory.mktemp("loads_fuzz")
    shutil.copytree(built_official.db_path.parent, root / "data")
    shutil.copytree(built_official.geo_dir, root / "geo")
    db = root / "data" / built_official.db_path.name
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM measurement WHERE illustrative AND period < ?",
                [KEEP_ILLUSTRATIVE_FROM])
    con.execute("CHECKPOINT")
    con.close()
    store = Store(db)
    yield Fuzz(store, geodata.load_level(root / "geo", "gemeente"),
               geodata.load_level(root / "geo", "sector"), store.table_checksums())
    store.close()


COUNTS: Counter = Counter()  # examples per fuzz test, for the final count check


# ------------------------------------------------------------------------------ properties
def _assert_unchanged(fz: Fuzz, what: str) -> None:
    assert fz.store.table_checksums() == fz.checksums, f"{what}: the database changed"


def _commit(fz: Fuzz, validated, confirm: bool, kind: str) -> None:
    """Commit a load that validated; either it lands cleanly or nothing changes."""
    try:
        result = loads.commit(fz.store, validated, who="fuzz", confirm_warnings=confirm)
    except loads.LoadRefused:
        assert len(validated.warnings) and not confirm, "refused without a reason"
        _assert_unchanged(fz, "refused commit")
        fz.counts[f"{kind}: commit refused (warnings)"] += 1
        return
    except Exception as exc:
        _assert_unchanged(fz, f"failed commit ({type(exc).__name__})")
        if not (bug := _known_bug(exc)):
            raise
        fz.counts[f"{kind}: known bug {bug}"] += 1
        return
    fz.counts[f"{kind}: committed"] += 1
    after = fz.store.table_checksums()
    assert after["batch"] != fz.checksums["batch"], "commit returned but wrote no batch"
    fz.checksums = after
    if kind == "layer":
        current = fz.store.layer_features(validated.layer)
        assert set(current["batch_id"]) <= {result["batch_id"]}
        assert sorted(current["feature_id"]) == sorted(validated.features["feature_id"])
        return
    rows = validated.rows
    current = fz.store.current_values(sorted(set(rows["indicator_id"])))
    merged = rows.merge(current, on=["indicator_id", "area_code", "period"], how="left",
                        suffixes=("", "_current"))
    assert (merged["value"] == merged["value_current"]).all(), merged


def check_measurement_file(fz: Fuzz, data: bytes, name: str, indicator=None, sheet=None,
                           confirm=False) -> None:
    try:
        v = loads.validate_file(data, name, fz.store, indicator=indicator, sheet=sheet)
    except Exception as exc:
        _assert_unchanged(fz, f"validate raised {type(exc).__name__}")
        if not (bug := _known_bug(exc)):
            raise
        fz.counts[f"measurements: known bug {bug}"] += 1
        return
    assert isinstance(v, loads.Validated)
    assert list(v.errors.columns) == ["row", "field", "reason"]
    if not v.ok:
        assert all(isinstance(r, str) and r for r in v.errors["reason"])
        with pytest.raises(loads.LoadRefused):
            loads.commit(fz.store, v, who="fuzz", confirm_warnings=True)
        _assert_unchanged(fz, "invalid file")
        fz.counts["measurements: refused by validation"] += 1
        return
    _assert_unchanged(fz, "validation")
    assert v.rows["value"].notna().all() and v.rows["area_code"].notna().all()
    _commit(fz, v, confirm, "measurements")


def check_layer_file(fz: Fuzz, data: bytes, name: str, layer: str, confirm=False) -> None:
    try:
        v = loads.validate_layer_file(data, name, layer, fz.municipality, fz.sectors)
    except Exception as exc:
        _assert_unchanged(fz, f"validate_layer_file raised {type(exc).__name__}")
        if not (bug := _known_bug(exc)):
            raise
        fz.counts[f"layer: known bug {bug}"] += 1
        return
    assert isinstance(v, loads.ValidatedLayer)
    if not v.ok:
        assert all(isinstance(r, str) and r for r in v.errors["reason"])
        with pytest.raises(loads.LoadRefused):
            loads.commit(fz.store, v, who="fuzz", confirm_warnings=True)
        _assert_unchanged(fz, "invalid layer")
        fz.counts["layer: refused by validation"] += 1
        return
    _assert_unchanged(fz, "layer validation")
    _commit(fz, v, confirm, "layer")


# ------------------------------------------------------------------------------ values
INDICATORS = {  # id → (levels, plausible min, max); gemeente-only and all-level ones
    "werkzaamheidsgraad": ("g", 0, 100), "sociale_cohesie": ("g", 0, 100),
    "huurprijs_appartement": ("g", 0, 5000), "groei_ondernemingen_5j": ("g", -100, 200),
    "inwoners": ("gdws", 0, 150000), "laadpunten": ("gdws", 0, 13260),
    "ontharding_per_inwoner": ("gdws", 0, 10),
}
AREAS = {
    "g": ["34022", "Kortrijk"],
    "d": ["34022C", "34022B", "Heule", "Marke", "34022F"],
    "w": ["34022WF", "34022WA", "Heule Sente", "Kortrijk Centrum"],
    "s": ["34022A00-", "34022B001", "Heule-Kern", "Houtmarkt", "34022A172"],
}
ODD_AREAS = ["Bissegem", "Industriegebied - Kanaal", "Rijkswacht", "34022Z99", "kortrijk",
             " 34022 ", "", "Atlantis", "34022wf", "Kortrijk (deelgemeente)"]
HEADERS = {
    "indicator": ["indicator", "Indicator", "indicator_id", "INDICATORCODE"],
    "area": ["gebied", "Gebied", "gebiedscode", "code", "area", "naam gebied"],
    "level": ["niveau", "level"],
    "period": ["jaar", "Jaar", "periode", "year"],
    "value": ["waarde", "Waarde", "value"],
    "unit": ["eenheid", "unit"],
    "source": ["bron"],
    "note": ["opmerking", "note"],
    "junk": ["", "toelichting", "naam", "x"],
}

garbage_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
odd_numbers = st.sampled_from([
    "", " ", "abc", "nan", "NaN", "inf", "-inf", "1e400", "1,2,3", "1.2.3", "--1", "+", ".",
    ",", "0x10", "1_000", "١٢", "½", "12 %", "€ 5", "1.234.567,89", "0.125", "-0", "1e-9",
    "99999999999999999999999", "7,", ",5", "5\u00a0000", "1 000,5", "'12"])
odd_years = st.sampled_from([
    "", "abc", "2022.0", "2022,5", "2022.5", "1e20", "-2020", "nan", "inf", "1999", "2099",
    "02022", " 2021 ", "2020-01-01", "２０２２", "20 22", str(YEAR + 1), "2000", str(YEAR)])


def _fmt_number(x: float, style: str) -> str:
    if style == "plain":
        return repr(float(x)) if not float(x).is_integer() else str(int(x))
    if style == "dutch":  # 1.234,5
        whole, frac = f"{abs(x):,.2f}".split(".")
        return ("-" if x < 0 else "") + whole.replace(",", ".") + "," + frac
    if style == "comma":
        return f"{x:.1f}".replace(".", ",")
    return f"{x:.3g}"


@st.composite
def plausible_row(draw) -> dict[str, str]:
    """A row that could well be valid (so commits are exercised too)."""
    indicator = draw(st.sampled_from(sorted(INDICATORS)))
    levels, lo, hi = INDICATORS[indicator]
    area = draw(st.sampled_from([a for lv in levels for a in AREAS[lv]]))
    value = draw(st.floats(min_value=max(lo, 0), max_value=hi, allow_nan=False))
    return {"indicator": indicator, "area": area, "period": str(draw(st.integers(2000, YEAR))),
            "value": _fmt_number(value, draw(st.sampled_from(["plain", "dutch", "comma",
                                                              "sci"]))),
            "level": "", "unit": "", "source": draw(st.sampled_from(["", "Stadsmonitor"])),
            "note": draw(st.sampled_from(["", "é", "a;b", 'x "y"', "a,b"]))}


@st.composite
def wild_row(draw) -> dict[str, str]:
    """A row with random (often wrong) values in the right columns."""
    return {
        "indicator": draw(st.one_of(st.sampled_from(sorted(INDICATORS) + [
            "kinderopvang_per_100", "bestaat_niet", ""]), garbage_text)),
        "area": draw(st.one_of(st.sampled_from([a for v in AREAS.values() for a in v]
                                               + ODD_AREAS), garbage_text)),
        "level": draw(st.one_of(st.sampled_from(["", "gemeente", "wijk", "sector",
                                                 "deelgemeente", "Wijk", "buurt"]),
                                garbage_text)),
        "period": draw(st.one_of(st.integers(1990, YEAR + 3).map(str), odd_years,
                                 garbage_text)),
        "value": draw(st.one_of(
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.integers(-10**6, 10**7).map(str), odd_numbers, garbage_text,
            st.tuples(st.floats(-1e6, 1e6, allow_nan=False),
                      st.sampled_from(["plain", "dutch", "comma", "sci"])).map(
                lambda t: _fmt_number(*t)))),
        "unit": draw(st.one_of(st.sampled_from(["", "%", "aantal personen", "kg"]),
                               garbage_text)),
        "source": draw(garbage_text),
        "note": draw(garbage_text),
    }


@st.composite
def table(draw, plausible: bool = False) -> tuple[list[str], list[list[str]], dict]:
    """A header (some columns maybe missing, aliased, repeated or junk) and its rows.

    ``plausible``: a complete header and rows that may well be valid, so commit is reached.
    """
    required = ["area", "period", "value"]
    if plausible:
        cols = draw(st.lists(st.sampled_from(["source", "note"]), max_size=2, unique=True))
        dropped = None
    else:
        cols = draw(st.lists(st.sampled_from(["indicator", "level", "unit", "source", "note",
                                              "junk"]), max_size=4))
        dropped = draw(st.sampled_from([None] * 6 + required))
    columns = [c for c in ["indicator", *required, *cols] if c != dropped]
    columns = draw(st.permutations(columns))
    header = [draw(st.sampled_from(HEADERS[c])) for c in columns]
    rows, keys = [], set()
    for _ in range(draw(st.integers(1 if plausible else 0, 6))):
        rec = draw(plausible_row() if plausible else st.one_of(plausible_row(), wild_row()))
        key = (rec["indicator"], rec["area"], rec["period"])
        if plausible and key in keys:
            continue
        keys.add(key)
        cells = [rec.get(c, draw(garbage_text)) for c in columns]
        if not plausible and draw(st.integers(0, 9)) == 0:
            cells = cells[:draw(st.integers(0, len(cells)))]
        elif not plausible and draw(st.integers(0, 14)) == 0:
            cells = cells + [draw(garbage_text)]
        rows.append(cells)
    indicator = None if plausible else draw(st.sampled_from(
        [None] * 5 + ["werkzaamheidsgraad", "inwoners", "bestaat_niet"]))
    return header, rows, {"indicator": indicator, "confirm": draw(st.booleans())}


@st.composite
def csv_file(draw) -> tuple[bytes, str, dict]:
    plausible = draw(st.integers(0, 4)) == 0
    header, rows, opts = draw(table(plausible))
    delimiter = draw(st.sampled_from([",", ";"] if plausible else [",", ";", ";", "\t", "|"]))
    quoting = draw(st.sampled_from(["minimal", "all"] if plausible else
                                   ["minimal", "minimal", "all", "raw"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    titles = draw(st.lists(st.sampled_from(["Kortrijk 2040", "aanlevering; versie 2"])
                           if plausible else garbage_text, max_size=2))
    if quoting == "raw":
        lines = [delimiter.join(r) for r in [header, *rows]]
        text = newline.join([*titles, *lines])
    else:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator=newline,
                       quoting=csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL)
        for t in titles:
            w.writerow([t])
        w.writerows([header, *rows])
        text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"] if plausible else
                                    ["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16",
                                     "latin-1"]))
    data = text.encode(encoding, errors="replace")
    mutation = "none" if plausible else draw(st.sampled_from(
        ["none"] * 3 + ["bytes", "truncate", "quote", "nul"]))
    if mutation == "bytes" and data:
        b = bytearray(data)
        for pos, byte in draw(st.lists(st.tuples(st.integers(0, len(b) - 1),
                                                 st.integers(0, 255)), min_size=1,
                                       max_size=6)):
            b[pos] = byte
        data = bytes(b)
    elif mutation == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif mutation == "quote" and data:
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + b'"' + data[pos:]
    elif mutation == "nul":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + b"\x00" + data[pos:]
    name = draw(st.sampled_from(["aanlevering.csv", "aanlevering.csv", "DATA.CSV",
                                 "aanlevering.txt"]))
    return data, name, opts


def _workbook(rows: list[list], title: str = "Gegevens", titles=(), extra_sheet=False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for t in titles:
        ws.append([t])
    for r in rows:
        ws.append(r)
    if extra_sheet:
        wb.create_sheet("Toelichting").append(["uitleg"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


VALID_WORKBOOK = _workbook([["indicator", "gebied", "jaar", "waarde"],
                            ["werkzaamheidsgraad", "34022", 2022, 76.5],
                            ["inwoners", "Heule", 2024, "12.345"]],
                           titles=["Kortrijk 2040 — aanlevering", None])

excel_cell = st.one_of(
    st.none(), st.booleans(), st.integers(-10**9, 10**9),
    st.floats(allow_nan=False, allow_infinity=False), garbage_text.map(
        lambda s: "".join(ch for ch in s if ch.isprintable())),
    st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1)))


@st.composite
def xlsx_file(draw) -> tuple[bytes, str | None]:
    kind = draw(st.sampled_from(["random", "truncated", "flipped", "generated", "generated",
                                 "zip"]))
    sheet = draw(st.sampled_from([None, None, "Gegevens", "Blad1", "Toelichting", ""]))
    if kind == "random":
        return draw(st.binary(max_size=3000)), sheet
    if kind == "truncated":
        return VALID_WORKBOOK[:draw(st.integers(0, len(VALID_WORKBOOK) - 1))], sheet
    if kind == "flipped":
        b = bytearray(VALID_WORKBOOK)
        for pos, byte in draw(st.lists(st.tuples(st.integers(0, len(b) - 1),
                                                 st.integers(0, 255)), min_size=1,
                                       max_size=8)):
            b[pos] = byte
        return bytes(b), sheet
    if kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for member in draw(st.lists(st.sampled_from([
                    "[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                    "_rels/.rels", "readme.txt"]), max_size=4, unique=True)):
                zf.writestr(member, draw(st.binary(max_size=200)))
        return buf.getvalue(), sheet
    header, rows, _ = draw(table(plausible=draw(st.integers(0, 2)) == 0))
    cells = []
    for r in rows:
        typed = []
        for c in r:
            if draw(st.integers(0, 3)) == 0:
                typed.append(draw(excel_cell))
            else:
                try:
                    typed.append(float(c) if c.replace(".", "", 1).isdigit() else c)
                except ValueError:
                    typed.append(c)
        cells.append(["".join(ch for ch in x if ch.isprintable()) if isinstance(x, str) else x
                      for x in typed])
    titles = draw(st.lists(st.sampled_from(["Kortrijk 2040", None, "aanlevering"]), max_size=3))
    data = _workbook([header, *cells], title=draw(st.sampled_from(["Gegevens", "Blad1"])),
                     titles=titles, extra_sheet=draw(st.booleans()))
    return data, sheet


# ------------------------------------------------------------------------------ layers
KORTRIJK = (st.floats(3.21, 3.35), st.floats(50.76, 50.86))
ANYWHERE = (st.floats(-180, 180), st.floats(-90, 90))
LAMBERT = (st.floats(60000, 80000), st.floats(160000, 175000))


@st.composite
def position(draw) -> list:
    lon, lat = draw(st.sampled_from([KORTRIJK, KORTRIJK, KORTRIJK, ANYWHERE, LAMBERT]))
    pos = [draw(lon), draw(lat)]
    odd = draw(st.integers(0, 19))
    if odd == 0:
        return pos[:1]
    if odd == 1:
        return [*pos, draw(st.floats(-10, 100))]
    if odd == 2:
        return [str(pos[0]), pos[1]]
    return pos


@st.composite
def geometry(draw, depth: int = 0):
    kind = draw(st.sampled_from(["Point", "Point", "LineString", "Polygon", "Polygon",
                                 "MultiPolygon", "MultiLineString", "MultiPoint",
                                 "GeometryCollection", "Bogus", None]))
    if kind is None:
        return None
    if kind == "Point":
        return {"type": kind, "coordinates": draw(position())}
    if kind in ("LineString", "MultiPoint"):
        return {"type": kind, "coordinates": draw(st.lists(position(), max_size=5))}
    if kind == "MultiLineString":
        return {"type": kind, "coordinates": draw(st.lists(st.lists(position(), max_size=4),
                                                           max_size=3))}
    if kind in ("Polygon", "MultiPolygon"):
        if draw(st.booleans()):  # a proper small square (closed ring) near a drawn point
            lon, lat = draw(st.sampled_from([KORTRIJK, KORTRIJK, ANYWHERE]))
            x, y = draw(lon), draw(lat)
            d = draw(st.floats(0.0001, 0.02))
            ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
            if draw(st.integers(0, 4)) == 0:   # make it a bowtie
                ring[1], ring[2] = ring[2], ring[1]
        else:
            ring = draw(st.lists(position(), max_size=6))
            if ring and draw(st.booleans()):
                ring = [*ring, ring[0]]
        coords = [ring]
        return {"type": kind, "coordinates": [coords] if kind == "MultiPolygon" else coords}
    if kind == "GeometryCollection":
        if depth > 0:
            return {"type": kind, "geometries": []}
        return {"type": kind, "geometries": draw(st.lists(geometry(depth=1), max_size=2))}
    return {"type": kind, "coordinates": draw(st.lists(position(), max_size=2))}


json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                        st.floats(allow_nan=False, allow_infinity=False), garbage_text)
PROPERTY_KEYS = ["id", "ID", "feature_id", "code", "fid_code", "naam", "name", "aantal",
                 "vermogen_kw", "type", "doel_aandeel_2040", "m2", "jaar", "extra"]


@st.composite
def feature(draw, index: int):
    props = {}
    if draw(st.integers(0, 5)):  # usually a good id
        props["id"] = f"f-{index}" if draw(st.integers(0, 6)) else draw(json_scalar)
    for key in draw(st.lists(st.sampled_from(PROPERTY_KEYS), max_size=4, unique=True)):
        props[key] = draw(st.one_of(json_scalar, st.lists(json_scalar, max_size=2)))
    feat = {"type": "Feature", "properties": props, "geometry": draw(geometry())}
    if draw(st.integers(0, 29)) == 0:
        del feat["properties"]
    return feat


CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}


GEOMETRY_OF = {"laadpunten": "Point", "warmtenet_leiding": "LineString",
               "warmtenet_zone": "Polygon", "ontharding_project": "Polygon"}


@st.composite
def plausible_feature(draw, layer: str, index: int):
    """A feature that fits ``layer``: its geometry type, inside Kortrijk, numeric props."""
    x, y = draw(st.floats(3.245, 3.285)), draw(st.floats(50.805, 50.835))
    d = draw(st.floats(0.0005, 0.005))
    kind = GEOMETRY_OF[layer]
    if kind == "Point":
        geom = {"type": "Point", "coordinates": [x, y]}
    elif kind == "LineString":
        geom = {"type": "LineString", "coordinates": [[x, y], [x + d, y + d / 2]]}
    else:
        geom = {"type": "Polygon",
                "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}
    props = {"id": f"{layer[:2]}-{index}", "naam": draw(st.sampled_from(["", "Markt", "é"]))}
    for key in loads.LAYERS[layer][1]:
        props[key] = draw(st.one_of(st.integers(0, 500), st.floats(0, 100), st.none()))
    if "type" in props:
        props["type"] = draw(st.sampled_from(["transport", "distributie"]))
    return {"type": "Feature", "properties": props, "geometry": geom}


@st.composite
def layer_file(draw) -> tuple[bytes, str, str]:
    if draw(st.integers(0, 3)) == 0:  # plausible: fits the layer, maybe one feature spoiled
        layer = draw(st.sampled_from(sorted(loads.LAYERS)))
        feats = [draw(plausible_feature(layer, i)) for i in range(draw(st.integers(1, 5)))]
        if draw(st.integers(0, 2)) == 0:
            feats[draw(st.integers(0, len(feats) - 1))] = draw(feature(len(feats)))
        doc = {"type": "FeatureCollection", "features": feats}
        if draw(st.booleans()):
            doc["crs"] = CRS
        return json.dumps(doc).encode(), "laag.geojson", layer
    n = draw(st.integers(0, 5))
    doc = {"type": "FeatureCollection",
           "features": [draw(feature(i)) for i in range(n)]}
    crs = draw(st.sampled_from(["4326", "4326", "none", "31370", "3857", "bogus"]))
    if crs == "4326":
        doc["crs"] = CRS
    elif crs != "none":
        doc["crs"] = {"type": "name", "properties": {"name": f"EPSG:{crs}"}}
    shape = draw(st.sampled_from(["fc"] * 6 + ["feature", "geometry", "list", "scalar"]))
    if shape == "feature":
        doc = doc["features"][0] if doc["features"] else {"type": "Feature"}
    elif shape == "geometry":
        doc = draw(geometry())
    elif shape == "list":
        doc = doc["features"]
    elif shape == "scalar":
        doc = draw(json_scalar)
    text = json.dumps(doc)
    mutation = draw(st.sampled_from(["none"] * 6 + ["truncate", "bytes", "random"]))
    data = text.encode()
    if mutation == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif mutation == "bytes" and data:
        b = bytearray(data)
        for pos, byte in draw(st.lists(st.tuples(st.integers(0, len(b) - 1),
                                                 st.integers(0, 255)), min_size=1,
                                       max_size=4)):
            b[pos] = byte
        data = bytes(b)
    elif mutation == "random":
        data = draw(st.binary(max_size=500))
    name = draw(st.sampled_from(["laag.geojson"] * 6 + ["laag.json", "laag.zip", "laag.gpkg",
                                                        "laag.kml"]))
    layer = draw(st.sampled_from([*loads.LAYERS, *loads.LAYERS, "bestaat_niet"]))
    return data, name, layer


# ------------------------------------------------------------------------------ tests
@settings(FUZZ, max_examples=EXAMPLES["csv"])
@given(case=csv_file())
def test_fuzz_csv_measurements(fz: Fuzz, case):
    data, name, opts = case
    COUNTS["csv"] += 1
    check_measurement_file(fz, data, name, indicator=opts["indicator"],
                           confirm=opts["confirm"])


@settings(FUZZ, max_examples=EXAMPLES["xlsx"])
@given(case=xlsx_file(), indicator=st.sampled_from([None, None, None, "werkzaamheidsgraad"]),
       confirm=st.booleans())
def test_fuzz_xlsx_measurements(fz: Fuzz, case, indicator, confirm):
    data, sheet = case
    COUNTS["xlsx"] += 1
    check_measurement_file(fz, data, "aanlevering.xlsx", indicator=indicator, sheet=sheet,
                           confirm=confirm)


@settings(FUZZ, max_examples=EXAMPLES["layer"])
@given(case=layer_file(), confirm=st.booleans())
def test_fuzz_layers(fz: Fuzz, case, confirm):
    data, name, layer = case
    COUNTS["layer"] += 1
    check_layer_file(fz, data, name, layer, confirm=confirm)


def test_fuzz_fed_enough_inputs_and_reached_commit(fz: Fuzz):
    """Runs last: proves the fuzz tests above fed ≥ 1,000 inputs and exercised commit."""
    if set(COUNTS) != set(EXAMPLES):
        pytest.skip("run the whole module to count the fuzz inputs")
    print("\n".join(f"{k}: {v}" for k, v in sorted((COUNTS + fz.counts).items())))
    assert sum(COUNTS.values()) >= 1000, COUNTS
    for kind in ("measurements", "layer"):
        assert fz.counts[f"{kind}: committed"] > 0, fz.counts
        assert fz.counts[f"{kind}: refused by validation"] > 0, fz.counts
