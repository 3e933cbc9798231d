"""The actions on screen (issue 14 point 3) through AppTest on a real build: the
"Acties" section of a spearhead page (roll-up, filters, list), the action page
(``/actie?id=…``, pinned views included) and the actions in a district profile."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import clock, state
from dashboard.actions.edit import set_status
from dashboard.store import Store

from .conftest import make_env, run_app

HEAT = "a5.3.07"  # industriële restwarmte: five heat-network sectors
HEAT_TITLE = "industriële restwarmte"
SOUTH = "a5.7.06"  # Waterlandschap 2.0, wijk Kortrijk Zuid


@pytest.fixture
def env(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    return built_copy


def texts(at: AppTest) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.markdown]
    parts += [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.warning] + [e.value for e in at.header]
    return "\n".join(parts)


def action_list(at: AppTest) -> str:
    """The Markdown table of the "Acties" section (the one whose header row says
    Actie | Status)."""
    tables = [m.value for m in at.markdown if m.value.startswith("| Actie | Status")]
    return "\n".join(tables)


def listed(at: AppTest) -> set[str]:
    """The action ids whose title links appear in the list, opened in full first (a long
    list starts with its first ten)."""
    import re

    if [e for e in at.expander if e.label.startswith("Toon de andere")] and \
            not at.session_state["sp5_act_all"]:
        open_box(at, "sp5_act_all")
    return set(re.findall(r"actie\?id=([a-z0-9.]+)", action_list(at)))


ACTIONS = {"deel": "acties"}  # the actions part of a spearhead page (a link to it)


def widget(at: AppTest, kind: str, key: str):
    """A widget of the page; the action filters are in a box opened first."""
    if key.startswith("sp5_act_") and not [w for w in getattr(at, kind) if w.key == key]:
        open_box(at, "sp5_act_filters")
    return next(w for w in getattr(at, kind) if w.key == key)


def open_box(at: AppTest, key: str) -> None:
    """Open a box built on request (``widgets.on_request``), as a click on it does."""
    at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_section_shows_rollup_in_counts_and_every_action(env):
    at = run_app("speerpunt-5", ACTIONS)
    body = texts(at)
    assert "Acties" in [h.value for h in at.header]
    assert "55 acties" in body and "55 nog niet beoordeeld" in body and "0 te laat" in body
    assert "%" not in next(m.value for m in at.markdown if m.value.startswith("55 acties"))
    # the first ten, then every one on request
    assert action_list(at).count("actie?id=") == 10
    assert "Toon de andere 45 acties" in [e.label for e in at.expander]
    assert not at.multiselect and not at.selectbox  # the filters are built on request
    assert len(listed(at)) == 55
    assert f"[{HEAT_TITLE}](<actie?id={HEAT}>)" in action_list(at)


def test_status_filter_narrows_the_list(env):
    set_status(Store(env.db_path), HEAT, "in uitvoering", "gestart met de eerste aansluiting",
               dt.date(2026, 3, 1), "test")
    at = run_app("speerpunt-5", ACTIONS)
    assert "1 in uitvoering" in texts(at) and "54 nog niet beoordeeld" in texts(at)
    widget(at, "multiselect", "sp5_act_status").set_value(["in_progress"]).run()
    assert not at.exception
    assert listed(at) == {HEAT}
    assert "1 van de 55 acties getoond." in texts(at)
    widget(at, "multiselect", "sp5_act_status").set_value(["not_assessed"]).run()
    assert HEAT not in listed(at) and len(listed(at)) == 54
    # Closing the filter box keeps the filter (and the caption says so).
    at.session_state["sp5_act_filters"] = False
    at.run()
    assert not at.multiselect and len(listed(at)) == 54
    assert "54 van de 55 acties getoond." in texts(at)


def test_section_filter_narrows_the_list(env):
    at = run_app("speerpunt-5", ACTIONS)
    widget(at, "multiselect", "sp5_act_section").set_value(["5.3 Hernieuwbare energie"]).run()
    ids = listed(at)
    assert HEAT in ids and 0 < len(ids) < 55
    assert all(i.startswith("a5.3.") for i in ids)


def test_district_filter_keeps_the_heat_network_in_kortrijk_oost(env):
    at = run_app("speerpunt-5", ACTIONS)
    widget(at, "selectbox", "sp5_act_district").set_value("34022WE").run()
    assert listed(at) == {HEAT}
    widget(at, "selectbox", "sp5_act_district").set_value(None).run()
    assert len(listed(at)) == 55


def test_indicator_filter_narrows_the_list(env):
    at = run_app("speerpunt-5", ACTIONS)
    widget(at, "selectbox", "sp5_act_indicator").set_value("restwarmte_gwh").run()
    ids = listed(at)
    assert HEAT in ids and len(ids) < 55


def test_action_page_shows_sentence_updates_and_indicator_judgement(env):
    store = Store(env.db_path)
    set_status(store, HEAT, "in voorbereiding", "studie besteld", dt.date(2026, 1, 10), "test")
    set_status(store, HEAT, "in uitvoering", "eerste sector aangesloten",
               dt.date(2026, 4, 2), "test")
    at = run_app("actie", {"id": HEAT})
    body = texts(at)
    assert at.title[0].value == HEAT_TITLE
    assert "38GWh" in body and "Gentse Poort" in body
    assert "**Speerpunt 5**" in body
    assert "5.3 Hernieuwbare energie" in body.replace("\\", "")  # escaped "5\\.3"
    assert "in uitvoering" in body and "2040" in body
    # the dated updates, newest first
    newest, oldest = body.find("eerste sector aangesloten"), body.find("studie besteld")
    assert 0 <= newest < oldest
    assert "2026-04-02" in body
    # a linked indicator with its judgement from board.statuses
    from dashboard.board import Board, View

    board = Board(store, env)
    judged = board.statuses(View(board.data_version())).set_index("id").loc["restwarmte_gwh"]
    assert f"**{judged['name']}**: {judged['status_label']}" in body
    # unassessed tracked fields say so
    assert "Verantwoordelijke dienst | nog niet beoordeeld" in body


def test_action_page_draws_only_its_own_map(env):
    from .conftest import component_args

    at = run_app("actie", {"id": HEAT})
    maps = component_args(at)
    assert len(maps) == 1
    assert f"action-{HEAT}" in maps[0] and f"action-{SOUTH}" not in maps[0]


@pytest.mark.parametrize("params", [{"id": "a9.9.99"}, {}, {"id": "<b>x</b>"}])
def test_unknown_or_missing_id_shows_a_notice(env, params):
    at = run_app("actie", params)
    assert at.title[0].value == "Actie"
    notice = " ".join(w.value for w in at.warning)
    assert "actie" in notice.lower() and "speerpunt" in notice
    if params.get("id") == "a9.9.99":
        assert "a9.9.99" in notice


def test_pinned_link_shows_the_status_as_it_was(env):
    store = Store(env.db_path)
    set_status(store, HEAT, "in voorbereiding", "studie besteld", dt.date(2026, 1, 10), "test")
    time.sleep(1.1)
    pinned = clock.now_local().replace(microsecond=0)
    time.sleep(1.1)
    set_status(store, HEAT, "afgerond", "alle sectoren aangesloten", dt.date(2026, 6, 1),
               "test")
    stand = state.format_as_of(pinned)
    moment, notice = state.parse_as_of(stand, clock.now_local())
    assert moment == pinned and notice is None

    old = run_app("actie", {"id": HEAT, "stand": stand})
    old_status = next(m.value for m in old.markdown if m.value.startswith("| Veld"))
    assert "| Status | in voorbereiding |" in old_status
    assert "alle sectoren aangesloten" not in texts(old)
    assert "studie besteld" in texts(old)

    new = run_app("actie", {"id": HEAT})
    new_status = next(m.value for m in new.markdown if m.value.startswith("| Veld"))
    assert "| Status | afgerond |" in new_status
    assert "alle sectoren aangesloten" in texts(new)


def test_links_from_a_pinned_page_keep_the_stand(env):
    day = clock.now_local().date().isoformat()
    at = run_app("speerpunt-5", {**ACTIONS, "stand": day})
    assert HEAT in listed(at)
    assert f"actie?id={HEAT}&stand={day}" in action_list(at)


def test_district_profile_lists_its_actions(env):
    at = run_app("speerpunt-5")
    open_box(at, "sp5_area_list")  # the list, in its box, on request
    widget(at, "selectbox", "sp5_area").set_value("34022WE").run()
    assert not at.exception
    md = [m.value for m in at.markdown]
    i = md.index("**Acties in dit gebied**")
    assert f"actie?id={HEAT}" in md[i + 1] and f"actie?id={SOUTH}" not in md[i + 1]


def test_action_page_in_english(env):
    at = run_app("actie", {"id": HEAT, "taal": "en"})
    assert at.title[0].value != HEAT_TITLE  # the action's title in English
    body = texts(at)
    assert "not yet assessed" in body.lower()  # the status words of actions.model


def test_text_from_an_update_and_a_service_stays_text(env):
    set_status(Store(env.db_path), HEAT, "in uitvoering", "zie [hier](https://voorbeeld.be) | x",
               dt.date(2026, 2, 2), "test", service="Dienst *Milieu* | Klimaat")
    at = run_app("speerpunt-5", ACTIONS)
    assert HEAT in listed(at)
    row = next(line for line in action_list(at).splitlines() if f"id={HEAT}" in line)
    assert "Dienst \\*Milieu\\* \\| Klimaat" in row
    assert row.count(" | ") == 3  # four cells: the service's pipe did not add one
    page = run_app("actie", {"id": HEAT})
    body = texts(page)
    assert "\\[hier\\](https\\:" in body or "\\[hier\\]" in body
    assert "](https://voorbeeld.be)" not in body


@pytest.mark.parametrize("params, found", [
    ({"id": HEAT}, HEAT), ({"id": f" {HEAT} "}, HEAT), ({"id": [HEAT]}, HEAT),
    ({"id": "a9.9.99"}, None), ({}, None), ({"id": ""}, None)])
def test_parse_action(params, found):
    action_id, notice = state.parse_action(params, [HEAT, SOUTH])
    assert action_id == found
    assert (notice is None) == (found is not None)


def test_parse_action_quotes_the_unknown_id_escaped():
    _, notice = state.parse_action({"id": "[x](https://e.be)"}, [HEAT])
    assert "\\[x\\]" in notice and "](https://e.be)" not in notice


def test_action_link_keeps_language_and_stand():
    assert state.action_link(HEAT) == f"actie?id={HEAT}"
    assert state.action_link(HEAT, {"taal": "fr", "stand": "2026-03-01"}) == \
        f"actie?id={HEAT}&taal=fr&stand=2026-03-01"
