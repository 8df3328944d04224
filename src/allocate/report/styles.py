r"""The stylesheets of the HTML views, kept as package data in ``allocate/report/static/``.

``notebook.css`` styles the Jupyter views (every rule scoped under ``.allocate`` so it cannot
restyle the notebook around them); ``report.css`` styles the stand-alone page, on screen and
in print, and ``statement.css`` adds the print rules that fit a member's statement on one A4
page.  Each are inlined into the HTML they style, so a view or a page needs no other file.

Examples
--------
>>> "@media print" in stylesheet(REPORT_CSS)
True
>>> style_element(NOTEBOOK_CSS).startswith("<style>\n.allocate{")
True
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from allocate.report.markup import Markup, format_html

__all__ = ["NOTEBOOK_CSS", "REPORT_CSS", "STATEMENT_CSS", "style_element", "stylesheet"]

#: Styles for the notebook views.
NOTEBOOK_CSS = "notebook.css"
#: Styles for the stand-alone report.
REPORT_CSS = "report.css"
#: Styles a member's statement adds to the report's.
STATEMENT_CSS = "statement.css"


@cache  # every view of a notebook inlines the same file: read it once
def stylesheet(name: str) -> str:
    """The text of the stylesheet ``name`` (one of the names above) from the package data."""
    return files("allocate.report").joinpath("static", name).read_text(encoding="utf-8")


def style_element(name: str) -> Markup:
    """The stylesheet ``name`` in a ``<style>`` element, to inline in a view or a page.

    The stylesheet is package data, so it is trusted; escaping would break it (``<style>``
    holds raw text, in which ``&quot;`` is not a quote).
    """
    return format_html("<style>\n{}</style>", Markup(stylesheet(name)))
