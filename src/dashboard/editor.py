"""The editor area (Streamlit glue): access control, upload → validate → preview → commit,
history and undo. Not part of the navigation in public mode."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from streamlit_folium import st_folium

from . import appstate, loads, maps
from .auth import failure_delay, verify_password


def _secret(name: str, default=None):
    try:
        return st.secrets.get(name, default)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):  # no secrets.toml
        return default


def require_editor() -> str:
    """Return who is editing, or render the login and stop the page."""
    a = appstate.app()
    if a.settings.public_mode:
        st.error("Dit is de publieke, alleen-lezen versie van het bord.")
        st.stop()
    if _secret("auth") is not None:
        if not st.user.is_logged_in:
            st.info("Log in met uw account van de stad om gegevens te laden.")
            st.button("Inloggen", on_click=st.login)
            st.stop()
        allowed = {e.lower() for e in (_secret("editors") or [])} | set(a.settings.editors)
        email = str(st.user.get("email", "")).lower()
        if email not in allowed:
            st.error(f"{email or 'Dit account'} staat niet op de lijst van redacteurs.")
            st.button("Uitloggen", on_click=st.logout)
            st.stop()
        return email
    stored = _secret("editor_password_hash") or a.settings.editor_password_hash
    if not stored:
        st.warning("Het beheer is nog niet ingesteld. Maak een wachtwoordhash met "
                   "`python -m dashboard hash-password` en zet die in "
                   "`DASHBOARD_EDITOR_PASSWORD_HASH` of in `.streamlit/secrets.toml` "
                   "(`editor_password_hash`), of stel `[auth]` in voor inloggen via de stad.")
        st.stop()
    if st.session_state.get("editor_ok"):
        return "redacteur (wachtwoord)"
    with st.form("login"):
        password = st.text_input("Wachtwoord voor het beheer", type="password")
        submitted = st.form_submit_button("Aanmelden")
    if submitted:
        if verify_password(password, stored):
            st.session_state["editor_ok"] = True
            st.session_state["editor_failures"] = 0
            st.rerun()
        failures = st.session_state.get("editor_failures", 0) + 1
        st.session_state["editor_failures"] = failures
        time.sleep(failure_delay(failures))
        st.error("Onjuist wachtwoord.")
    st.stop()


def _problems_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Rij": [r if r else "" for r in frame["row"]],
                         "Kolom": frame["field"], "Probleem": frame["reason"]})


def load_page() -> None:
    who = require_editor()
    a = appstate.app()
    version = appstate.data_version()
    st.title("Gegevens laden")
    st.caption(f"Aangemeld als {who}. Elke lading is één geheel: alles of niets, met "
               "geschiedenis en ongedaan maken (pagina Geschiedenis).")
    kind = st.radio("Wat laadt u?", ["Metingen (CSV of Excel)", "GIS-laag"], horizontal=True)
    inds = appstate.indicators(version)
    names = dict(zip(inds["id"], inds["name"]))
    if kind.startswith("Metingen"):
        indicator = st.selectbox("Indicator (leeg: de kolom 'indicator' in het bestand)",
                                 [None, *inds["id"]], format_func=lambda i: "—" if i is None
                                 else f"{names[i]} ({i})")
        if indicator:
            ind = inds.set_index("id").loc[indicator].to_dict() | {"id": indicator}
            st.download_button("Sjabloon voor deze indicator (CSV)",
                               loads.template_csv(ind, appstate.areas(version),
                                                  pd.Timestamp.now().year - 1),
                               file_name=f"sjabloon_{indicator}.csv", mime="text/csv")
        sheet = st.text_input("Werkblad (alleen voor .xlsx; leeg = het eerste)") or None
        upload = st.file_uploader("Bestand", type=["csv", "xlsx"], key="upload_measurements")
        layer = None
    else:
        layer = st.selectbox("Laag", list(loads.LAYERS))
        upload = st.file_uploader("Bestand (GeoJSON, gezipte Shapefile of GeoPackage)",
                                  type=["geojson", "json", "zip", "gpkg"], key="upload_layer")
        indicator = sheet = None
    if upload is None:
        return
    data = upload.getvalue()
    store = a.store
    if layer:
        validated = loads.validate_layer_file(
            data, upload.name, layer, appstate.geometry("gemeente"), appstate.geometry("sector"))
    else:
        validated = loads.validate_file(data, upload.name, store, indicator=indicator,
                                        sheet=sheet)
    if not validated.ok:
        st.error(f"{len(validated.errors)} probleem/problemen in {upload.name}: er is niets "
                 "geschreven. Verbeter het bestand en laad het opnieuw.")
        st.dataframe(_problems_table(validated.errors), hide_index=True, width="stretch")
        return
    st.success(f"{upload.name}: geen fouten gevonden.")
    if layer:
        st.write(f"{len(validated.features)} objecten vervangen de huidige laag '{layer}'.")
        st_folium(maps.layer_preview(validated.features, static_url=a.settings.static_url,
                                     attribution=appstate.attribution(),
                                     outline=appstate.geometry("gemeente")),
                  height=380, use_container_width=True, returned_objects=[],
                  key="layer_preview")
        st.dataframe(validated.features[["feature_id", "name", "area_code", "properties"]],
                     hide_index=True, width="stretch")
    else:
        st.subheader("Voorbeeld van de wijzigingen")
        st.dataframe(loads.preview(store, validated), hide_index=True, width="stretch")
    confirmed = True
    if len(validated.warnings):
        st.warning(f"{len(validated.warnings)} waarschuwing(en): kijk ze na voor u laadt.")
        st.dataframe(_problems_table(validated.warnings), hide_index=True, width="stretch")
        confirmed = st.checkbox("Ik heb de waarschuwingen nagekeken en wil toch laden")
    if st.button("Laden", type="primary", disabled=not confirmed):
        progress = st.progress(0.1, text="Bezig met laden …")
        try:
            result = loads.commit(store, validated, who=who, confirm_warnings=confirmed)
        except loads.LoadRefused as exc:
            progress.empty()
            st.error(str(exc))
            return
        progress.progress(1.0, text="Klaar")
        st.cache_data.clear()
        st.success(f"Geladen als {result['batch_id']}: {result['rows']} rijen, "
                   f"{result['replaced']} vervangen. U kunt dit ongedaan maken op de pagina "
                   "Geschiedenis.")


def history_page() -> None:
    require_editor()
    a = appstate.app()
    st.title("Geschiedenis van de ladingen")
    batches = a.store.batches().sort_values("loaded_at", ascending=False)
    view = pd.DataFrame({
        "Lading": batches["id"], "Soort": batches["kind"], "Tijdstip (UTC)": batches["loaded_at"],
        "Door": batches["who"], "Bestand": batches["file_name"], "Rijen": batches["row_count"],
        "sha256": batches["sha256"].str[:12], "Waarschuwingen bevestigd":
        batches["warnings_confirmed"].fillna(""),
        "Ongedaan": batches["undone_at"].astype(str).replace({"NaT": "", "None": ""}),
    })
    st.dataframe(view, hide_index=True, width="stretch")
    undoable = batches[(batches["kind"] == "load") & batches["undone_at"].isna()]["id"].tolist()
    if not undoable:
        st.info("Er zijn geen ladingen om ongedaan te maken.")
        return
    choice = st.selectbox("Lading ongedaan maken", undoable)
    if st.button("Ongedaan maken", type="primary"):
        try:
            result = a.store.undo_batch(choice)
        except ValueError as exc:
            st.error(str(exc))
            return
        st.cache_data.clear()
        st.success(f"{choice} ongedaan gemaakt; {result['restored']} vorige waarden terug.")
    st.caption("Niets wordt fysiek gewist: vervangen waarden blijven bewaard en een ongedane "
               "lading blijft in de geschiedenis staan.")
    _publish_block()


def _publish_block() -> None:
    a = appstate.app()
    if a.settings.snapshot_dir is None:
        return
    from . import snapshot

    st.subheader("Publiceren voor de publieke versie")
    now = snapshot.current(a.settings.snapshot_dir)
    st.write(f"Huidige momentopname: {now.name if now else 'nog geen'}.")
    if st.button("Publiceer de huidige gegevens"):
        folder = snapshot.publish(a.store, a.settings.geo_dir, a.settings.snapshot_dir)
        st.success(f"Gepubliceerd als {folder.name}; de publieke replica's nemen ze over.")


__all__ = ["history_page", "load_page", "require_editor"]
