"""The one escaping function for partner-supplied text that reaches HTML or folium.

folium pastes tooltip and popup text into JavaScript template literals, so HTML
escaping alone is not enough: a backtick ends the literal and ``${...}`` runs code.
"""

from __future__ import annotations

import html

_JS_TEMPLATE = str.maketrans(
    {"`": "&#96;", "$": "&#36;", "{": "&#123;", "}": "&#125;", "\\": "&#92;"}
)


def escape_text(value: object) -> str:
    """Escape text for HTML and for JavaScript template literals.

    HTML entities for ``& < > " '`` plus backtick, ``$``, braces and backslash.
    ``None`` becomes an empty string. The result is safe inside an HTML element,
    an HTML attribute and a JS template string.
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_JS_TEMPLATE)


_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$:"


def escape_markdown(value: object) -> str:
    """Escape text for Streamlit Markdown (titles, captions, alerts) so that partner
    strings and file names render literally: no links, emphasis, HTML or LaTeX."""
    text = "" if value is None else str(value)
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)
