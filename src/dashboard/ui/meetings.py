"""Pages for council meetings (Streamlit glue): presentation mode and "what changed".

Presentation: ``/presentatie?presentatie=1&sp=5`` (or ``ind=a,b,c``) shows one indicator
per screen (name, status as icon + word, latest value, goal, chart, map where the
indicator is known per district, source). The arrow keys (buttons with keyboard shortcuts)
step through; ``stap`` keeps the position in the URL; ``stand`` pins the data and
``taal`` the language, so the link reproduces the screen. A spearhead's presentation
(``sp``) continues after its indicators with its actions: one screen with the roll-up
(counts per status, late ones), then the actions with their status,
:data:`ACTIONS_PER_STEP` per screen; ``stap`` counts those screens too.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from .. import changes, clock, i18n, overview, report, state
from . import appstate, editor, exports, frame, mapview, spearhead, widgets
from ..i18n import t, tn
from ..safety import markdown_text as md
from ..tables import format_number

STEP_PARAM = state.PRESENTATION_PARAMS["step"]
SPEARHEAD_PARAM = state.PRESENTATION_PARAMS["spearhead"]
INDICATORS_PARAM = state.PRESENTATION_PARAMS["indicators"]
ACTIONS_PER_STEP = 8

PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
footer {display: none !important;}
.block-container {padding-top: 1.2rem !important; max-width: 100% !important;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li
  {font-size: 1.45rem !important; line-height: 1.45 !important;}
h1 {font-size: 2.6rem !important;}
[data-testid="stCaptionContainer"] {font-size: 1.1rem !important;}
</style>
"""


def _screens(version) -> state.PresentationState:
    """The screens of the link (``ind`` or ``sp``, and ``stap``), parsed by state.py."""
    inds = appstate.indicators(version)
    spearheads = appstate.spearheads(version)
    return state.parse_presentation(
        st.query_params, spearheads=[int(i) for i in spearheads["id"]],
        indicators_of={int(sp): list(g["id"]) for sp, g in inds.groupby("spearhead_id")})


def _title(version, shown: state.PresentationState) -> str:
    if shown.spearhead is None:
        return t("Gekozen indicatoren")
    names = appstate.spearheads(version).set_index("id")["name"]
    return t("Speerpunt {n}: {name}", n=shown.spearhead, name=md(names[shown.spearhead]))


def presentation_page() -> None:
    if not frame.presenting():
        _chooser()
        return
    st.html(PRESENTATION_CSS)
    version = appstate.data_version()
    shown = _screens(version)
    for notice in shown.notices:
        st.warning(notice)
    actions = _actions(version, shown)
    pages = action_steps(len(actions))
    total = len(shown.indicators) + pages
    if total == 0:
        st.error(t("Niets te tonen: geen indicatoren gekozen."))
        return
    step = _step(shown, total)
    title = _title(version, shown)
    if step <= len(shown.indicators):
        _screen(version, shown.indicators[step - 1], title, step, total)
    else:
        _action_screen(version, shown.spearhead, actions, step - len(shown.indicators),
                       title, step, total)
    _controls(step, total)


def action_steps(n_actions: int) -> int:
    """Screens of a spearhead's actions: the roll-up, then the list in pages (0 without
    actions)."""
    return 0 if n_actions == 0 else 1 + -(-n_actions // ACTIONS_PER_STEP)


def _actions(version, shown: state.PresentationState) -> pd.DataFrame:
    """The spearhead's actions as the board assembles them (none for chosen
    indicators: ``ind`` shows exactly those)."""
    if shown.spearhead is None:
        return pd.DataFrame()
    return appstate.board().actions(version, shown.spearhead)


def _step(shown: state.PresentationState, total: int) -> int:
    """``stap`` over every screen: state.py clamps it to the indicator screens, so a step
    beyond them (an action screen) is read here, clamped to ``total``."""
    if total <= len(shown.indicators) or shown.step < len(shown.indicators):
        return shown.step
    try:
        raw = int(str(st.query_params.get(STEP_PARAM) or shown.step))
    except ValueError:
        return shown.step
    return min(max(raw, 1), total)


def _action_screen(version, spearhead: int, actions: pd.DataFrame, k: int, title: str,
                   step: int, total: int) -> None:
    """Action screen ``k`` of a spearhead (1: the roll-up; then the list, paged)."""
    from ..actions import model, portfolio

    pinned = appstate.as_of()
    st.caption(f"{title} · " + t("scherm {step} van {total}", step=step, total=total)
               + (" · " + t("stand op {moment}", moment=i18n.fmt_date(pinned))
                  if pinned else ""))
    roll = appstate.board().action_rollup(version, spearhead)
    if k == 1:
        st.title(t("Acties van het speerpunt"))
        labels = model.status_labels()
        st.markdown(tn("**{n}** actie in de nota, waarvan **{assessed}** beoordeeld.",
                       "**{n}** acties in de nota, waarvan **{assessed}** beoordeeld.",
                       roll["total"], assessed=roll["assessed"]))
        st.markdown("\n".join(f"- {md(labels[key])}: **{roll['counts'][key]}**"
                              for key in portfolio.ROLLUP_ORDER))
        st.markdown(tn("**{n}** actie is te laat.", "**{n}** acties zijn te laat.",
                       roll["late"]))
        return
    page = k - 1
    pages = -(-len(actions) // ACTIONS_PER_STEP)
    chunk = actions.iloc[(page - 1) * ACTIONS_PER_STEP:page * ACTIONS_PER_STEP]
    st.title(t("Acties ({page} van {pages})", page=page, pages=pages))
    lines = []
    for r in chunk.itertuples():
        late = " · **" + t("te laat") + "**" if r.late else ""
        lines.append(f"- {md(r.id)} {md(r.title)}: **{md(r.status_label)}**{late}")
    st.markdown("\n".join(lines))


def _go(step: int) -> None:
    st.query_params[STEP_PARAM] = str(step)


def _controls(step: int, total: int) -> None:
    c1, c2, c3, c4 = st.columns([1, 1, 3, 1])
    c1.button(t("◀ Vorige"), key="pres_prev", shortcut="Left", disabled=step <= 1,
              on_click=_go, args=(step - 1,), help=t("Pijltje links"))
    c2.button(t("Volgende ▶"), key="pres_next", shortcut="Right", disabled=step >= total,
              on_click=_go, args=(step + 1,), help=t("Pijltje rechts"))
    c3.caption(t("Scherm {step} van {total} · pijltjestoetsen ← → om te bladeren, Home en "
                 "End voor het eerste en laatste scherm.", step=step, total=total))
    c4.button(t("Eerste"), key="pres_first", shortcut="Home", on_click=_go, args=(1,))
    st.button(t("Laatste"), key="pres_last", shortcut="End", on_click=_go, args=(total,))
    params = {k: v for k, v in st.query_params.to_dict().items()
              if k not in (frame.PRESENTATION_PARAM, STEP_PARAM)}
    st.page_link("app_pages/presentation.py", label=t("Presentatie verlaten"),
                 query_params=params)


def _screen(version: str, indicator_id: str, title: str, step: int, total: int) -> None:
    ind = appstate.indicator(version, indicator_id)
    statuses = appstate.statuses(version).set_index("id")
    row = statuses.loc[indicator_id]
    pinned = appstate.as_of()
    st.caption(f"{title} · " + t("scherm {step} van {total}", step=step, total=total)
               + (" · " + t("stand op {moment}", moment=i18n.fmt_date(pinned))
                  if pinned else ""))
    st.title(md(ind["name"]))
    value = t("geen cijfer") if pd.isna(row["value"]) else (
        f"**{format_number(row['value'])}** {md(ind['unit'])} ({int(row['year'])})")
    illustrative = " — " + t("illustratief") if row["illustrative"] else ""
    st.markdown(f"{t('Status')}: **{md(row['status_label'])}** · {t('Tempo')}: "
                f"**{md(row['pace_label'])}** · {t('Laatste cijfer')}: {value}{illustrative}")
    for line in overview.judgement_lines(row.to_dict()):
        st.caption(md(line))
    has_map = "wijk" in list(ind["levels"])
    left, right = st.columns([1, 1]) if has_map else (st.container(), None)
    with left:
        fig = go.Figure(spearhead.indicator_chart(version, indicator_id))
        fig.update_layout(height=460, font={"size": 20}, title=None)
        st.plotly_chart(fig, key=f"pres_chart_{indicator_id}",
                        config=exports.chart_config(ind["name"]))
    if right is not None:
        with right:
            tiles = "none"
            m, data = spearhead.indicator_map(version, indicator_id, tiles)
            mapview.show_map(m, (version, "presentatie", indicator_id, tiles),
                             key=f"pres_map_{indicator_id}", height=460,
                             returned_objects=[])
            st.caption(data.caption())
    st.caption(t("Bron: {source}", source=md(row["source"])))


def _chooser() -> None:
    """Pick a spearhead (or indicators) and start; the link opens the same presentation."""
    version = appstate.data_version()
    st.title(t("Presentatie voor vergaderingen"))
    st.write(t("Toon één indicator per scherm, in grote letters, zonder menu's. Blader met "
               "de pijltjestoetsen. Pin eerst de stand vast (zijbalk) als de vergadering "
               "later dezelfde cijfers moet kunnen terugzien."))
    spearheads = appstate.spearheads(version)
    names = dict(zip(spearheads["id"], spearheads["name"]))
    sp = st.selectbox(t("Speerpunt"), list(names), format_func=lambda i: f"{i}. {names[i]}",
                      key="pres_choose_sp",
                      placeholder=widgets.choose())
    inds = appstate.indicators(version, int(sp))
    ind_names = dict(zip(inds["id"], inds["name"]))
    chosen = st.multiselect(t("Alleen deze indicatoren (leeg: alle van het speerpunt)"),
                            list(ind_names), format_func=ind_names.get,
                            key="pres_choose_ind",
                            placeholder=widgets.choose_many())
    params = {frame.PRESENTATION_PARAM: "1", STEP_PARAM: "1", **frame.global_params()}
    if chosen:
        params[INDICATORS_PARAM] = ",".join(chosen)
    else:
        params[SPEARHEAD_PARAM] = str(sp)
    st.page_link("app_pages/presentation.py", label=t("Start de presentatie"),
                 query_params=params)
    st.caption(tn("{n} scherm.", "{n} schermen.", len(chosen) or len(inds)))
    st.header(t("Voor het vergaderdossier"))
    st.write(t("Een PDF-rapport met de stand van de cijfers, het statusoverzicht en per "
               "indicator de grafiek, de kaart en de bron."))
    c1, c2 = st.columns(2)
    with c1:
        st.caption(t("Speerpunt {n}", n=sp))
        exports.report_button([int(sp)], key=f"pres_pdf_{sp}")
    with c2:
        st.caption(t("Het hele bord (alle speerpunten)"))
        exports.report_button(None, key="pres_pdf_all")


# ---------------------------------------------------------------- what changed
def _loads_table(loads: pd.DataFrame, public: bool) -> pd.DataFrame:
    """The loads of the period. The public instance names no editor and no file (an
    e-mail address or an internal file name is not for the public): a role instead."""
    loaded = [i18n.fmt_date(clock.to_local(x.to_pydatetime())) for x in loads["loaded_at"]]
    undone = ["" if pd.isna(x) else i18n.fmt_date(clock.to_local(x.to_pydatetime()))
              for x in loads["undone_at"]]
    if public:
        return pd.DataFrame({t("Geladen op"): loaded, t("Door"): [t("redacteur")] * len(loads),
                             t("Rijen"): loads["row_count"], t("Ongedaan gemaakt"): undone})
    return pd.DataFrame({t("Geladen op"): loaded, t("Bestand"): loads["file_name"],
                         t("Door"): loads["who"], t("Rijen"): loads["row_count"],
                         t("Ongedaan gemaakt"): undone})


def changes_page() -> None:
    version = appstate.data_version()
    st.title(t("Wat is er veranderd?"))
    until = appstate.as_of()
    meetings = appstate.meetings()
    st.write(t("Vergelijk de cijfers van nu (of van de vastgepinde stand) met een vorige "
               "vergadering of een datum: welke indicatoren kregen een ander cijfer of een "
               "andere status."))
    options: list[tuple[str, dt.datetime]] = [
        (f"{r.title} ({i18n.fmt_date(r.as_of)})", r.as_of)
        for r in meetings.itertuples() if until is None or r.as_of < until]
    other = t("Andere datum …")
    choice = st.selectbox(t("Sinds"), [o[0] for o in options] + [other], key="chg_since",
                          placeholder=widgets.choose())
    if choice == other or not options:
        if not options:
            st.caption(t("Er is nog geen vergadering vastgelegd; kies een datum."))
        today = clock.now_local().date()
        day = st.date_input(t("Sinds datum"), value=today - dt.timedelta(days=30),
                            max_value=today, key="chg_day", format="DD/MM/YYYY")
        since = dt.datetime.combine(day, dt.time(23, 59, 59))
    else:
        since = dict(options)[choice]
    before = appstate.version_at(since)
    city = appstate.app().store.meta("nis_code")
    area_changes = changes.area_value_changes(appstate.values_at(before),
                                              appstate.values_at(version), city)
    diff = changes.compare(appstate.statuses(before), appstate.statuses(version),
                           area_changes)
    until_text = i18n.fmt_date(until) if until else t("nu")
    st.header(tn("{n} indicator veranderd tussen {since} en {until}",
                 "{n} indicatoren veranderd tussen {since} en {until}", len(diff),
                 since=i18n.fmt_date(since), until=until_text))
    if diff.empty:
        st.info(t("Geen enkel cijfer of status veranderde in die periode."))
    else:
        table = change_table(diff)
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button(t("Download als CSV"), report.to_csv(table),
                           file_name=f"wijzigingen-{since:%Y%m%d}.csv", mime="text/csv",
                           key="chg_csv")
    _action_changes(before, version, since)
    loads = changes.loads_between(appstate.batches(version), clock.to_utc(since),
                                  clock.to_utc(until) if until else None)
    st.header(t("Ladingen in die periode"))
    if loads.empty:
        st.caption(t("Geen ladingen."))
    else:
        st.dataframe(_loads_table(loads, appstate.app().settings.public_mode),
                     hide_index=True, width="stretch")
    _record_meeting()


def _action_changes(before, after, since: dt.datetime) -> None:
    """Status changes of the note's actions between the two moments of the page."""
    store = appstate.app().store
    diff = changes.action_status_changes(store.action_states(before.as_of_utc),
                                         store.action_states(after.as_of_utc),
                                         appstate.board().actions(after))
    st.header(tn("{n} actie kreeg een andere status", "{n} acties kregen een andere status",
                 len(diff)))
    if diff.empty:
        st.caption(t("Geen enkele actie kreeg in die periode een andere status."))
        return
    table = action_change_table(diff, appstate.app().settings.public_mode)
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(t("Download als CSV"), report.to_csv(table),
                       file_name=f"actiewijzigingen-{since:%Y%m%d}.csv", mime="text/csv",
                       key="chg_actions_csv")


def action_change_table(diff: pd.DataFrame, public: bool) -> pd.DataFrame:
    """Action status changes as a table: action, old → new status, when and who (the
    public instance names a role, not the editor)."""
    from ..actions import model

    labels = model.status_labels()
    when = ["" if pd.isna(x) else i18n.fmt_date(clock.to_local(pd.Timestamp(x)
                                                               .to_pydatetime()))
            for x in diff["changed_at"]]
    who = [t("redacteur")] * len(diff) if public else list(diff["changed_by"].fillna(""))
    return pd.DataFrame({
        t("Speerpunt"): diff["spearhead_id"],
        t("Actie"): diff["action_id"],
        t("Titel"): diff["title"],
        t("Status was"): [labels[s or model.NOT_ASSESSED] for s in diff["status_old"]],
        t("Status nu"): [labels[s or model.NOT_ASSESSED] for s in diff["status_new"]],
        t("Gewijzigd op"): when,
        t("Door"): who,
    })


def change_table(diff: pd.DataFrame) -> pd.DataFrame:
    """The changes as a table: old → new value and status (icon + word)."""
    def value(v, y) -> str:
        return "—" if pd.isna(v) else f"{format_number(v)} ({int(y)})"

    return pd.DataFrame({
        t("Speerpunt"): diff["spearhead_id"],
        t("Indicator"): diff["name"],
        t("Eenheid"): diff["unit"],
        t("Was"): [value(v, y) for v, y in zip(diff["value_old"], diff["year_old"])],
        t("Nu"): [value(v, y) for v, y in zip(diff["value_new"], diff["year_new"])],
        t("Status was"): diff["status_label_old"].fillna("—"),
        t("Status nu"): diff["status_label_new"],
        t("Gewijzigde gebiedscijfers"): diff["areas_changed"],
    })


def _record_meeting() -> None:
    if appstate.app().settings.public_mode:
        return
    st.header(t("Vergadering vastleggen"))
    if editor.current_editor() is None:
        st.caption(t("Meld u aan op de pagina Gegevens laden om een vergadering vast te "
                     "leggen; daarna is ze hier de standaardvergelijking."))
        return
    with st.form("meeting_form"):
        title = st.text_input(t("Naam van de vergadering"), key="meeting_title")
        today = clock.now_local().date()
        day = st.date_input(t("Stand op"), value=today, max_value=today,
                            key="meeting_day", format="DD/MM/YYYY")
        submitted = st.form_submit_button(t("Vastleggen"))
    if submitted:
        if not title.strip():
            st.error(t("Geef de vergadering een naam."))
            return
        moment = dt.datetime.combine(day, dt.time(23, 59, 59))
        if day == clock.now_local().date():
            moment = clock.now_local()
        appstate.add_meeting(title.strip(), moment, "redacteur")
        st.success(t("Vastgelegd: {title}, stand op {moment}. Link: ?stand={stamp}",
                     title=md(title.strip()), moment=i18n.fmt_date(moment),
                     stamp=state.format_as_of(moment)))
