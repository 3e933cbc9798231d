"""Open data: the board's figures as CSV, Parquet and GeoJSON with metadata (thin page).

Files come from :mod:`dashboard.opendataviews` (cached per data version and pinned moment);
they are always in the catalog's language (Dutch), whatever the page's language.
"""

import streamlit as st

from dashboard import appstate, i18n, opendataviews
from dashboard.i18n import t
from dashboard.ui import link, md

version = appstate.data_version()
pinned = appstate.as_of()
names = dict(zip(*(appstate.indicators(version)[c] for c in ("id", "name"))))
WHOLE = ""  # the selectbox option for the whole board

st.title(t("Open data"))
st.write(t("Alle cijfers van dit bord zijn open data: per indicator of voor het hele bord, "
           "als tabel (CSV of Parquet) of als kaartlaag (GeoJSON), telkens met een "
           "metadatabestand (JSON) met eenheid, bron en licentie."))
if pinned:
    st.info(t("Vastgepinde stand: je downloadt de cijfers zoals ze op {moment} op het bord "
              "stonden.", moment=i18n.fmt_date(pinned)))

choice = st.selectbox(
    t("Gegevens"), [WHOLE, *names], key="od_scope",
    format_func=lambda i: t("Het hele bord (alle indicatoren)") if i == WHOLE
    else f"{names[i]} ({i})")
indicator_id = choice or None
labels = {"csv": t("CSV (tabel)"), "parquet": t("Parquet (tabel)"),
          "geojson": t("GeoJSON (kaartlaag)"), "zip": t("ZIP (alles, met metadata)")}
formats = opendataviews.BOARD_FORMATS if indicator_id is None \
    else opendataviews.INDICATOR_FORMATS
fmt = st.radio(t("Formaat"), formats, format_func=labels.get, horizontal=True,
               key="od_format_board" if indicator_id is None else "od_format_indicator")

info = opendataviews.summary(version, indicator_id)
if indicator_id is None:
    st.caption(t("{rows} rijen (indicator, gebied, jaar), waarvan {illustrative} "
                 "illustratief; de GeoJSON heeft één feature per gebied ({features}) met "
                 "zijn cijfers.", rows=info["rows"], illustrative=info["illustrative"],
                 features=info["features"]))
else:
    st.caption(t("{rows} rijen, waarvan {illustrative} illustratief; de GeoJSON heeft één "
                 "feature per rij van een gebied met geometrie ({features}).",
                 rows=info["rows"], illustrative=info["illustrative"],
                 features=info["features"]))

data, name, mime = opendataviews.download(version, indicator_id, fmt)
meta, meta_name, meta_mime = opendataviews.download(version, indicator_id, "json")
c1, c2 = st.columns(2)
with c1:
    st.download_button(t("Download {file} ({size} kB)", file=md(name),
                         size=i18n.fmt_number(len(data) / 1024, 0)),
                       data, file_name=name, mime=mime, key="od_data", type="primary",
                       on_click="ignore")
with c2:
    st.download_button(t("Metadata: {file}", file=md(meta_name)), meta, file_name=meta_name,
                       mime=meta_mime, key="od_meta", on_click="ignore",
                       help=t("Machineleesbare beschrijving (Frictionless Data): velden en "
                              "types, eenheid, bron, doelen, licentie, attributie en de "
                              "stand van de cijfers."))

st.header(t("Licentie en bronnen"))
lic = opendataviews.licence()
if lic.get("licence"):
    # The configured licence link is the one link on this page; its text and address are
    # escaped (a parenthesis or bracket in them cannot open another link).
    text = t("Je mag de cijfers vrij hergebruiken onder de {licence}.",
             licence=link(lic["licence"], lic.get("licence_url")))
    if lic.get("publisher"):
        text += " " + t("Vermeld als bron: {publisher}.", publisher=md(lic["publisher"]))
    st.markdown(text)
else:
    st.warning(t("Voor deze stad is (nog) geen licentie voor de open data ingesteld "
                 "(open_data in de stadsconfiguratie)."))
if info["sources"]:
    st.markdown(t("Bronnen van deze cijfers:") + "\n"
                + "\n".join(f"- {md(s)}" for s in info["sources"]))
if lic.get("attribution"):
    st.caption(t("Geometrie: {attribution}. Polygonen in WGS84; gebieden met een "
                 "benaderde vorm hebben geometry_quality = approximate.",
                 attribution=md(lic["attribution"])))
st.info(t("Kolom illustrative: true betekent een illustratief cijfer. Waar (nog) geen "
          "gepubliceerde reeksen bestaan (per wijk of sector, per gemeente van de "
          "vergelijkingsgroep) worden cijfers gegenereerd en afgestemd op de gepubliceerde "
          "cijfers, om kaarten en vergelijkingen te kunnen tonen. Het zijn geen officiële "
          "cijfers."))

with st.expander(t("Velden van de tabel")):
    st.dataframe([{t("Veld"): f["name"], t("Type"): f["type"],
                   t("Betekenis"): f["description"]} for f in opendataviews.fields()],
                 hide_index=True, width="stretch")
st.caption(t("Alles in één keer, ook voor een vastgepinde stand: `python -m dashboard export "
             "--out MAP [--indicator ID] [--stand JJJJ-MM-DD]`"))
