"""Contracts for the catalog corrections of issue 12 (a line-by-line audit against the note).

Each test quotes what the note says, checks the quote is really in the seed text, and then
checks the built store says the same. Derived figures must carry an "afgeleid" note with
the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboard import overview, statusdoc
from dashboard.board import Board
from dashboard.catalog import read_catalog
from dashboard.errors import InputError
from dashboard.store import Store

from .conftest import SEEDS

NOTE_TEXT = " ".join(next(SEEDS.glob("001_*.txt")).read_text(encoding="utf-8").split())
PLAN_TEXT = " ".join(next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8").split())


def in_note(quote: str) -> bool:
    return " ".join(quote.split()) in NOTE_TEXT


@pytest.fixture(scope="module")
def store(built_official):
    with Store(built_official.db_path, read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def inds(store):
    return store.indicators().set_index("id")


def goals_of(store, indicator_id):
    g = store.goals(indicator_id)
    return sorted((int(y), float(v), k) for y, v, k in zip(g["year"], g["value"], g["kind"]))


def test_every_goal_has_a_type_and_context_figures_have_none(store, inds):
    with_goals = set(store.goals().query("kind != 'baseline'")["indicator_id"])
    for i, row in inds.iterrows():
        assert (row["goal_type"] != "none") == (i in with_goals), i


def test_wind_31_mw_is_the_2040_target_and_44_mw_a_later_target(store):
    assert in_note("We realiseren tegen 2040 31MW aan windvermogen (huidig = 6MW)")
    assert in_note("Tegen 2050 is dit 44MW")
    assert goals_of(store, "windvermogen_mw") == [(2024, 6, "baseline"), (2040, 31, "target"),
                                                  (2050, 44, "target")]


def test_waste_heat_is_recovered_not_disconnected(inds):
    assert in_note("Tegen 2040 koppelen we in totaal 38GWh aan **industriële restwarmte** uit")
    assert "Ontkoppelde" not in inds.loc["restwarmte_gwh", "name"]
    assert inds.loc["restwarmte_gwh", "name"].startswith("Uitgekoppelde")


def test_charging_points_not_said_public_and_goals_in_equivalents(store, inds):
    assert in_note("Begin 2024 telde Kortrijk 660 laadpunten")
    assert in_note("We plaatsen nog **666 extra laadpaalequivalenten** bij tegen 2030")
    assert "publiek" not in (inds.loc["laadpunten", "name"] + inds.loc["laadpunten",
                                                                       "definition"]).lower()
    # one cumulative goal: +666 since the 660 of early 2024, with the equivalence as assumption
    assert inds.loc["laadpunten", "goal_type"] == "cumulative"
    assert goals_of(store, "laadpunten") == [(2024, 660, "baseline"), (2030, 666, "target")]
    assert "laadpaalequivalent" in inds.loc["laadpunten", "assumption"]
    ratio = inds.loc["laadpunten_per_100_inw"]
    assert "equivalent" in ratio["name"] and ratio["goal_type"] == "per_capita"
    assert ratio["derived_from"] == "laadpunten / inwoners * 100"


def test_assumed_base_years_are_shown_as_assumptions(store, inds):
    # the note states no reference year for the vehicle kilometres
    assert in_note("**reduceren onze voertuigkilometers met 20%** tegen 2040")
    row = inds.loc["voertuigkilometers_reductie"]
    assert "t.o.v. 2024" not in row["unit"]
    assert "aanname" in row["assumption"].lower() and row["goal_type"] == "change"
    statuses = overview.indicator_statuses(store.indicators(), store.goals(),
                                           store.city_measurements()).set_index("id")
    assert "aanname" in statuses.loc["voertuigkilometers_reductie", "assumption"].lower()


@pytest.mark.parametrize("indicator_id", ["secundair_onderwijs_extra_plaatsen",
                                          "basisonderwijs_extra_plaatsen"])
def test_school_places_are_prognoses_of_need_not_goals(store, inds, indicator_id):
    assert in_note("Tegen 2030 zullen er volgens de bevolkingsprognoses **400 extra plaatsen**")
    assert goals_of(store, indicator_id) == []
    assert inds.loc[indicator_id, "goal_type"] == "none"
    assert "prognose" in inds.loc[indicator_id, "definition"]


def test_tourism_periods_are_not_mixed_in_one_line(store):
    assert in_note("Tussen 2015 en 2019 zien we een stijging van 24% toeristen, tussen 2019 "
                   "en 2022 is dat 3%")
    m = store.measurements("toeristen_groei", level="gemeente").set_index("period")
    # one index series (2015 = 100): both growth figures apply to it, derived and shown so
    assert m.loc[2019, "value"] == pytest.approx(124)
    assert m.loc[2022, "value"] / m.loc[2019, "value"] == pytest.approx(1.03)


def test_sources_cited_to_the_right_section(store, inds):
    assert in_note("In 2040 zal Kortrijk volgens prognoses 4700 extra 65-plussers kennen, "
                   "waarvan 2100 80-plussers")
    m = store.measurements("aantal_65plus", level="gemeente")
    assert m["source"].iloc[0].endswith("Speerpunt 2 (inleiding)")
    assert "intro speerpunt 2" in inds.loc["aantal_65plus", "definition"]
    assert in_note("55% minder CO2 uitstoten tegen 2030 (vergeleken met 2015 - dit werd "
                   "herrekend naar 40,3% ten opzichte van referentiejaar 2019)")
    assert inds.loc["co2_reductie_patrimonium", "source_section"] == \
        "5.2 Energie neutrale gebouwen"


def test_survey_figure_gets_the_survey_year(store):
    assert in_note("85% van de Kortrijkzananen in de Stadsmonitor 2023 aangeeft tevreden te "
                   "zijn met het sportaanbod in de stad, beweegt slechts 29 %")
    m = store.measurements("dagelijks_30min_bewegen", level="gemeente")
    assert list(m["period"]) == [2023]


def test_patrimony_is_one_goal_not_two_indicators(store, inds):
    assert "co2_reductie_patrimonium_2019" not in inds.index
    assert inds.loc["co2_reductie_patrimonium", "goal_type"] == "change"
    assert goals_of(store, "co2_reductie_patrimonium") == [(2015, 0, "baseline"),
                                                          (2030, -55, "target")]
    note = store.goals("co2_reductie_patrimonium").query("kind == 'target'")["note"].iloc[0]
    assert "40,3" in note and "afgeleid" in note


def test_co2_has_the_2050_end_point_the_note_names(store, inds):
    assert in_note("Om energieneutraal te zijn tegen 2050")
    assert goals_of(store, "co2_reductie")[-1] == (2050, -100, "target")
    assert "gelezen als -100%" in inds.loc["co2_reductie", "assumption"]


@pytest.mark.parametrize(("indicator_id", "quote"), [
    ("betaalbaarheid_rang", "Kortrijk na Roeselare nog steeds de op één na betaalbaarste "
                            "woonstad is van alle centrumsteden"),
    ("bouwshift_open_ruimte", "tegen 2040 in Vlaanderen geen open ruimte meer wordt aangesneden"),
    ("patrimonium_fossielvrij_aandeel", "We bouwen en renoveren ons eigen patrimonium vanaf nu "
                                        "enkel nog **fossielvrij**"),
    ("extra_droge_dagen", "In 2030 zouden we op jaarbasis 20 extra droge dagen kennen"),
    ("zorgdorpen_aandeel", "Bij renovatie of nieuwbouw ontwikkelen we alleen nog zorgdorpen"),
    ("kinderen_zwemopleiding_aandeel", "zodat elk kind in Kortrijk de kans krijgt om te leren "
                                       "zwemmen"),
    ("speelprikkels_investeringsprojecten_aandeel", "worden standaard geïntegreerd bij elk "
                                                    "investeringsproject op stadsniveau"),
    ("organisaties_sleutelfiguur_welkom_aandeel", "Elke Kortrijkse organisatie stelt een "
                                                  "**sleutelfiguur '100% welkom'** aan"),
    ("eigen_bouw_duurzaam_circulair_aandeel", "We (ver)bouwen alleen nog maar **duurzaam en "
                                              "circulair**"),
])
def test_missing_quantified_items_are_in_the_catalog(inds, indicator_id, quote):
    assert in_note(quote), quote
    assert indicator_id in inds.index


def test_every_only_goals_are_floors_of_100_percent(store, inds):
    for i in ("patrimonium_fossielvrij_aandeel", "zorgdorpen_aandeel",
              "kinderen_zwemopleiding_aandeel", "speelprikkels_investeringsprojecten_aandeel",
              "organisaties_sleutelfiguur_welkom_aandeel", "gebouwen_beheerplan_aandeel",
              "eigen_bouw_duurzaam_circulair_aandeel"):
        assert inds.loc[i, "goal_type"] == "keep_min"
        assert [v for _, v, _ in goals_of(store, i)] == [100]


def test_plan_samenleven_50_actions_as_a_count_to_follow(store, inds):
    assert "een plan met 50 concrete acties" in PLAN_TEXT
    assert goals_of(store, "plan_samenleven_acties_uitgevoerd")[-1][1] == 50
    assert inds.loc["plan_samenleven_acties_uitgevoerd", "assumption"]


def test_derived_values_carry_their_arithmetic(store):
    c = store.city_measurements().set_index(["indicator_id", "period"])
    pop = store.measurements("inwoners", level="gemeente").set_index("period")
    # population about 79,300 in 2024, derived from "6.500 (of 8,2% extra)"
    assert in_note("tegen 2040 zouden dat er nog eens 6.500 (of 8,2% extra) worden")
    assert c.loc[("inwoners", 2024), "value"] == pytest.approx(6500 / 0.082, abs=1)
    assert pop.loc[2024, "source"].startswith("Inspiratienota")
    notes = read_catalog_notes()
    for key in (("inwoners", "2024"), ("co2_reductie", "2021"), ("co2_reductie_patrimonium",
                                                                 "2019"),
                ("toeristen_groei", "2022"), ("aantal_65plus", "2024")):
        note = notes[key]
        assert note.startswith("afgeleid") and re.search(r"[-+x/=]", note), (key, note)


def read_catalog_notes():
    from dashboard.settings import load_settings

    cat = read_catalog(load_settings().catalog_dir)
    return {(r.indicator_id, str(r.period)): r.note for r in cat.measurements.itertuples()}


def test_a_stored_value_for_a_derived_indicator_is_refused(tmp_path):
    import shutil

    from dashboard.settings import load_settings

    src = load_settings().catalog_dir
    shutil.copytree(src, tmp_path / "cat")
    path = tmp_path / "cat" / "measurements.csv"
    path.write_text(path.read_text(encoding="utf-8")
                    + "laadpunten_per_100_inw,2024,0.9,5.4 Modal Shift,,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_catalog(tmp_path / "cat")
    assert any(p.field == "indicator_id" and "berekend" in p.reason for p in err.value.problems)


def test_no_indicator_with_fewer_than_two_measurements_is_on_track(store, built_official,
                                                                   tmp_path):
    inds = store.indicators()
    statuses = overview.indicator_statuses(inds, store.goals(), store.city_measurements(),
                                           overview.area_series(store, inds), store.areas(),
                                           today=dt.date(2026, 12, 7))
    few = statuses[statuses["measurement_count"] < 2]
    assert not (few["status"] == "on_track").any()
    assert (statuses["status"] == "baseline_only").sum() >= 8
    # the generated doc says the same
    out = tmp_path / "status.md"
    statusdoc.write(Board(store, built_official), out, dt.date(2026, 12, 7))
    text = out.read_text(encoding="utf-8")
    assert "Indicators with fewer than two measurements judged on track: 0." in text
    for i in inds["id"]:
        assert f"`{i}`" in text


def test_the_status_command_writes_the_doc(built_official, tmp_path, monkeypatch, capsys):
    from dashboard import cli

    from .conftest import make_env

    for key, value in make_env(built_official.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "status.md"
    assert cli.main(["status", "--out", str(out), "--today", "2026-12-07"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "| nulmeting |" in text and "`co2_reductie`" in text
    assert "beperkte vooruitgang (R = 19,64 %)" in text   # hand-computed in test_goaltypes
    assert "nulmeting" in capsys.readouterr().out
