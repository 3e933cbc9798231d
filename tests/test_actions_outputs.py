"""The note's actions in every output (issue 14 point 5): the presentation's action
steps, the PDF's action section, "what changed" for action statuses and the open-data
export of the actions (CSV, Parquet, GeoJSON, metadata), on a real database."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd

from dashboard import changes
from dashboard.actions import edit
from dashboard.store import Store, utc_now

from .conftest import make_env, run_app

ACTION = "a5.3.07"
DAY = dt.date(2026, 1, 15)


def _tick() -> dt.datetime:
    """A moment strictly between two batches (batch times have microseconds)."""
    time.sleep(0.01)
    moment = utc_now()
    time.sleep(0.01)
    return moment


def _use(settings, monkeypatch) -> None:
    for key, value in make_env(settings.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)


# ------------------------------------------------------------------ what changed
def test_changes_list_a_status_change_and_nothing_before_it(built_copy):
    with Store(built_copy.db_path) as store:
        t0 = _tick()
        edit.set_status(store, ACTION, "in uitvoering", "gestart", DAY, "coördinator")
        t1 = _tick()
        nothing = changes.action_status_changes(store.action_states(t0),
                                                store.action_states(t0))
        assert nothing.empty
        first = store.action_states(None)
        diff = changes.action_status_changes(store.action_states(t0),
                                             store.action_states(t1), store.actions())
        assert diff["action_id"].tolist() == [ACTION]
        row = diff.iloc[0]
        assert row["status_old"] is None and row["status_new"] == "in_progress"
        assert row["changed_by"] == "coördinator" and row["spearhead_id"] == 5
        assert pd.Timestamp(t0) < pd.Timestamp(row["changed_at"]) < pd.Timestamp(t1)
        # A second change: from t1 on only that one; from t0 old status is still None.
        edit.set_status(store, ACTION, "afgerond", "klaar", DAY, "coördinator")
        later = changes.action_status_changes(store.action_states(t1), first)
        assert later.empty  # ``first`` was read before the second change
        now = store.action_states(None)
        assert changes.action_status_changes(store.action_states(t1), now)[
            ["status_old", "status_new"]].values.tolist() == [["in_progress", "done"]]
        assert changes.action_status_changes(store.action_states(t0), now)[
            ["status_old", "status_new"]].values.tolist() == [[None, "done"]]


def test_changes_page_shows_the_action_status_change(built_copy, clean_env, monkeypatch):
    _use(built_copy, monkeypatch)
    with Store(built_copy.db_path) as store:
        edit.set_status(store, ACTION, "in uitvoering", "gestart", dt.date.today(),
                        "coördinator")
    at = run_app("app_pages/changes.py")
    tables = [d.value for d in at.dataframe if "Actie" in d.value.columns]
    assert tables, [h.value for h in at.header]
    shown = tables[0]
    assert shown["Actie"].tolist() == [ACTION]
    assert shown["Status was"].tolist() == ["nog niet beoordeeld"]
    assert shown["Status nu"].tolist() == ["in uitvoering"]
    assert "1 actie kreeg een andere status" in [h.value for h in at.header]
