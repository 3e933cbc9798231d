"""The editor area (Streamlit glue): access control, upload → validate → preview → commit,
history and undo. Not part of the navigation in public mode."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import streamlit as st

from streamlit_folium import st_folium

from .. import auth, clock, i18n, loads, maps, safety
from ..actions import edit, model, sheet
from ..errors import InputError
from . import appstate, calendar, widgets
from ..errors import StoreWriteError
from ..i18n import t, tn
from ..tables import batch_kind_label

# Who a password login is recorded as in the load history (stored as is, shown translated).
PASSWORD_EDITOR = t("redacteur (wachtwoord)", lang="nl")
# The feature layers (loads.LAYERS) by name: Dutch message ids, shown translated next to
# the layer's code (the code is what the CLI and the files use).
LAYER_LABEL = {"laadpunten": t("Laadpunten", lang="nl"),
               "warmtenet_leiding": t("Leidingen van het warmtenet", lang="nl"),
               "warmtenet_zone": t("Zones van het warmtenet", lang="nl"),
               "ontharding_project": t("Onthardingsprojecten", lang="nl")}


def _layer_label(layer: str) -> str:
    return f"{t(LAYER_LABEL[layer])} ({layer})" if layer in LAYER_LABEL else layer


def _secret(name: str, default=None):
    try:
        return st.secrets.get(name, default)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):  # no secrets.toml
        return default


def _oidc() -> bool:
    """Editors sign in through the city's identity provider (``[auth]`` in secrets.toml)."""
    return _secret("auth") is not None


def _allowed_editors() -> set[str]:
    return ({str(e).strip().lower() for e in (_secret("editors") or [])}
            | set(appstate.app().settings.editors))


def _password_hash() -> str | None:
    return _secret("editor_password_hash") or appstate.app().settings.editor_password_hash


def current_editor(user=None) -> str | None:
    """Who may edit in this session, or None: the one editor check of the app.

    Public mode: nobody. With ``[auth]``: the signed-in account (``user``, default
    ``st.user``) when its e-mail address is verified and on the allow-list. Otherwise: the
    password editor when this session logged in with the password (and one is set).
    Every editor action (loading, history and undo, publishing, recording a meeting)
    asks this function."""
    if appstate.app().settings.public_mode:
        return None
    if _oidc():
        return auth.oidc_editor(st.user if user is None else user, _allowed_editors())
    if _password_hash() and st.session_state.get("editor_ok"):
        return PASSWORD_EDITOR
    return None


def _client() -> str:
    """The throttle key of this session's client (its IP address; see auth.client_key)."""
    ctx = st.context
    return auth.client_key(ctx.ip_address, ctx.headers.get("X-Forwarded-For"),
                           appstate.app().settings.trusted_proxies)


def _wait_text(seconds: float) -> str:
    return t("Te veel mislukte aanmeldpogingen. Wacht {n} seconden en probeer het dan "
             "opnieuw.", n=max(1, math.ceil(seconds)))


def require_editor() -> str:
    """Return who is editing (:func:`current_editor`), or render the login and stop."""
    a = appstate.app()
    if a.settings.public_mode:
        st.error(t("Dit is de publieke, alleen-lezen versie van het bord."))
        st.stop()
    who = current_editor()
    if who is not None:
        return who
    if _oidc():
        email, why_not = auth.oidc_account(st.user, _allowed_editors())
        if why_not == auth.SIGNED_OUT:
            st.info(t("Log in met uw account van de stad om gegevens te laden."))
            st.button(t("Inloggen"), on_click=st.login)
            st.stop()
        if why_not == auth.UNVERIFIED:
            st.error(t("Het e-mailadres van {account} is niet bevestigd door de "
                       "identiteitsprovider.", account=safety.markdown_text(email)))
        else:
            st.error(t("{account} staat niet op de lijst van redacteurs.",
                       account=safety.markdown_text(email) if email else t("Dit account")))
        st.button(t("Uitloggen"), on_click=st.logout)
        st.stop()
    stored = _password_hash()
    if not stored:
        st.warning(t("Het beheer is nog niet ingesteld. Maak een wachtwoordhash met "
                     "`python -m dashboard hash-password` en zet die in "
                     "`DASHBOARD_EDITOR_PASSWORD_HASH` of in `.streamlit/secrets.toml` "
                     "(`editor_password_hash`), of stel `[auth]` in voor inloggen via de stad."))
        st.stop()
    client = _client()
    with st.form("login"):
        password = st.text_input(t("Wachtwoord voor het beheer"), type="password")
        submitted = st.form_submit_button(t("Aanmelden"))
    if submitted:
        # The throttle is per client and per process (not per session): while this
        # client or the server must wait, the password is not even checked.
        result = auth.LOGIN_THROTTLE.attempt(client, lambda: auth.verify_password(password,
                                                                                   stored))
        if result.ok:
            st.session_state["editor_ok"] = True
            st.rerun()
        if not result.checked:
            st.error(_wait_text(result.wait) if result.scope == "client" else
                     t("De server krijgt nu te veel aanmeldpogingen. Wacht {n} seconden en "
                       "probeer het dan opnieuw.", n=max(1, math.ceil(result.wait))))
        else:
            st.error(t("Onjuist wachtwoord.") + (" " + _wait_text(result.wait)
                                                 if result.wait else ""))
    else:
        wait, scope = auth.LOGIN_THROTTLE.wait(client)
        if wait and scope == "client":
            st.warning(_wait_text(wait))
    st.stop()


def _problems_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({t("Rij"): [r if r else "" for r in frame["row"]],
                         t("Kolom"): frame["field"], t("Probleem"): frame["reason"]})


def _who(who: str) -> str:
    return t(PASSWORD_EDITOR) if who == PASSWORD_EDITOR else who


def load_page() -> None:
    who = require_editor()
    a = appstate.app()
    version = appstate.data_version()
    st.title(t("Gegevens laden"))
    st.caption(t("Aangemeld als {who}. Elke lading is één geheel: alles of niets, met "
                 "geschiedenis en ongedaan maken (pagina Geschiedenis).",
                 who=safety.markdown_text(_who(who))))
    calendar.due_section(version)
    kinds = {"measurements": t("Metingen (CSV of Excel)"), "layer": t("GIS-laag"),
             "actions": t("Acties (status, Excel)")}
    kind = st.radio(t("Wat laadt u?"), list(kinds), format_func=kinds.get, horizontal=True,
                    key="load_kind")
    if kind == "actions":
        actions_block(who)
        return
    inds = appstate.indicators(version)
    names = dict(zip(inds["id"], inds["name"]))
    if kind == "measurements":
        indicator = st.selectbox(t("Indicator (leeg: de kolom 'indicator' in het bestand)"),
                                 [None, *inds["id"]], format_func=lambda i: "—" if i is None
                                 else f"{names[i]} ({i})",
                                 placeholder=widgets.choose())
        if indicator:
            # The template carries the catalog's (Dutch) unit: that is what validation expects.
            ind = a.store.indicator(indicator)
            st.download_button(t("Sjabloon voor deze indicator (CSV)"),
                               loads.template_csv(ind, appstate.areas(version),
                                                  pd.Timestamp.now().year - 1),
                               file_name=f"sjabloon_{indicator}.csv", mime="text/csv")
        saved = loads.list_mappings(loads.mapping_dir(a.settings))
        mapping_name = st.selectbox(t("Bewaarde kolomindeling"), [None, *saved],
                                    format_func=lambda n: t("— herkennen uit het bestand")
                                    if n is None else n, key="mapping_name",
                                    placeholder=widgets.choose())
        sheet = st.text_input(t("Werkblad (alleen voor .xlsx; leeg = het eerste)")) or None
        upload = st.file_uploader(t("Bestand"), type=["csv", "xlsx"],
                                  key="upload_measurements")
        layer = None
    else:
        layer = st.selectbox(t("Laag"), list(loads.LAYERS), format_func=_layer_label,
                             placeholder=widgets.choose())
        upload = st.file_uploader(t("Bestand (GeoJSON, gezipte Shapefile of GeoPackage)"),
                                  type=["geojson", "json", "zip", "gpkg"], key="upload_layer")
        indicator = sheet = None
    if upload is None:
        return
    data = upload.getvalue()
    store = a.store
    mapping_ok = True
    if layer:
        validated = loads.validate_layer_file(
            data, upload.name, layer, appstate.geometry("gemeente"), appstate.geometry("sector"))
    else:
        chosen = _mapping_block(data, upload.name, store, indicator, sheet, mapping_name)
        if chosen is None:
            return
        mapping, mapping_ok = chosen
        validated = loads.validate_file(data, upload.name, store, indicator=indicator,
                                        sheet=sheet, mapping=mapping)
        if validated.columns is not None and not validated.columns.problems:
            _save_mapping_block(validated, indicator or mapping.indicator,
                                sheet or mapping.sheet, mapping.header_row)
    if not validated.ok:
        st.error(tn("{n} probleem in {file}: er is niets geschreven. Verbeter het bestand "
                    "en laad het opnieuw.",
                    "{n} problemen in {file}: er is niets geschreven. Verbeter het bestand "
                    "en laad het opnieuw.", len(validated.errors),
                    file=safety.markdown_text(upload.name)))
        st.dataframe(_problems_table(validated.errors), hide_index=True, width="stretch")
        _unmatched_block(validated)
        return
    st.success(t("{file}: geen fouten gevonden.", file=safety.markdown_text(upload.name)))
    if layer:
        st.write(tn("{n} object vervangt de huidige laag {layer}.",
                    "{n} objecten vervangen de huidige laag {layer}.",
                    len(validated.features), layer=safety.markdown_text(_layer_label(layer))))
        st_folium(maps.layer_preview(validated.features, static_url=a.settings.static_url,
                                     attribution=appstate.attribution(),
                                     outline=appstate.geometry("gemeente")),
                  height=380, use_container_width=True, returned_objects=[],
                  key="layer_preview")
        st.dataframe(validated.features[["feature_id", "name", "area_code", "properties"]]
                     .rename(columns={"feature_id": t("id"), "name": t("Naam"),
                                      "area_code": t("Gebied"),
                                      "properties": t("Eigenschappen")}),
                     hide_index=True, width="stretch")
    else:
        st.subheader(t("Voorbeeld van de wijzigingen"))
        st.dataframe(loads.preview(store, validated).rename(columns={
            "indicator_id": t("Indicator"), "period": t("Jaar"),
            "toegevoegd": t("toegevoegd"), "vervangen": t("vervangen"),
            "ongewijzigd": t("ongewijzigd")}), hide_index=True, width="stretch")
    confirmed = True
    if len(validated.warnings):
        st.warning(tn("{n} waarschuwing: kijk ze na voor u laadt.",
                      "{n} waarschuwingen: kijk ze na voor u laadt.", len(validated.warnings)))
        st.dataframe(_problems_table(validated.warnings), hide_index=True, width="stretch")
        confirmed = st.checkbox(t("Ik heb de waarschuwingen nagekeken en wil toch laden"))
    if st.button(t("Laden"), type="primary", disabled=not (confirmed and mapping_ok)):
        progress = st.progress(0.1, text=t("Bezig met laden …"))
        try:
            result = loads.commit(store, validated, who=who, confirm_warnings=confirmed)
        except (loads.LoadRefused, StoreWriteError) as exc:
            progress.empty()
            st.error(safety.markdown_text(exc))
            return
        progress.progress(1.0, text=t("Klaar"))
        st.cache_data.clear()
        st.success(t("Geladen als {batch}: {rows} rijen, {replaced} vervangen. U kunt dit "
                     "ongedaan maken op de pagina Geschiedenis.",
                     batch=safety.markdown_text(result["batch_id"]),
                     rows=result["rows"], replaced=result["replaced"]))


ROLE_LABEL = {"area": t("Gebied (code of naam)", lang="nl"), "period": t("Jaar", lang="nl"),
              "value": t("Waarde", lang="nl"), "indicator": t("Indicator", lang="nl"),
              "level": t("Niveau", lang="nl"), "unit": t("Eenheid", lang="nl"),
              "source": t("Bron", lang="nl"), "note": t("Opmerking", lang="nl")}
WIDE_LABEL = {"none": t("nee: één waarde per rij", lang="nl"),
              "period": t("jaren als kolommen (2019, 2020, …)", lang="nl"),
              "indicator": t("één indicator per kolom", lang="nl")}


def _mapping_block(data: bytes, file: str, store, indicator: str | None, sheet: str | None,
                   mapping_name: str | None):
    """The detected (or saved) column mapping, one select per role over the file's
    headers, with the first rows of the file. Returns (mapping, confirmed), or None when
    the saved mapping cannot be read (the reason is shown)."""
    from ..errors import InputError
    from ..loads import columns

    a = appstate.app()
    try:
        base = (loads.load_mapping(loads.mapping_dir(a.settings), mapping_name)
                if mapping_name else loads.Mapping())
    except InputError as exc:
        st.error(safety.markdown_text("; ".join(str(p) for p in exc.problems)))
        return None
    state = st.session_state
    sig0 = (safety.bytes_sha256(data), mapping_name, sheet, indicator)
    first = loads.inspect_file(data, file, store, indicator, sheet, base)
    if first.columns is None:        # unreadable: validation reports why
        return base, True
    detected_row = first.columns.header_row or base.header_row
    if state.get("map_sig0") != sig0:
        state["map_sig0"] = sig0
        state["map_header_row"] = int(detected_row or 1)
        state.pop("map_sig1", None)
    st.subheader(t("Kolommen"))
    header_row = int(st.number_input(t("Kopregel (rijnummer in het bestand)"), min_value=1,
                                     max_value=columns.HEADER_SCAN_ROWS, step=1,
                                     key="map_header_row"))
    mapping = columns.Mapping(dict(base.columns), base.wide, dict(base.indicator_columns),
                              base.header_row, base.indicator, base.sheet)
    if header_row != (detected_row or 1):   # a person chose the row
        mapping.header_row = header_row
    seen = first if mapping.header_row == base.header_row else loads.inspect_file(
        data, file, store, indicator, sheet, mapping)
    res = seen.columns
    labels = [res.label(i) for i in range(len(res.header))] if res.header_at is not None \
        else []
    sig1 = (sig0, header_row)
    if state.get("map_sig1") != sig1:
        state["map_sig1"] = sig1
        for role in columns.ROLES:
            i = res.roles.get(role)
            state[f"map_{role}"] = res.label(i) if i is not None else ""
        state["map_wide"] = res.wide
        state["map_ok"] = False
    options = ["", *dict.fromkeys(labels)]
    for role in columns.ROLES:  # a saved header not in this file: offered, reported
        if state.get(f"map_{role}") not in options:
            options.append(state[f"map_{role}"])
    cells = st.columns(4)
    chosen: dict[str, str] = {}
    for n, role in enumerate(columns.ROLES):
        with cells[n % 4]:
            chosen[role] = st.selectbox(t(ROLE_LABEL[role]), options, key=f"map_{role}",
                                        format_func=lambda h: t("— niet gebruikt") if h == ""
                                        else h,
                                        placeholder=widgets.choose())
    wide = st.selectbox(t("Breed formaat"), list(columns.WIDE_KINDS), key="map_wide",
                        format_func=lambda k: t(WIDE_LABEL[k]),
                        placeholder=widgets.choose())
    if res.wide == wide and res.wide != "none" and res.wide_columns:
        st.caption(t("Kolommen die rijen worden: {columns}", columns=safety.markdown_text(
            ", ".join(f"{res.label(i)} → {v}" for i, v in res.wide_columns.items()))))
    mapping.columns = chosen
    mapping.wide = wide
    if wide == "indicator" and not mapping.indicator_columns and res.wide == "indicator":
        mapping.indicator_columns = {res.label(i): str(v) for i, v in res.wide_columns.items()}
    if seen.preview is not None:
        st.caption(t("De eerste rijen van het bestand:"))
        st.table(seen.preview.set_index(t("Rij")))
    changed = any(chosen[r] != (res.label(res.roles[r]) if r in res.roles else "")
                  for r in columns.ROLES) or wide != res.wide
    if res.standard and not changed and not mapping_name:
        return mapping, True
    if mapping_name:
        return mapping, True
    ok = st.checkbox(t("De kolomindeling klopt"), key="map_ok")
    return mapping, ok


def _save_mapping_block(validated, indicator: str | None, sheet: str | None,
                        header_row: int | None) -> None:
    from ..errors import InputError

    a = appstate.app()
    with st.expander(t("Kolomindeling bewaren voor een volgende keer")):
        name = st.text_input(t("Naam (letters, cijfers, - of _)"), key="mapping_save_name")
        if st.button(t("Kolomindeling bewaren"), disabled=not name):
            keep = validated.columns.mapping(indicator, sheet)
            keep.header_row = header_row
            try:
                loads.save_mapping(loads.mapping_dir(a.settings), name, keep)
            except InputError as exc:
                st.error(safety.markdown_text("; ".join(p.reason for p in exc.problems)))
            except OSError as exc:
                st.error(t("Kon de kolomindeling niet bewaren: {error}",
                           error=safety.markdown_text(exc)))
            else:
                st.success(t("Kolomindeling bewaard als '{name}'; kies ze bij een volgende "
                             "lading, of gebruik --mapping {name} op de opdrachtregel.",
                             name=safety.markdown_text(name)))


def _unmatched_block(validated) -> None:
    u = validated.unmatched
    if not len(u):
        return
    st.subheader(t("Onbekende gebieden"))
    st.dataframe(pd.DataFrame({t("Gebied in het bestand"): u["value"], t("Rijen"): u["rows"],
                               t("Meest gelijkend"): u["candidates"]}),
                 hide_index=True, width="stretch")


# -- actions (issue 14 point 4): one action's status, the Excel round trip ---------------
FIELD_LABEL = {"status": t("Status", lang="nl"), "phase": t("Fase", lang="nl"),
               "start_year": t("Startjaar", lang="nl"), "end_year": t("Eindjaar", lang="nl"),
               "service": t("Dienst", lang="nl"), "contact": t("Contact", lang="nl"),
               "indicator_ids": t("Indicatoren", lang="nl"),
               "area_codes": t("Gebieden", lang="nl"), "location": t("Locatie", lang="nl")}
# The editor form's and the sheet's column ids (edit.COLUMNS) → the label shown.
COLUMN_LABEL = {"id": t("Actie", lang="nl"), "update_tekst": t("Toelichting", lang="nl"),
                "update_datum": t("Datum", lang="nl"),
                **{c: FIELD_LABEL[f] for c, f in edit.COLUMNS.items()}}


def actions_page() -> None:
    """The actions editor as a page of its own (``app_pages/actions_editor.py``)."""
    who = require_editor()
    st.title(t("Acties bijwerken"))
    actions_block(who)


def actions_block(who: str) -> None:
    """The coordinator's part for the note's actions: one action's status (with a
    required comment and a date), or the whole list as Excel (download, upload, preview,
    confirm). Every change is one batch, undone on the page Geschiedenis."""
    if FLASH in st.session_state:
        st.success(safety.markdown_text(st.session_state.pop(FLASH)))
    modes = {"one": t("Eén actie"), "sheet": t("Excel-lijst")}
    mode = st.radio(t("Hoe wijzigt u?"), list(modes), format_func=modes.get,
                    horizontal=True, key="actions_mode")
    if mode == "one":
        _action_form(who)
    else:
        _action_sheet(who)


def _now_view(lang: str | None = None):
    """This session's view of the data as they are now (editing never works pinned)."""
    v = appstate.view()
    return dataclasses.replace(v, as_of=None, on=None, lang=lang or v.lang)


def _field_text(name: str, value) -> str:
    from ..actions import model

    if name == "status":
        return model.status_label(value)
    if name == "phase":
        return model.phase_label(value) if value else ""
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        return "; ".join(str(v) for v in list(value))
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _column_label(column: str | None) -> str:
    return t(COLUMN_LABEL[column]) if column in COLUMN_LABEL else (column or "")


def _show_problems(problems, file: str | None = None) -> None:
    """Every problem with its file, row and column; nothing was written."""
    st.error(tn("{n} probleem: er is niets geschreven.",
                "{n} problemen: er is niets geschreven.", len(problems)))
    st.dataframe(pd.DataFrame({
        t("Bestand"): [p.file for p in problems],
        t("Rij"): [p.row if p.row is not None else "" for p in problems],
        t("Kolom"): [p.field or "" for p in problems],
        t("Probleem"): [p.reason for p in problems]}), hide_index=True, width="stretch")


def _action_form(who: str) -> None:
    a = appstate.app()
    view = _now_view()
    actions = a.board.actions(view)
    spearheads = appstate.spearheads(view)
    names = dict(zip(spearheads["id"], spearheads["name"]))
    cells = st.columns(2)
    with cells[0]:
        query = st.text_input(t("Zoek op id of titel"), key="act_search").strip().casefold()
    with cells[1]:
        spearhead = st.selectbox(t("Speerpunt"), [None, *names], key="act_spearhead",
                                 format_func=lambda i: t("alle speerpunten") if i is None
                                 else f"{i}. {names[i]}",
                                 placeholder=widgets.choose())
    shown = actions
    if spearhead is not None:
        shown = shown[shown["spearhead_id"] == spearhead]
    if query:
        shown = shown[[query in f"{i} {title}".casefold()
                       for i, title in zip(shown["id"], shown["title"])]]
    if shown.empty:
        st.info(t("Geen actie gevonden."))
        return
    titles = dict(zip(shown["id"], shown["title"]))
    action_id = st.selectbox(t("Actie"), list(titles), key="act_id",
                             format_func=lambda i: f"{i} · {titles[i]}",
                             placeholder=widgets.choose())
    row = shown[shown["id"] == action_id].iloc[0].to_dict()
    st.subheader(safety.markdown_text(f"{action_id} · {row['title']}"))
    st.caption(safety.markdown_text(row["text"]))
    st.dataframe(pd.DataFrame({
        t("Veld"): [t(FIELD_LABEL[f]) for f in FIELD_LABEL],
        t("Huidige waarde"): [_field_text(f, row.get(f)) for f in FIELD_LABEL]}),
        hide_index=True, width="stretch", key="act_current")
    updates = a.board.action_updates(view, action_id)
    if len(updates):
        st.dataframe(pd.DataFrame({
            t("Datum"): [str(d)[:10] for d in updates["day"]],
            t("Status"): [model.status_label(s) if isinstance(s, str) else ""
                          for s in updates["status"]],
            t("Update"): updates["text"]}), hide_index=True, width="stretch")
    else:
        st.caption(t("Nog geen updates."))
    today = _today()
    statuses = ["", *model.STATUSES]
    phases = ["", *model.PHASES]
    with st.form(f"act_form_{action_id}"):
        status = st.selectbox(t("Nieuwe status"), statuses,
                              index=statuses.index(row["status"] or ""),
                              format_func=lambda c: model.status_label(c or None),
                              placeholder=widgets.choose())
        phase = st.selectbox(t("Fase"), phases, index=phases.index(row["phase"] or ""),
                             format_func=lambda c: model.phase_label(c) if c else "—",
                             placeholder=widgets.choose())
        years = st.columns(2)
        start = years[0].text_input(t("Startjaar"), _field_text("start_year",
                                                               row["start_year"]))
        end = years[1].text_input(t("Eindjaar"), _field_text("end_year", row["end_year"]))
        service = st.text_input(t("Dienst"), row["service"] or "")
        contact = st.text_input(t("Contact"), row["contact"] or "")
        comment = st.text_area(t("Toelichting (verplicht)"), max_chars=model.MAX_UPDATE)
        day = st.date_input(t("Datum"), value=today, max_value=today)
        submitted = st.form_submit_button(t("Wijziging opslaan"), type="primary")
    if not submitted:
        return
    try:
        result = edit.set_status(a.store, action_id, status, comment, day, who,
                                 today=today, fase=phase, start=start, einde=end,
                                 dienst=service, contact=contact)
    except InputError as exc:
        st.error(t("Niet opgeslagen: {problems}", problems=safety.markdown_text("; ".join(
            f"{_column_label(p.field)}: {p.reason}"
            for p in exc.problems))))
        return
    except StoreWriteError as exc:
        st.error(safety.markdown_text(exc))
        return
    _saved(result)


def _action_sheet(who: str) -> None:
    a = appstate.app()
    with i18n.language("nl"):  # the sheet's words are Dutch (uploads accept NL/EN/FR)
        data = sheet.to_xlsx(a.board.actions(_now_view("nl")))
    st.download_button(t("Actielijst downloaden (Excel)"), data, file_name="acties.xlsx",
                       mime="application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", key="act_download")
    st.caption(t("Wijzig status, fase, jaren, dienst, contact, indicatoren, gebieden of "
                 "locatie, of vul een update in; laad het bestand dan hier op. Het blad "
                 "'uitleg' beschrijft elke kolom."))
    upload = st.file_uploader(t("Bewerkte actielijst (.xlsx of .csv)"), type=["xlsx", "csv"],
                              key="upload_actions")
    if upload is None:
        return
    checked = sheet.read(upload.getvalue(), upload.name, edit.Context(a.store),
                         today=_today())
    if not checked.ok:
        _show_problems(checked.problems)
        return
    if not len(checked.changes) and not len(checked.updates):
        st.info(t("{file}: geen wijzigingen ten opzichte van de huidige gegevens.",
                  file=safety.markdown_text(upload.name)))
        return
    st.success(t("{file}: geen fouten gevonden.", file=safety.markdown_text(upload.name)))
    st.subheader(t("Voorbeeld van de wijzigingen"))
    changes = checked.changes
    st.write(t("{n} acties gewijzigd, {m} updates.", n=changes["action_id"].nunique(),
               m=len(checked.updates)))
    if len(changes):
        st.dataframe(pd.DataFrame({
            t("Actie"): changes["action_id"],
            t("Veld"): [t(FIELD_LABEL[f]) for f in changes["field"]],
            t("Voor"): [_field_text(f, v) for f, v in zip(changes["field"], changes["before"])],
            t("Na"): [_field_text(f, v) for f, v in zip(changes["field"], changes["after"])]}),
            hide_index=True, width="stretch", key="act_changes")
    if len(checked.updates):
        u = checked.updates
        st.dataframe(pd.DataFrame({t("Actie"): u["action_id"],
                                   t("Datum"): [str(d)[:10] for d in u["day"]],
                                   t("Update"): u["text"]}),
                     hide_index=True, width="stretch", key="act_updates")
    if st.button(t("Wijzigingen opslaan"), type="primary", key="act_commit"):
        try:
            result = edit.commit(a.store, checked, who)
        except StoreWriteError as exc:
            st.error(safety.markdown_text(exc))
            return
        _saved(result)


FLASH = "actions_saved"  # session state: the message of the last save, shown after rerun


def _saved(result: dict) -> None:
    """Rerun with the saved data (the action's fields as they now are) and say so."""
    if not result["batch_id"]:
        st.info(t("Geen wijzigingen: dit stond er al; niets geschreven."))
        return
    st.cache_data.clear()
    st.session_state[FLASH] = t(
        "Opgeslagen als {batch}: {changed}, {updates}. U kunt dit ongedaan maken op de "
        "pagina Geschiedenis.", batch=result["batch_id"] or "—",
        changed=tn("{n} actie gewijzigd", "{n} acties gewijzigd", result["changed"]),
        updates=tn("{n} update", "{n} updates", result["updates"]))
    st.rerun()


def _today():
    """Today in the city (a comment's date may not be later)."""
    return clock.now_local().date()


def _batch_what(batch_id: str, kind: str, counts: dict) -> str:
    """What a batch did, for the history: the portfolio batches in words."""
    if batch_id in counts:
        c = counts[batch_id]
        return t("acties: {changed} gewijzigd, {updates}", changed=c["changed"],
                 updates=tn("{n} update", "{n} updates", c["updates"]))
    return ""


def history_page() -> None:
    require_editor()
    a = appstate.app()
    st.title(t("Geschiedenis van de ladingen"))
    batches = a.store.batches().sort_values("loaded_at", ascending=False)
    counts = edit.batch_counts(a.store)
    view = pd.DataFrame({
        t("Lading"): batches["id"], t("Soort"): [batch_kind_label(k) for k in batches["kind"]],
        t("Tijdstip (UTC)"): batches["loaded_at"],
        t("Wat"): [_batch_what(i, k, counts) for i, k in zip(batches["id"], batches["kind"])],
        t("Door"): [_who(w) for w in batches["who"]], t("Bestand"): batches["file_name"],
        t("Rijen"): batches["row_count"], "sha256": batches["sha256"].str[:12],
        t("Waarschuwingen bevestigd"): batches["warnings_confirmed"].fillna(""),
        t("Ongedaan"): batches["undone_at"].astype(str).replace({"NaT": "", "None": ""}),
    })
    st.dataframe(view, hide_index=True, width="stretch")
    undoable = batches[(batches["kind"] == "load") & batches["undone_at"].isna()]["id"].tolist()
    if not undoable:
        st.info(t("Er zijn geen ladingen om ongedaan te maken."))
        return
    choice = st.selectbox(t("Lading ongedaan maken"), undoable,
                          placeholder=widgets.choose())
    if st.button(t("Ongedaan maken"), type="primary"):
        try:
            result = a.store.undo_batch(choice)
        except (ValueError, StoreWriteError) as exc:
            st.error(safety.markdown_text(exc))
            return
        st.cache_data.clear()
        st.success(tn("{batch} ongedaan gemaakt; {n} vorige waarde terug.",
                      "{batch} ongedaan gemaakt; {n} vorige waarden terug.",
                      result["restored"], batch=safety.markdown_text(choice)))
    st.caption(t("Niets wordt fysiek gewist: vervangen waarden blijven bewaard en een "
                 "ongedane lading blijft in de geschiedenis staan."))
    _publish_block()


def _publish_block() -> None:
    a = appstate.app()
    if a.settings.snapshot_dir is None:
        return
    from .. import snapshot

    st.subheader(t("Publiceren voor de publieke versie"))
    now = snapshot.current(a.settings.snapshot_dir)
    st.write(t("Huidige momentopname: {name}.",
               name=safety.markdown_text(now.name) if now else t("nog geen")))
    if st.button(t("Publiceer de huidige gegevens")):
        folder = snapshot.publish(a.store, a.settings.geo_dir, a.settings.snapshot_dir)
        st.success(t("Gepubliceerd als {name}; de publieke replica's nemen ze over.",
                     name=safety.markdown_text(folder.name)))


__all__ = ["actions_block", "actions_page", "current_editor", "history_page", "load_page",
           "require_editor"]
