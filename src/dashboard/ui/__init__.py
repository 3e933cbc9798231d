"""The Streamlit user interface: the only package that imports ``streamlit``.

Pages (``app_pages/``) are one-line calls into these modules; the modules cache what the
board layer (:mod:`dashboard.board`) assembles and render it. Importing the package
registers how the session's language is read, so every builder called from a page speaks
the visitor's language.
"""

from .. import i18n
from .language import session_language

i18n.set_session_source(session_language)
