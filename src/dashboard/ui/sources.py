"""Sources, licences, what is illustrative, and where the geometry came from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import tables
from . import appstate, widgets
from ..i18n import t
from .widgets import md


def page() -> None:
    """Sources, licences, what is illustrative, and where the geometry came from."""
    a = appstate.app()
    version = appstate.data_version()

    st.title(t("Bronnen en gegevens"))
    st.header(t("Documenten"))
    st.markdown(widgets.document_list(appstate.documents()))
    st.header(t("Illustratieve cijfers"))
    if appstate.has_district_generator():
        st.info(t(
            "De stad publiceert (nog) geen reeksen per wijk of sector. Om de kaarten te kunnen "
            "tonen maakt een deterministisch script **illustratieve** wijk- en sectorcijfers voor "
            "2015–2024, afgestemd op de stadscijfers uit de nota (bv. 660 laadpunten begin 2024, "
            "214.000 m² netto ontharding in 2022, warmtenet enkel in de vijf genoemde wijken). "
            "Ze zijn overal gemarkeerd als *illustratief* en zijn geen officiële cijfers."
        ))
    st.info(t(
        "De bronnen geven per indicator enkel de eigen waarde en het gemiddelde van de "
        "vergelijkingsgroep. De waarden per andere stad op de vergelijkingspagina zijn daarom "
        "**illustratief** (deterministisch gemaakt zodat hun gemiddelde het gepubliceerde "
        "gemiddelde is) tot de coördinator echte cijfers laadt. Cijfers die in de catalogus als "
        "illustratief gemarkeerd staan, worden overal zo getoond."
    ))
    st.header(t("Geografische gegevens"))
    levels = a.manifest.get("levels", {})
    quality_label = {"official": t("officieel"), "approximate": t("benaderd"),
                     "schematic": t("schematisch")}
    st.table([  # st.table renders Markdown in its cells: the texts from the import are escaped
        {t("Niveau"): tables.level_name(level), t("Aantal"): info["count"],
         t("Kwaliteit"): md(quality_label.get(info["quality"], info["quality"])),
         t("Bron"): md(info["source"])}
        for level, info in levels.items()
    ])
    st.write(t("Attributie: {attribution}", attribution=md(appstate.attribution())))
    st.caption(t("Licentie geodata: Modellicentie Gratis Hergebruik Vlaanderen v1.0. Codes en "
                 "namen van statistische sectoren: Statbel."))
    st.header(t("Ladingen"))
    batches = appstate.batches(version)
    st.dataframe(pd.DataFrame({
        t("Lading"): batches["id"],
        t("Soort"): [tables.batch_kind_label(k) for k in batches["kind"]],
        t("Tijdstip (UTC)"): batches["loaded_at"], t("Bestand"): batches["file_name"],
        t("Rijen"): batches["row_count"]}), hide_index=True, width="stretch")
