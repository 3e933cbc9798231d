"""Text from files, URLs and loaded rows is data: one place that makes it safe per context.

Every value that comes from outside the code (a CSV cell, a GeoJSON property, an area name
from official geodata, a query parameter, a file name) passes one of these functions on
its way to an output:

- :func:`html_text`: HTML element content or attribute, and also safe against a second
  Jinja pass (branca renders map scripts as templates): ``{`` ``}`` ``%`` ``#`` become
  character references, so ``{{ 7*7 }}`` shows as written.
- :func:`markdown_text`: inline Markdown (``st.markdown``, captions, notices, widget
  labels): what can start a construct is backslash-escaped (the Markdown source stays
  readable), GFM autolink literals, which remark-gfm finds even behind backslash escapes,
  are broken with an invisible word joiner, and line breaks become spaces.
- :func:`plotly_text`: text for plotly figures (pseudo-HTML and ``%{…}`` placeholders).
- :func:`csv_cell` / :func:`csv_frame`: cells of a CSV or XLSX the board writes; text that
  a spreadsheet would read as a formula (``=`` ``+`` ``-`` ``@`` tab, CR, LF) gets a
  leading apostrophe. Numbers stay numbers.

Also the one SHA-256 of the code base (:func:`file_sha256`, :func:`bytes_sha256`): batch
fingerprints, manifests of the geometry store and of published snapshots.

No Streamlit here: the functions are pure and used by builders, exports and the UI alike.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

# Characters an HTML parser or a second (Jinja) pass could read, replaced in one pass by
# character references, which display unchanged in HTML.
_HTML_REFS = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "'": "&#39;", "{": "&#123;", "}": "&#125;", "%": "&#37;",
                            "#": "&#35;"})


def html_text(value) -> str:
    """``value`` as literal HTML text (also inert in a Jinja template)."""
    return ("" if value is None else str(value)).translate(_HTML_REFS)


def plotly_text(value) -> str:
    """``value`` for a plotly text property (titles, tick and legend labels, annotations,
    ``text``, ``customdata`` and the literal parts of a ``hovertemplate``): plotly reads
    pseudo-HTML (``<a href>``, ``<b>``) and ``%{…}`` placeholders in them, and decodes
    numeric character references, so :func:`html_text`'s references show the text as
    written and leave no tag or placeholder."""
    return html_text(value)


_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\v\f]+")

# Always read by some Markdown construct: escapes, code, emphasis, strike-through, LaTeX,
# tables, links/images/footnotes, HTML and autolinks.
_MD_ALWAYS = frozenset("\\`*~$|[]<>")
# Constructs that only start a line: headings, block quotes, lists, setext underlines.
_MD_LINE_START = frozenset("#>+-=")
_ORDERED_MARKER = re.compile(r"\d{1,9}[.)]")
# GFM autolink literals (``https://…``, ``www.…``, ``a@b.c``) are found in the text *after*
# backslash escapes are resolved (remark-gfm's mdast transform), so an escape alone does not
# stop them: an invisible U+2060 WORD JOINER after ``://``, between ``www`` and ``.`` and
# after ``@`` breaks the pattern and shows nothing.
_WORD_JOINER = "\u2060"
_AUTOLINK_BREAKS = re.compile(r"(?<=://)|(?i:(?<=www)(?=\.))|(?<=@)")


def markdown_text(value) -> str:
    """``value`` as literal inline Markdown (one line, nothing interpreted) that still reads
    as itself in the Markdown source.

    Only the characters that can start something are escaped, so the Markdown source of
    a message stays readable (and so do tests that read it): always ``\\`` `````` ``*``
    ``~`` ``$`` ``|`` ``[`` ``]`` ``<`` ``>`` and ``@``; ``_`` unless inside a word
    (intraword ``_`` is inert
    in CommonMark); ``:`` unless a space or the end follows (Streamlit's ``:red[…]``,
    ``:emoji:`` and ``:material/…:`` need a letter after it); ``&`` before a letter or ``#``
    (character references); ``# > + - =`` and an ordered-list marker at the start (block
    constructs). Autolink literals are broken with an invisible word joiner (see above),
    line breaks become spaces and leading white space is dropped (indented code). Plain
    prose such as "Kortrijk: 565 per 1.000 inwoners (2024)" comes out unchanged.
    """
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value)).lstrip()
    text = _AUTOLINK_BREAKS.sub(_WORD_JOINER, text)
    marker = _ORDERED_MARKER.match(text)
    out = []
    for i, c in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if (c in _MD_ALWAYS or c == "@"
                or (c == "_" and not (before.isalnum() and after.isalnum()))
                or (c == ":" and after != "" and not after.isspace())
                or (c == "&" and (after == "#" or after.isalpha()))
                or (i == 0 and c in _MD_LINE_START)
                or (marker is not None and i == marker.end() - 1)):
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value):
    """A cell for a spreadsheet-bound file: text that starts like a formula gets a leading
    apostrophe (OWASP's advice); every other value is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`csv_cell`.

    Numeric, boolean and date columns are left as they are (numbers stay numbers)."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series) \
                or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[col] = series.map(csv_cell, na_action="ignore")
    # Column names come from data too (wide layouts, loaded headers).
    out.columns = [csv_cell(c) for c in out.columns]
    return out


def file_slug(text: object, fallback: str, limit: int = 60) -> str:
    """A file-name part from any text (a catalog name, a city): lower-case ASCII letters and
    digits joined by '-', at most ``limit`` characters; ``fallback`` when nothing is left."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:limit] or fallback


# ------------------------------------------------------------------------ digests
def bytes_sha256(data: bytes) -> str:
    """The SHA-256 of ``data``, as lowercase hex (what the batch table and manifests hold)."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's content, as lowercase hex, read in 1 MB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
