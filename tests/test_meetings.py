"""Pinned views (``stand``), "what changed", meetings and presentation mode: the store's
time travel on a real database, and the pages through AppTest."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from dashboard import changes, loads, overview, state
from dashboard.store import Store, utc_now

from .conftest import make_env, run_app

CITY = "34022"
INDICATOR = "laadpunten"  # spearhead 5, city and district level


def _load(store: Store, rows: list[tuple[str, str, int, str]], name: str) -> str:
    text = "indicator;gebied;jaar;waarde\n" + "".join(
        f"{i};{a};{y};{v}\n" for i, a, y, v in rows)
    validated = loads.validate_file(text.encode("utf-8"), name, store)
    assert validated.ok, validated.errors
    return loads.commit(store, validated, who="test", confirm_warnings=True)["batch_id"]


def _city_value(store: Store, moment, period: int) -> float | None:
    m = store.city_measurements(as_of=moment)
    m = m[(m["indicator_id"] == INDICATOR) & (m["period"] == period)]
    return None if m.empty else float(m["value"].iloc[0])


def _tick() -> dt.datetime:
    """A moment strictly between two loads (batch times have microseconds)."""
    time.sleep(0.01)
    moment = utc_now()
    time.sleep(0.01)
    return moment


def test_the_past_is_what_was_current_then(built_copy):
    with Store(built_copy.db_path) as store:
        # Now, the macro and the current view agree row for row.
        now = store._df("SELECT indicator_id, area_code, period, value, batch_id FROM "
                        "current_measurement ORDER BY ALL")
        macro = store._df("SELECT indicator_id, area_code, period, value, batch_id FROM "
                          "measurement_at(NULL::TIMESTAMP) ORDER BY ALL")
        pd.testing.assert_frame_equal(now, macro)

        year = int(store.city_measurements().query("indicator_id == @INDICATOR")["period"].max())
        original = _city_value(store, None, year)
        t0 = _tick()
        first = _load(store, [(INDICATOR, CITY, year, "700")], "eerste.csv")
        t1 = _tick()
        second = _load(store, [(INDICATOR, CITY, year, "750")], "tweede.csv")
        t2 = _tick()
        store.undo_batch(second)
        t3 = _tick()

        assert _city_value(store, t0, year) == original
        assert _city_value(store, t1, year) == 700
        assert _city_value(store, t2, year) == 750          # before the undo: as shown then
        assert _city_value(store, t3, year) == 700          # after the undo
        assert _city_value(store, None, year) == 700
        # A pinned moment survives later loads: pinned at t0 stays the original.
        _load(store, [(INDICATOR, CITY, year, "800")], "derde.csv")
        assert _city_value(store, t0, year) == original
        assert _city_value(store, None, year) == 800
        assert first


def test_changes_between_two_moments(built_copy):
    with Store(built_copy.db_path) as store:
        year = int(store.city_measurements().query("indicator_id == @INDICATOR")["period"].max())
        before_value = _city_value(store, None, year)
        wijk = store.areas("wijk")["code"].iloc[0]
        t0 = _tick()
        _load(store, [(INDICATOR, CITY, year, "901"), (INDICATOR, wijk, year, "77")],
              "wijziging.csv")
        inds, goals = store.indicators(), store.goals()
        b = overview.indicator_statuses(inds, goals, store.city_measurements(as_of=t0))
        a = overview.indicator_statuses(inds, goals, store.city_measurements())
        area = changes.area_value_changes(store.values_at(t0), store.values_at(None), CITY)
        diff = changes.compare(b, a, area)
        # The ratio derived from the count changes with it: they never disagree.
        assert list(diff["id"]) == [INDICATOR, "laadpunten_per_100_inw"]
        row = diff.iloc[0]
        assert (row["value_old"], row["value_new"]) == (before_value, 901)
        assert row["areas_changed"] == 1
        loaded = changes.loads_between(store.batches(), t0, None)
        assert list(loaded["file_name"]) == ["wijziging.csv"]
        # Nothing changed between a moment and itself.
        assert changes.compare(a, a, area.iloc[0:0]).empty


def test_meetings_are_recorded_and_survive_snapshots(built_copy, tmp_path):
    with Store(built_copy.db_path) as store:
        moment = dt.datetime(2026, 9, 30, 23, 59, 59)
        store.add_meeting("m1", "Gemeenteraad september", moment, "test")
        store.export_copy(tmp_path / "copy.duckdb")
    with Store(tmp_path / "copy.duckdb", read_only=True) as copy:
        got = copy.meetings()
    assert list(got["title"]) == ["Gemeenteraad september"]
    assert got["as_of"].iloc[0].to_pydatetime() == moment


@pytest.mark.parametrize("raw, expected, notice", [
    ("2026-09-30", dt.datetime(2026, 9, 30, 23, 59, 59), None),
    ("2026-09-30T14:05:09", dt.datetime(2026, 9, 30, 14, 5, 9), None),
    ("2099-01-01", None, "toekomst"),
    ("gisteren", None, "Ongeldige"),
    (None, None, None),
])
def test_parse_as_of(raw, expected, notice):
    moment, message = state.parse_as_of(raw, dt.datetime(2026, 11, 22, 12, 0))
    assert moment == expected
    assert (message is None) if notice is None else (notice in message)
    if moment:
        assert state.parse_as_of(state.format_as_of(moment), dt.datetime(2026, 11, 22))[0] \
            == moment


# ------------------------------------------------------------------------- pages
@pytest.fixture
def app_env(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    return built_copy


def _texts(at) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.subheader]
    parts += [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.warning]
    return "\n".join(str(p) for p in parts)


def test_presentation_steps_and_pinned_link(app_env):
    with Store(app_env.db_path) as store:
        sp5 = list(store.indicators(5)["id"])
        names = dict(zip(store.indicators(5)["id"], store.indicators(5)["name"]))
        actions = int((store.actions()["spearhead_id"] == 5).sum())
    from dashboard.ui import meetings

    screens = len(sp5) + meetings.action_steps(actions)  # indicators, then the actions
    at = run_app("app_pages/presentation.py", {"presentatie": "1", "sp": "5", "stap": "2"})
    assert at.title[0].value == names[sp5[1]]
    assert f"scherm 2 van {screens}" in _texts(at)
    next_button = [b for b in at.button if b.key == "pres_next"][0]
    next_button.click().run()
    assert at.title[0].value == names[sp5[2]]
    assert at.query_params["stap"] in ("3", ["3"])
    # A chosen list of indicators, and an unknown one named.
    at = run_app("app_pages/presentation.py", {"presentatie": "1", "ind": f"{sp5[0]},bestaatniet"})
    assert at.title[0].value == names[sp5[0]]
    assert "bestaatniet" in _texts(at)


def test_pinned_view_banner_and_changes_page(app_env):
    at = run_app("app_pages/changes.py", {"stand": "2026-09-30"})
    text = _texts(at)
    assert "Vastgepinde stand op 30 september 2026" in text
    assert at.query_params["stand"] in ("2026-09-30", ["2026-09-30"])
    at = run_app(None, {"stand": "morgen"})
    assert "Ongeldige stand 'morgen'" in _texts(at)
    assert "stand" not in at.query_params
