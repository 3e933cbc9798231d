"""The action catalog of the Inspiratienota (issue 14, point 1)."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from dashboard.actions import extract as ex

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ROOT / "data" / "catalog" / "actions.csv"
CORRECTIONS = ROOT / "data" / "catalog" / "actions_corrections.csv"
INDICATORS = ROOT / "data" / "catalog" / "indicators.csv"
SEEDS = sorted((ROOT.parent / "shared" / "seeds").glob("001_*.txt"))
GEO = Path(os.environ.get("DASHBOARD_GEODATA_DIR") or ROOT.parent / "shared" / "geo")

pytestmark = pytest.mark.skipif(
    not SEEDS or not (GEO / "kortrijk_wijken_2024.geojson").exists(),
    reason="needs ../shared/seeds/001_*.txt and the official geodata",
)


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*]", "", text)).strip().lower()


def _recount(text: str) -> list[tuple[str, str]]:
    """Independent count: (section number, bullet start) of every action bullet.

    Deliberately simpler than the extractor: cut the spearhead chapters (first
    "Speerpunt 1:" up to "OUTRO") at the "N.M Title" headings and keep, per
    piece, each line that is a "- " bullet opening with a capital, a digit or
    bold and has at least five words (shorter ones are group headings).
    """
    start = text.index("Speerpunt 1:")
    end = text.index("\nOUTRO")
    pieces = re.split(r"(?m)^(\d\.\d+) ", text[start:end])
    found = []
    for number, body in zip(pieces[1::2], pieces[2::2], strict=True):
        for line in body.splitlines():
            m = re.match(r"^\s*-\s+((?:\*\*)?[A-Z0-9À-Ý].*)$", line)
            if m and len(m.group(1).split()) >= 5:
                found.append((number, " ".join(_norm(m.group(1)).split()[:6])))
    return found


def _run(tmp_path: Path, name: str, corrections: Path) -> bytes:
    out = tmp_path / name
    args = ["--seed", str(SEEDS[0]), "--out", str(out), "--corrections", str(corrections)]
    assert ex.main(args) == 0
    return out.read_bytes()


def test_recount_finds_95_percent_with_spearhead_and_section():
    bullets = _recount(SEEDS[0].read_text(encoding="utf-8"))
    rows = _rows(ACTIONS)
    assert len(bullets) >= 200
    missing = []
    for number, start in bullets:
        hits = [
            r
            for r in rows
            if _norm(r["text"]).startswith(start)
            and r["section"].split()[0] == number
            and r["spearhead_id"] == number.split(".")[0]
        ]
        if not hits:
            missing.append((number, start))
    coverage = 1 - len(missing) / len(bullets)
    print(f"recount {len(bullets)} bullets, {len(rows)} actions, coverage {coverage:.1%}")
    assert coverage >= 0.95, missing


def test_ids_are_unique_and_follow_the_sections():
    rows = _rows(ACTIONS)
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        m = re.fullmatch(r"a(\d)\.(\d+)\.(\d\d)", r["id"])
        assert m, r["id"]
        assert r["spearhead_id"] == m.group(1)
        assert r["section"].startswith(f"{m.group(1)}.{m.group(2)} ")
        assert r["source_section"].split(" > ")[0] == f"{m.group(1)}.{m.group(2)}"
        assert r["title"] and r["text"]


def test_known_actions_come_out_right():
    by_id = {r["id"]: r for r in _rows(ACTIONS)}
    laad = next(r for r in by_id.values() if "666 extra laadpaalequivalenten" in r["text"])
    assert laad["spearhead_id"] == "5" and laad["section"] == "5.4 Modal Shift"
    assert laad["title"] == "666 extra laadpaalequivalenten"
    assert laad["target_year"] == "2030"
    assert laad["quantity"] == "666 extra laadpaalequivalenten"
    assert "laadpunten_per_100_inw" in laad["indicator_ids"].split(";")
    heat = next(r for r in by_id.values() if "industriële restwarmte" in r["title"])
    assert heat["place"].split(";") == [
        "Gentse Poort", "Venning", "Kortrijk Centrum", "Drie Hofsteden", "Sint-Elisabeth"
    ]
    assert by_id["a5.1.01"]["title"] == "één integrale duurzaamheidsstrategie"
    assert by_id["a1.2.01"]["place"] == "Hangar K"


def test_two_runs_give_the_same_bytes_and_match_the_committed_file(tmp_path):
    first = _run(tmp_path, "a.csv", CORRECTIONS)
    second = _run(tmp_path, "b.csv", CORRECTIONS)
    assert first == second
    assert ACTIONS.read_bytes() == first, (
        "data/catalog/actions.csv differs from the script's output: put hand edits in "
        "actions_corrections.csv and rerun python -m dashboard.actions.extract"
    )


def test_committed_corrections_are_applied():
    corrections = ex.read_corrections(CORRECTIONS)
    assert len(corrections) >= 2
    by_id = {r["id"]: r for r in _rows(ACTIONS)}
    raw = {r["id"]: r for r in ex.extract(SEEDS[0].read_text(encoding="utf-8"))}
    for action_id, field, value in corrections:
        assert by_id[action_id][field] == value
        assert raw[action_id][field] != value  # a real correction, not a no-op


def test_a_new_correction_is_applied_and_survives_a_rerun(tmp_path):
    corrections = tmp_path / "corrections.csv"
    corrections.write_text(
        CORRECTIONS.read_text(encoding="utf-8") + "a5.4.03,title,Laadpalen bijplaatsen\n",
        encoding="utf-8",
    )
    before = corrections.read_bytes()
    first = _run(tmp_path, "a.csv", corrections)
    second = _run(tmp_path, "b.csv", corrections)
    assert first == second
    assert corrections.read_bytes() == before  # the extractor never writes it
    rows = {r["id"]: r for r in _rows(tmp_path / "b.csv")}
    assert rows["a5.4.03"]["title"] == "Laadpalen bijplaatsen"
    assert rows["a5.4.03"]["quantity"] == "666 extra laadpaalequivalenten"


def test_a_correction_for_an_unknown_id_or_field_is_refused():
    rows = [{"id": "a1.1.01", "title": "x"}]
    with pytest.raises(ValueError, match="unknown action id"):
        ex.apply_corrections(rows, [("a9.9.99", "title", "y")])
    with pytest.raises(ValueError, match="field"):
        ex.apply_corrections(rows, [("a1.1.01", "colour", "y")])


def test_indicator_ids_exist_and_target_years_are_plausible():
    known = {r["id"] for r in _rows(INDICATORS)}
    rows = _rows(ACTIONS)
    linked = 0
    for r in rows:
        ids = [i for i in r["indicator_ids"].split(";") if i]
        linked += bool(ids)
        assert set(ids) <= known, (r["id"], set(ids) - known)
        if r["target_year"]:
            assert 2024 <= int(r["target_year"]) <= 2050, r["id"]
    assert linked >= 30


def test_the_readers_refuse_oversized_and_incomplete_files(tmp_path):
    from dashboard.actions import extract as ex

    big = tmp_path / "seed.txt"
    big.write_text("x" * 200, encoding="utf-8")
    with pytest.raises(ValueError, match="seed.txt: 200 bytes"):
        ex.build(big, tmp_path / "none.csv", max_seed_bytes=100)
    bad = tmp_path / "corr.csv"
    bad.write_text("id,field,value\na1.1.01,title,ok\n,title,no id\n", encoding="utf-8")
    with pytest.raises(ValueError, match="corr.csv, row 3"):
        ex.read_corrections(bad)
