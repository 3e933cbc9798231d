"""What every page shares, set up once per run before the page: language, pinned moment
(``stand``), presentation mode, and the sidebar controls for them (Streamlit glue).

The session state is the truth; the URL mirrors it so that a copied link reopens the same
view: ``taal`` (nl/en/fr), ``stand`` (a date or date-time, see :func:`state.parse_as_of`)
and ``presentatie`` (the presentation page). A parameter present in the URL wins over the
session (that is how a shared link takes effect).
"""

from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from .. import clock, i18n, state
from . import appstate, widgets
from ..i18n import t

LANG_PARAM = state.GLOBAL_PARAMS["lang"]
AS_OF_PARAM = state.GLOBAL_PARAMS["as_of"]
PRESENTATION_PARAM = state.PRESENTATION_PARAMS["on"]
_SEEN = "_frame_seen_params"


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return None if value in (None, "") else str(value)


def setup() -> None:
    """``taal`` and ``stand`` from the URL (when they changed) into the session; then the
    shared sidebar controls. The page config follows in :func:`run`, once the page (and
    so its title) is known: one message to the browser instead of two."""
    _read_url()
    document_language()
    sidebar()


# Long Dutch words in page titles ("ontwikkelingsdoelen") were cut mid-word on a phone at
# Streamlit's 44 px title size.
PHONE_CSS = ("<style>@media (max-width: 640px) {"
             "h1 {font-size: 2rem !important; line-height: 1.2 !important;}}</style>")
# Streamlit's table toolbar offers "Download as CSV", written in the browser with every
# cell as it is: text from a load that starts with = + - @ would be a formula in Excel.
# The board's own CSV buttons neutralise such cells (safety.csv_frame), so the toolbar's
# unneutralised one is hidden on every page (search and full screen stay).
TOOLBAR_CSS = ('<style>[data-testid="stElementToolbarButton"]'
               ':has(button[aria-label^="Download as CSV"]) {display: none !important;}'
               '</style>')


def document_language() -> None:
    """Set ``<html lang>`` to the page's language (Streamlit serves ``lang="en"``): screen
    readers pick their voice from it (WCAG 3.1.1), browsers their hyphenation and
    spelling. The page-wide CSS (phone titles, table toolbar) rides along. Rendered in the
    sidebar, which takes no room on the page itself."""
    lang = st.session_state.get(i18n.SESSION_KEY, i18n.DEFAULT)
    st.sidebar.html(f"<script>document.documentElement.lang = {json.dumps(lang)};</script>"
                    + PHONE_CSS + TOOLBAR_CSS, unsafe_allow_javascript=True)


def run(page) -> None:
    """Run the chosen page with a meaningful browser title: "<page> – <city> 2040", the
    wide layout, and the sidebar closed while presenting."""
    st.set_page_config(page_title=t("{page} – {city} 2040", page=page.title,
                                    city=appstate.city_name()),
                       layout="wide",
                       initial_sidebar_state="collapsed" if presenting() else "auto")
    page.run()


def _read_url() -> None:
    seen = st.session_state.setdefault(_SEEN, {})
    lang = _param(LANG_PARAM)
    if lang != seen.get(LANG_PARAM):
        seen[LANG_PARAM] = lang
        if lang in i18n.LANGUAGES:
            st.session_state[i18n.SESSION_KEY] = lang
    st.session_state.setdefault(i18n.SESSION_KEY, i18n.DEFAULT)
    raw = _param(AS_OF_PARAM)
    if raw != seen.get(AS_OF_PARAM):
        seen[AS_OF_PARAM] = raw
        moment, notice = state.parse_as_of(raw, clock.now_local())
        if raw is not None:
            st.session_state[appstate.AS_OF_KEY] = moment
        if notice:
            st.session_state["_frame_notice"] = notice
    sync_url()


def sync_url() -> None:
    """Write the session's language and pinned moment back into the URL."""
    lang = st.session_state.get(i18n.SESSION_KEY, i18n.DEFAULT)
    _set_param(LANG_PARAM, None if lang == i18n.DEFAULT else lang)
    moment = appstate.as_of()
    _set_param(AS_OF_PARAM, state.format_as_of(moment) if moment else None)


def _set_param(name: str, value: str | None) -> None:
    seen = st.session_state.setdefault(_SEEN, {})
    seen[name] = value
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def write_params(params: dict[str, str]) -> None:
    """Make the URL say exactly ``params`` plus the session-wide ones (language, pinned
    moment): the one way a page rewrites its link (unchanged URLs are not touched, so no
    rerun is triggered)."""
    wanted = {**params, **global_params()}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def global_params() -> dict[str, str]:
    """The session-wide URL parameters (for pages that rewrite their whole URL)."""
    out = {}
    lang = st.session_state.get(i18n.SESSION_KEY, i18n.DEFAULT)
    if lang != i18n.DEFAULT:
        out[LANG_PARAM] = lang
    moment = appstate.as_of()
    if moment:
        out[AS_OF_PARAM] = state.format_as_of(moment)
    return out


def presenting() -> bool:
    return _param(PRESENTATION_PARAM) is not None


def nav_position() -> str:
    return "hidden" if presenting() else "sidebar"


# ---------------------------------------------------------------------- rendering
def _on_language() -> None:
    st.session_state[i18n.SESSION_KEY] = st.session_state["_lang_widget"]
    sync_url()


def _pin(moment: dt.datetime | None) -> None:
    st.session_state[appstate.AS_OF_KEY] = moment
    sync_url()


def _pin_now() -> None:
    _pin(clock.now_local())  # the moment of the click, not of the last rerun


PIN_BOX = "_pin_box"


def _pin_controls(moment: dt.datetime | None) -> None:
    """Inside "Stand van de cijfers": pin now, pin a date, or back to the current figures."""
    if moment is None:
        st.caption(t("U ziet de actuele cijfers. Pin een stand vast voor een vergadering: "
                     "de link toont dan altijd dezelfde cijfers, ook na nieuwe ladingen."))
        st.button(t("Pin nu"), key="_pin_now_btn", on_click=_pin_now)
        # The date picker is its own script bundle in the browser: mounted on request.
        if st.toggle(t("Een eerdere datum kiezen"), key="_pin_pick"):
            today = clock.now_local().date()
            day = st.date_input(t("Stand op datum"), value=today, max_value=today,
                                key="_pin_day", format="DD/MM/YYYY")
            st.button(t("Pin deze datum"), key="_pin_day_btn", on_click=_pin,
                      args=(dt.datetime.combine(day, dt.time(23, 59, 59)),))
    else:
        st.button(t("Toon de actuele cijfers"), key="_unpin_btn", on_click=_pin,
                  args=(None,))


def sidebar() -> None:
    """Language switch and the pinned-view controls; a banner while pinned."""
    if presenting():
        return
    lang = st.session_state.get(i18n.SESSION_KEY, i18n.DEFAULT)
    st.session_state["_lang_widget"] = lang
    # Radio buttons, not a select box: a select box is its own script bundle in the
    # browser (about 0.2 CPU-s on a first visit); three languages fit on one line.
    st.sidebar.radio("Taal · Language · Langue", list(i18n.LANGUAGES),
                     format_func=i18n.LANGUAGES.get, key="_lang_widget",
                     on_change=_on_language, horizontal=True)
    notice = st.session_state.pop("_frame_notice", None)
    if notice:
        st.warning(notice)
    moment = appstate.as_of()
    # Mounted on request: what is inside (buttons, the date picker) is built only while
    # the box is open, so a first visit sends none of it.
    with st.sidebar, widgets.on_request(t("Stand van de cijfers"), PIN_BOX,
                                        expanded=moment is not None) as box:
        if box.open:
            _pin_controls(moment)
    if moment is not None:
        st.info(t("📌 Vastgepinde stand op {moment}: ladingen van daarna zijn niet zichtbaar. "
                  "Deze link toont altijd dezelfde cijfers.", moment=i18n.fmt_date(moment)))
