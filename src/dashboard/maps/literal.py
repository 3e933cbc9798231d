"""Literal rendering: text from data is never a template.

branca renders every element's script as a Jinja template and then wraps that output in
``Element(text)``, which compiles it *again* as a template when the figure is rendered,
so a name such as ``{{ 7*7 }}`` was evaluated (code on the server) and ``{#`` broke the
page. Two defences, each at the one place every value passes:

- every JSON written into a map script (folium's and our own ``tojson``) writes ``{`` and
  ``}`` inside strings as ``\\u007b`` / ``\\u007d``: the same string for JavaScript, no
  Jinja delimiter for the template compiler (:func:`script_json`), so wrapping the
  output in ``Element(text)`` (which compiles it) can neither fail nor evaluate;
- every map has a :class:`LiteralFigure` as its root (made by
  :func:`dashboard.maps.base.base_map`, the only place maps are created), whose header,
  html and script emit already-rendered text as it is: the second pass is gone, whatever
  the text holds. :func:`page_html` (PNG and PDF) and ``mapview`` refuse a map with
  another root.

Importing this module sets the policy on folium's template environment (every
``|tojson`` in folium's templates); :mod:`dashboard.maps` imports it first.
"""

from __future__ import annotations

import json
import re

import folium
import jinja2
from branca.element import Element, Figure

# A JSON string token in json.dumps output (which never has a quote outside a string).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')


def _inert(match: re.Match) -> str:
    text = match.group()
    if "{" in text or "}" in text:
        text = text.replace("{", "\\u007b").replace("}", "\\u007d")
    return text


def script_json(obj, **kwargs) -> str:
    """``json.dumps(obj, **kwargs)`` with ``{`` and ``}`` inside strings (keys and values)
    written as ``\\u007b`` / ``\\u007d``.

    JavaScript (and any JSON parser) reads exactly the same strings, but the text holds no
    ``{{``, ``{%`` or ``{#`` that came from data, so compiling it as a Jinja template
    (branca does, see :class:`LiteralFigure`) can neither evaluate nor fail on it. This is
    the ``json.dumps_function`` of every template that writes map scripts: folium's
    environment (set below, at import) and :data:`SCRIPTS`, which ours use.
    """
    return _JSON_STRING.sub(_inert, json.dumps(obj, **kwargs))


def _literal_json_policy(environment: jinja2.Environment) -> jinja2.Environment:
    environment.policies["json.dumps_function"] = script_json
    return environment


# Our MacroElements' templates (MapText, Legend, FitBounds): their own environment, so
# the policy does not reach jinja2's default environment that other libraries share.
SCRIPTS = _literal_json_policy(jinja2.Environment(autoescape=False))
# folium's templates all share one environment (folium.template.Environment); every
# ``|tojson`` in them (GeoJSON data, feature ids in style maps, tooltip fields) uses it.
for _cls in (folium.Map, folium.GeoJson, folium.GeoJsonTooltip, folium.TileLayer,
             folium.CircleMarker):
    _literal_json_policy(_cls._template.environment)


class _LiteralSlot(Element):
    """The header, html or script part of a :class:`LiteralFigure`.

    Its children are the texts that elements produced when they were rendered
    (``MacroElement.render`` wraps each in a plain ``Element(text)``, folium does the same
    for includes, tooltip styles and popups) and links (``JavascriptLink``, ``CssLink``).
    A plain element's text is written as it is, not rendered as a template again; any
    other element renders itself, as in branca. The layout is branca's
    (``"\\n    "`` before each child).

    Limit: folium's ``GeoJsonStyleMapper`` writes a style value that is itself an element
    (a fill pattern) as ``{{'var'}}`` and relies on the second pass; the board uses none.
    """

    def render(self, **kwargs) -> str:
        parts = []
        for child in self._children.values():
            if type(child) is Element and child._template_str is not None:
                parts.append(child._template_str)
            else:
                parts.append(child.render(**kwargs))
        return "".join("\n    " + p for p in parts)


class LiteralFigure(Figure):
    """branca's Figure without the second template pass (see :class:`_LiteralSlot`).

    ``render()``, and ``header.render()`` / ``html.render()`` that streamlit-folium calls,
    give the same page as branca's Figure for the board's maps, except that text that
    came from data stays literal."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for part in ("header", "html", "script"):
            slot = _LiteralSlot()
            slot._children = getattr(self, part)._children  # branca's meta tag
            slot._parent = self
            setattr(self, part, slot)


def page_html(m: folium.Map) -> str:
    """The whole HTML page of a map (PNG export, PDF report): only for maps made by
    :func:`base_map`, whose root renders data literally."""
    root = m.get_root()
    if not isinstance(root, LiteralFigure):
        raise TypeError("map not made by maps.base_map: its root would render data as a "
                        "template")
    return root.render()
