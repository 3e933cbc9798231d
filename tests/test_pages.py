"""Every page through Streamlit's AppTest, on a real database built from real files."""

from __future__ import annotations

import csv

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.settings import PROJECT_ROOT

from .conftest import make_env, run_app

APP = str(PROJECT_ROOT / "app.py")
SPEARHEADS = [r["name"] for r in csv.DictReader(
    (PROJECT_ROOT / "data" / "catalog" / "spearheads.csv").open(encoding="utf-8"))]


def _run(monkeypatch, env: dict[str, str], page: str | None = None) -> AppTest:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_app(page)


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader]
    parts += [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.warning] + [e.value for e in at.error]
    parts += [e.value for e in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def official_env(built_copy, clean_env):
    env = make_env(built_copy.db_path.parent.parent)
    return env


def test_home_shows_vision_and_six_spearheads(monkeypatch, official_env):
    at = _run(monkeypatch, official_env)
    text = _texts(at)
    assert "Kortrijk 2040: een stad met ademruimte voor iedereen" in text
    for name in SPEARHEADS:
        assert name in text, name
    assert "Data & Analyse van de Vlaamse provincies" in text  # attribution under the map
    assert not at.warning  # official geodata: no schematic warning
    # Reading order = element order: a phone stacks the columns, so the cards must come
    # row by row (1, 2, 3, 4, 5, 6), not column by column (1, 4, 2, 5, 3, 6).
    numbers = [int(h.value.split(".")[0]) for h in at.subheader if h.value[:1].isdigit()]
    assert numbers == [1, 2, 3, 4, 5, 6], numbers


def test_indicator_page_lists_indicators_of_chosen_spearhead(monkeypatch, official_env):
    at = _run(monkeypatch, official_env, "pages/indicators.py")
    at.selectbox[0].select(5).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "Laadpuntequivalenten per 100 inwoners" in set(table["Indicator"])
    assert table["Bron"].str.contains("Inspiratienota Kortrijk 2040").all()
    at.selectbox[0].select(1).run()
    table = at.dataframe[0].value
    assert "Kinderopvangplaatsen per 100 kinderen" in set(table["Indicator"])
    assert "Laadpuntequivalenten per 100 inwoners" not in set(table["Indicator"])


def test_sources_page_shows_geometry_quality_and_batches(monkeypatch, official_env):
    at = _run(monkeypatch, official_env, "pages/sources.py")
    rows = at.table[0].value
    quality = dict(zip(rows["Niveau"], rows["Kwaliteit"]))
    assert quality == {"gemeente": "officieel", "deelgemeente": "officieel",
                       "wijk": "officieel", "sector": "benaderd"}
    kinds = set(at.dataframe[0].value["Soort"])
    assert kinds == {"catalogus", "illustratief"}
    assert "illustratieve" in _texts(at)


def test_fresh_start_without_geodata_is_schematic_with_the_command(monkeypatch, tmp_path,
                                                                   clean_env):
    at = _run(monkeypatch, make_env(tmp_path, geodata=None))
    warning = " ".join(w.value for w in at.warning)
    assert "schematische" in warning
    assert "python -m dashboard geodata --from" in warning
    assert "Schematische indeling" in _texts(at)


def test_unusable_geodata_folder_still_starts_and_says_why(monkeypatch, tmp_path, clean_env):
    bad = tmp_path / "bad-geo"
    bad.mkdir()
    (bad / "kortrijk_wijken_2024.geojson").write_bytes(b"")
    at = _run(monkeypatch, make_env(tmp_path / "app", geodata=bad))
    errors = " ".join(e.value for e in at.error)
    assert "kortrijk_wijken_2024.geojson" in errors and "leeg bestand" in errors
    assert any("schematische" in w.value for w in at.warning)
