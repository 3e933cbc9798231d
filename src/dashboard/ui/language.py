"""The session's language as the Streamlit session holds it (registered with
:func:`dashboard.i18n.set_session_source` when ``dashboard.ui`` is imported)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from ..i18n import SESSION_KEY


# Streamlit versions whose private script-run context was checked (lowest included, highest
# excluded); see session_api_problem and docs/architecture.md, "Private APIs".
STREAMLIT_CHECKED = ("1.67.0", "1.68.0")


def session_api_problem(version: str) -> str | None:
    """Why Streamlit ``version``'s private ``streamlit.runtime.scriptrunner``
    (``get_script_run_ctx(suppress_warning=...)``, ``ScriptRunContext.session_state``) must
    not be used to read the session's language, or None when it can be."""
    import dataclasses
    import inspect

    from packaging.version import InvalidVersion, Version

    try:
        v = Version(version)
    except InvalidVersion:
        return f"streamlit version {version!r} unreadable"
    lo, hi = map(Version, STREAMLIT_CHECKED)
    if not lo <= v < hi:
        return f"streamlit {version} outside the checked range [{lo}, {hi})"
    try:
        from streamlit.runtime.scriptrunner import ScriptRunContext, get_script_run_ctx
    except ImportError as exc:
        return f"streamlit.runtime.scriptrunner: {exc}"
    if "suppress_warning" not in inspect.signature(get_script_run_ctx).parameters:
        return "get_script_run_ctx takes no suppress_warning"
    if "session_state" not in {f.name for f in dataclasses.fields(ScriptRunContext)}:
        return "ScriptRunContext has no session_state"
    return None


def session_reader(problem: str | None) -> Callable[[], str | None]:
    """How the session's language is read given :func:`session_api_problem`'s answer: the
    private script-run context (no warning outside a script run) or the public
    ``st.session_state``."""
    if problem is None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        def private() -> str | None:
            ctx = get_script_run_ctx(suppress_warning=True)
            return None if ctx is None else _from_state(ctx.session_state)
        return private
    import streamlit as st

    def public() -> str | None:
        return _from_state(st.session_state) if st.runtime.exists() else None
    return public


@functools.cache
def _session_reader() -> Callable[[], str | None]:
    """:func:`session_reader` for the installed Streamlit, chosen once per process (a
    logged warning when the private context changed)."""
    import importlib.metadata
    import logging

    problem = session_api_problem(importlib.metadata.version("streamlit"))
    if problem is not None:
        logging.getLogger(__name__).warning(
            "Streamlit's script-run context changed (%s): the language is read through "
            "st.session_state", problem)
    return session_reader(problem)


def _from_state(state) -> str | None:
    try:
        return state[SESSION_KEY] if SESSION_KEY in state else None
    except Exception:  # noqa: BLE001 - session state not ready: default language
        return None


def session_language() -> str | None:
    """The language stored in the running Streamlit session (None outside Streamlit)."""
    return _session_reader()()
