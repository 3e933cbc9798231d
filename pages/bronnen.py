"""Sources, licences, what is illustrative, and where the geometry came from."""

import streamlit as st

from dashboard import appstate

a = appstate.app()
version = appstate.data_version()

st.title("Bronnen en gegevens")
st.header("Documenten")
st.markdown(
    "- **Inspiratienota Kortrijk 2040** – *een stad met ademruimte voor iedereen* (stad "
    "Kortrijk, april 2024): alle doelen, uitgangscijfers en vergelijkingen met de "
    "centrumsteden. Elk cijfer vermeldt het hoofdstuk waar het staat.\n"
    "- **Plan Samenleven Kortrijk**: bevolkingscijfers (77.292 inwoners op 5 november 2020)."
)
st.header("Illustratieve cijfers")
st.info(
    "De stad publiceert (nog) geen reeksen per wijk of sector. Om de kaarten te kunnen tonen "
    "maakt een deterministisch script **illustratieve** wijk- en sectorcijfers voor "
    "2015–2024, afgestemd op de stadscijfers uit de nota (bv. 660 laadpunten begin 2024, "
    "214.000 m² netto ontharding in 2022, warmtenet enkel in de vijf genoemde wijken). "
    "Ze zijn overal gemarkeerd als *illustratief* en zijn geen officiële cijfers."
)
st.header("Geografische gegevens")
levels = a.manifest.get("levels", {})
quality_label = {"official": "officieel", "approximate": "benaderd", "schematic": "schematisch"}
st.table([
    {"Niveau": level, "Aantal": info["count"],
     "Kwaliteit": quality_label.get(info["quality"], info["quality"]), "Bron": info["source"]}
    for level, info in levels.items()
])
st.write(f"Attributie: {appstate.attribution()}")
st.caption("Licentie geodata: Modellicentie Gratis Hergebruik Vlaanderen v1.0. Codes en namen "
           "van statistische sectoren: Statbel.")
st.header("Ladingen")
batches = appstate.batches(version)
st.dataframe(batches[["id", "kind", "loaded_at", "file_name", "row_count"]].rename(columns={
    "id": "Lading", "kind": "Soort", "loaded_at": "Tijdstip (UTC)", "file_name": "Bestand",
    "row_count": "Rijen"}), hide_index=True, width="stretch")
