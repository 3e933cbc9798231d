"""Every page through Streamlit's AppTest, on a real database built from real files."""

from __future__ import annotations

import csv
import re

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
    parts += [n.proto.body for n in at._tree if getattr(n, "type", "") == "html"]
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


def test_home_counts_every_category_and_never_greens_a_first_measurement(
        monkeypatch, official_env):
    at = _run(monkeypatch, official_env)
    line = next(m.value for m in at.markdown if str(m.value).startswith("Alle indicatoren:"))
    counts = {word: int(n) for n, word in
              re.findall(r"(\d+) (op koers|ver achter|achter|nulmeting|geen gegevens)", line)}
    assert set(counts) == {"op koers", "achter", "ver achter", "nulmeting", "geen gegevens"}
    # the shipped catalog: ten indicators have only their first measurement, and the
    # single "op koers" is the patrimony, judged on two figures (2015 and 2019)
    assert counts["nulmeting"] >= 8 and counts["op koers"] <= 1, counts
    cards = [m.value for m in at.markdown if "nulmeting" in str(m.value)]
    assert len(cards) >= 7   # the total line and the six cards


def test_spearhead_page_shows_pace_assumption_and_late_figures(monkeypatch, official_env):
    at = _run(monkeypatch, official_env, "speerpunt-5")
    assert not at.exception
    at.session_state["sp5_part"] = "Alle indicatoren"  # the indicators part (its tab)
    at.run()
    # at a glance: a plain table (no data-grid bundle on a first visit)
    glance = next(m.value for m in at.markdown if m.value.startswith("| Indicator |"))
    assert "| Laadpunten | " in glance and "verwacht sinds 30 juni 2026" in glance
    assert not [d for d in at.dataframe if "Tempo" in d.value.columns]
    at.session_state["sp5_all_columns"] = True  # every column, on request
    at.run()
    table = next(d.value for d in at.dataframe if "Tempo" in d.value.columns)
    row = table.set_index("Indicator").loc["Laadpunten"]
    assert row["Status"].endswith("nulmeting") and row["Tempo"].endswith("niet te beoordelen")
    assert "laadpaalequivalent" in row["Aanname"]
    # the 2024 figure is yearly with six months' lag: the 2025 one was due by 30 June 2026
    assert row["Volgend cijfer"] == "verwacht sinds 30 juni 2026"
    co2 = table.set_index("Indicator").loc["CO₂-uitstoot grondgebied (index 2005 = 100)"]
    assert co2["Status"].endswith("achter") and co2["Tempo"].endswith("beperkte vooruitgang")
    assert "Statistics Canada" in _texts(at)


def test_indicator_page_lists_indicators_of_chosen_spearhead(monkeypatch, official_env):
    at = _run(monkeypatch, official_env, "app_pages/indicators.py")
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
    at = _run(monkeypatch, official_env, "app_pages/sources.py")
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
