"""Trusted HTML and the escaping of everything else: how the HTML views write markup.

Names, ids and explanations come from the input and may hold ``<``, ``&`` or quotes.  The HTML
views never paste such text into markup themselves: they build every piece with
:func:`format_html`, :func:`element` and :func:`concat`, which escape whatever is not already
:class:`Markup`.  Only markup these helpers built (or a template written in the code) is
trusted.  So escaping is the default, not something each call has to remember: a forgotten
:class:`Markup` shows as doubly escaped text, never as injected HTML.

Examples
--------
>>> format_html("<b>{}</b> and {:,} more", "Tom & Jerry's", 1234)
'<b>Tom &amp; Jerry&#x27;s</b> and 1,234 more'
>>> element("td", "<script>", class_="n")
'<td class="n">&lt;script&gt;</td>'
>>> concat([element("b", "a<b"), " & ", Markup("<i>c</i>")])
'<b>a&lt;b</b> &amp; <i>c</i>'
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from html import escape as _escape_text
from typing import Any, LiteralString

__all__ = ["Markup", "concat", "element", "escape", "format_html"]


class Markup(str):
    """Text that is already HTML, so the helpers here insert it as it is.

    Make one directly only from text written in the code or read from the package (a
    stylesheet); text from the input goes through :func:`escape` or the other helpers.
    """

    __slots__ = ()


def escape(value: object) -> Markup:
    """``value`` as HTML text: ``& < > " '`` escaped, unless it is :class:`Markup` already.

    >>> escape('"A" & <B>'), escape(Markup("<br>"))
    ('&quot;A&quot; &amp; &lt;B&gt;', '<br>')
    """
    if isinstance(value, Markup):
        return value
    return Markup(_escape_text(str(value), quote=True))


class _EscapingFormatter(string.Formatter):
    """``str.format`` that escapes every replacement field that is not :class:`Markup`."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Markup):
            return format(str(value), format_spec)
        # the format spec applies to the value (``{:,}``, ``{:.2f}``), the escaping to the text
        return escape(format(value, format_spec))


_FORMATTER = _EscapingFormatter()


def format_html(template: LiteralString, /, *args: object, **kwargs: object) -> Markup:
    """``template.format(*args, **kwargs)`` with every argument escaped unless it is markup.

    The template itself is trusted: write it in the code, never build it from the input.
    """
    return Markup(_FORMATTER.vformat(template, args, kwargs))


def concat(parts: Iterable[object], sep: LiteralString = "") -> Markup:
    """The parts one after another (``sep`` between them), each escaped unless it is markup."""
    return Markup(sep.join(escape(part) for part in parts))


def element(tag: LiteralString, /, *children: object, **attrs: object) -> Markup:
    """``<tag attr="value">children</tag>``, with the children and attribute values escaped.

    A trailing underscore is dropped from an attribute's name (``class_`` for ``class``);
    an attribute whose value is ``None`` is left out.

    >>> element("tr", element("td", "1"), class_=None), element("th", "x", colspan=2)
    ('<tr><td>1</td></tr>', '<th colspan="2">x</th>')
    """
    attributes = "".join(
        f' {name.removesuffix("_")}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not None
    )
    return Markup(f"<{tag}{attributes}>{concat(children)}</{tag}>")
