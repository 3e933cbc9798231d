"""Contracts of the Kortrijk 2040 catalog, checked on the store built from it."""

from __future__ import annotations

import re
import shutil

import pytest

from dashboard.catalog import read_catalog
from dashboard.errors import InputError
from dashboard.settings import load_settings
from dashboard.store import Store

from .conftest import SEEDS

NOTE = next(SEEDS.glob("001_*.txt"))


@pytest.fixture(scope="module")
def store(built_official):
    with Store(built_official.db_path, read_only=True) as s:
        yield s


def test_at_least_45_indicators_over_all_six_spearheads(store):
    ind = store.indicators()
    assert len(ind) >= 45
    assert sorted(ind["spearhead_id"].unique()) == [1, 2, 3, 4, 5, 6]
    assert (ind.groupby("spearhead_id").size() >= 3).all()


def test_every_indicator_has_unit_direction_and_source_section(store):
    ind = store.indicators()
    assert (ind["unit"].str.len() > 0).all()
    assert set(ind["direction"]) <= {"higher", "lower"}
    assert (ind["source_section"].str.len() > 0).all()
    assert (ind["source_document"].str.len() > 0).all()
    assert all("gemeente" in levels for levels in ind["levels"])


def test_every_goal_has_a_year_kind_and_known_indicator(store):
    goals = store.goals()
    ids = set(store.indicators()["id"])
    assert len(goals) > 0
    assert goals["year"].notna().all() and goals["year"].between(2000, 2060).all()
    assert set(goals["kind"]) <= {"baseline", "intermediate", "target"}
    assert set(goals["indicator_id"]) <= ids


def test_sections_exist_in_the_note(store):
    """Every cited section heading of the Inspiratienota occurs in the note's text."""
    text = NOTE.read_text(encoding="utf-8")
    ind = store.indicators()
    from_note = ind[ind["source_document"].str.startswith("Inspiratienota")]
    for section in from_note["source_section"].unique():
        heading = re.sub(r"^Intro: ", "", section)
        assert heading.split(" (")[0] in text, section


@pytest.mark.parametrize(
    ("indicator", "year", "value", "kind"),
    [
        ("kinderopvang_per_100", 2024, 57.9, "baseline"),
        ("sociale_woningen_per_100_hh", 2024, 9.2, "baseline"),
        ("sociale_woningen_per_100_hh", 2040, 11.1, "target"),
        # change goals: % against the base year (2005); the 2050 end point the note names
        ("co2_reductie", 2005, 0, "baseline"),
        ("co2_reductie", 2030, -40, "intermediate"),
        ("co2_reductie", 2040, -70, "intermediate"),
        ("co2_reductie", 2050, -100, "target"),
        # cumulative: the stock at the start, then what is added since
        ("laadpunten", 2024, 660, "baseline"),
        ("laadpunten", 2030, 666, "target"),
        ("laadpunten_per_100_inw", 2030, 1.5, "target"),
        ("ontharde_oppervlakte", 2030, 56211, "target"),
        ("warmtenet_aandeel_gebouwen", 2040, 40, "target"),
        ("restwarmte_gwh", 2040, 38, "target"),
        ("extra_bomen", 2030, 77746, "target"),
        ("windvermogen_mw", 2040, 31, "target"),
        ("windvermogen_mw", 2050, 44, "target"),
    ],
)
def test_key_goals_of_the_note(store, indicator, year, value, kind):
    goals = store.goals(indicator)
    row = goals[(goals["year"] == year) & (goals["kind"] == kind)]
    assert len(row) == 1, goals
    assert row["value"].iloc[0] == pytest.approx(value)


def test_real_city_figures_are_measurements_with_source(store):
    # -6.17 % by 2021 against 2005, stored as the index 2005 = 100 (derived, see the note)
    m = store.measurements("co2_reductie", level="gemeente")
    row = m[m["period"] == 2021]
    assert row["value"].iloc[0] == pytest.approx(100 - 6.17)
    assert not row["illustrative"].iloc[0]
    assert row["source"].iloc[0].startswith("Inspiratienota Kortrijk 2040")


def test_centrumsteden_comparisons_stored(store):
    ind = store.indicators().set_index("id")
    assert ind.loc["sociale_woningen_per_100_hh", "comparison_value"] == pytest.approx(9)
    assert ind.loc["personenwagens_per_1000", "comparison_value"] == pytest.approx(458)
    assert ind["comparison_value"].notna().sum() >= 9


def test_spearhead_sdgs_as_shown_in_the_note(store):
    sp = store.spearheads().set_index("id")
    assert list(sp.loc[1, "sdgs"]) == [4, 8, 9]
    assert list(sp.loc[5, "sdgs"]) == [2, 6, 7, 12, 13, 14, 15]


@pytest.fixture
def catalog_copy(tmp_path):
    settings = load_settings()
    target = tmp_path / "catalog"
    shutil.copytree(settings.catalog_dir, target)
    return target


def test_bad_catalog_lists_every_problem_with_file_row_field(catalog_copy):
    path = catalog_copy / "indicators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",higher,", ",beter,", 1)
    lines[2] = lines[2].replace(",gemeente,", ",buurt,", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    goals = catalog_copy / "goals.csv"
    goals.write_text(goals.read_text(encoding="utf-8") + "onbestaand,2030,1,target,x,\n",
                     encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_catalog(catalog_copy)
    text = str(info.value)
    assert "indicators.csv, rij 2, veld 'direction'" in text
    assert "indicators.csv, rij 3, veld 'levels'" in text
    assert "goals.csv" in text and "onbekende indicator 'onbestaand'" in text
    assert len(info.value.problems) == 3
